import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Notifications, Requests, sendTypedRequest } from '../../shared/src/protocol';
import type { FromView, ResultsViewState, RunSource, ToView } from '../../shared/src/results-messages';

export const RESULTS_VIEW_TYPE = 'slayer.results';

interface Panel {
  panel: vscode.WebviewPanel;
  source: RunSource;
  /** The server-kept rows this panel shows; released when replaced or closed. */
  resultId?: string;
  /** Messages wait here until the view's script has loaded and said so. */
  pending?: ToView[];
}

/**
 * The results views: one panel per query or model file, reused run after run;
 * a webview with a strict CSP (scripts by nonce, nothing remote), restored
 * after a window reload by the serializer without running anything.
 */
export class ResultsPanels implements vscode.WebviewPanelSerializer<ResultsViewState> {
  private readonly panels = new Map<string, Panel>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly client: () => LanguageClient | undefined,
    private readonly rerun: (source: RunSource) => Promise<void>,
  ) {}

  /** Shows `message` in the source file's panel, creating it if needed. */
  post(message: Exclude<ToView, { type: 'page' | 'pageFailed' | 'restored' }>): void {
    const entry = this.panelFor(message.source, message.title);
    entry.source = message.source;
    if (message.type !== 'running')
      this.replaceResult(entry, message.type === 'result' ? message.result.result_id : undefined);
    entry.panel.title = `SLayer: ${message.title}`;
    if (entry.pending) entry.pending.push(message);
    else void entry.panel.webview.postMessage(message);
  }

  deserializeWebviewPanel(panel: vscode.WebviewPanel, state: ResultsViewState | undefined): Promise<void> {
    if (!state?.source) {
      panel.dispose();
      return Promise.resolve();
    }
    this.adopt(panel, state.source);
    return Promise.resolve();
  }

  dispose(): void {
    for (const entry of this.panels.values()) entry.panel.dispose();
  }

  private panelFor(source: RunSource, title: string): Panel {
    const existing = this.panels.get(source.uri);
    if (existing) {
      if (!existing.panel.visible) existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      RESULTS_VIEW_TYPE,
      `SLayer: ${title}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      this.webviewOptions(),
    );
    return this.adopt(panel, source);
  }

  private adopt(panel: vscode.WebviewPanel, source: RunSource): Panel {
    const entry: Panel = { panel, source, pending: [] };
    this.panels.get(source.uri)?.panel.dispose();
    this.panels.set(source.uri, entry);
    panel.webview.options = this.webviewOptions();
    panel.webview.html = this.html(panel.webview);
    panel.webview.onDidReceiveMessage((message: FromView) => void this.answer(entry, message));
    panel.onDidDispose(() => {
      this.replaceResult(entry, undefined);
      if (this.panels.get(entry.source.uri) === entry) this.panels.delete(entry.source.uri);
    });
    return entry;
  }

  private webviewOptions(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview')],
      retainContextWhenHidden: true,
    };
  }

  private replaceResult(entry: Panel, resultId: string | undefined): void {
    if (entry.resultId && entry.resultId !== resultId) {
      void this.client()?.sendNotification(Notifications.releaseResult, { resultId: entry.resultId });
    }
    entry.resultId = resultId;
  }

  private async answer(entry: Panel, message: FromView): Promise<void> {
    switch (message.type) {
      case 'ready': {
        const pending = entry.pending ?? [];
        entry.pending = undefined;
        for (const queued of pending) await entry.panel.webview.postMessage(queued);
        return;
      }
      case 'fetchPage':
        return this.fetchPage(entry, message);
      case 'export':
        return this.exportRows(entry, message);
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        vscode.window.setStatusBarMessage(`SLayer: copied ${message.text.split('\n').length} line(s)`, 3000);
        return;
      case 'rerun':
        return this.rerun(entry.source);
    }
  }

  private async fetchPage(entry: Panel, message: Extract<FromView, { type: 'fetchPage' }>): Promise<void> {
    const client = this.client();
    const { requestId, resultId, offset, limit, sort } = message;
    try {
      if (!client) throw new Error('The SLayer language server is not running.');
      const page = await sendTypedRequest(client, Requests.fetchPage, { resultId, offset, limit, sort });
      await entry.panel.webview.postMessage({ type: 'page', requestId, rows: page.rows, rowCount: page.row_count });
    } catch (error) {
      await entry.panel.webview.postMessage({ type: 'pageFailed', requestId, message: messageOf(error) });
    }
  }

  /** Every kept row through a save dialog, as the CLI would write it (the server encodes). */
  private async exportRows(entry: Panel, message: Extract<FromView, { type: 'export' }>): Promise<void> {
    const client = this.client();
    if (!client) return;
    const source = vscode.Uri.parse(entry.source.uri);
    const base = source.path.replace(/\.(query\.)?(ya?ml|json)$/, '');
    const target = await vscode.window.showSaveDialog({
      defaultUri: source.with({ path: `${base}.${message.format}` }),
      filters: message.format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
      title: `Export rows as ${message.format.toUpperCase()}`,
    });
    if (!target) return;
    try {
      const { resultId, format, sort } = message;
      const exported = await sendTypedRequest(client, Requests.exportResult, { resultId, format, sort });
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(exported.text));
      vscode.window.setStatusBarMessage(`SLayer: saved ${exported.row_count} rows to ${target.fsPath}`, 5000);
    } catch (error) {
      await vscode.window.showErrorMessage(`Export failed: ${messageOf(error)}`);
    }
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const asset = (name: string): vscode.Uri =>
      webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', name));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${asset('results-style.css').toString()}">
<title>SLayer results</title>
</head>
<body><div id="root"><p class="status">Waiting for a run…</p></div>
<script nonce="${nonce}" src="${asset('results.js').toString()}"></script>
</body></html>`;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
