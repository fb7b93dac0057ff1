/**
 * The messages between the extension and its results view (a webview),
 * declared once for both sides. The view holds one run's first page and
 * asks for the rest; the server keeps the rows (see slayer/fetchPage).
 */
import type { InspectResult, QueryResult, SortKey } from './protocol';

/** What a panel shows and can re-run: a query file, a model's preview, a measure, or a stage of either. */
export interface RunSource {
  kind: 'query' | 'preview' | 'measure' | 'inspect';
  uri: string;
  stage?: number;
  measure?: string;
}

/** Kept by the view (vscode.setState), so a reloaded window can offer to run it again. */
export interface ResultsViewState {
  title: string;
  source: RunSource;
}

export type ToView =
  | { type: 'running'; title: string; source: RunSource }
  | { type: 'result'; title: string; source: RunSource; result: QueryResult }
  | { type: 'inspection'; title: string; source: RunSource; result: InspectResult }
  | { type: 'error'; title: string; source: RunSource; message: string; suggestion?: string }
  | { type: 'cancelled'; title: string; source: RunSource }
  /** The view was restored after a reload: it shows what it held and a Run again button, and runs nothing. */
  | { type: 'restored'; title: string; source: RunSource }
  | { type: 'page'; requestId: number; rows: Record<string, unknown>[]; rowCount: number }
  | { type: 'pageFailed'; requestId: number; message: string };

export type FromView =
  /** The view's script has loaded: messages sent before it would be lost. */
  | { type: 'ready' }
  | { type: 'fetchPage'; requestId: number; resultId: string; offset: number; limit: number; sort: SortKey[] }
  | { type: 'export'; resultId: string; format: 'csv' | 'json'; sort: SortKey[] }
  | { type: 'copy'; text: string }
  | { type: 'rerun' };
