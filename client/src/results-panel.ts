import * as vscode from 'vscode';
import type { InspectResult, QueryResult } from '../../shared/src/protocol';

/**
 * One results view, reused run after run (as Malloy's is): a table of the
 * rows, the row count and time, and the SQL that produced them. Rendered as
 * static HTML with scripts disabled; every value is escaped.
 */
export class ResultsPanel {
  private panel: vscode.WebviewPanel | undefined;

  show(title: string, result: QueryResult): void {
    const panel = this.ensurePanel();
    panel.title = `SLayer: ${title}`;
    panel.webview.html = renderResult(title, result);
    panel.reveal(vscode.ViewColumn.Beside, true);
  }

  showInspection(result: InspectResult): void {
    const panel = this.ensurePanel();
    panel.title = `SLayer: ${result.model_name}`;
    panel.webview.html = renderInspection(result);
    panel.reveal(vscode.ViewColumn.Beside, true);
  }

  showError(title: string, message: string): void {
    const panel = this.ensurePanel();
    panel.title = `SLayer: ${title}`;
    panel.webview.html = page(title, `<p class="error">${escapeHtml(message)}</p>`);
    panel.reveal(vscode.ViewColumn.Beside, true);
  }

  dispose(): void {
    this.panel?.dispose();
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) return this.panel;
    this.panel = vscode.window.createWebviewPanel(
      'slayer.results',
      'SLayer Results',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: false },
    );
    this.panel.onDidDispose(() => {
      this.panel = undefined;
    });
    return this.panel;
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '<td class="null">NULL</td>';
  if (typeof value === 'number') return `<td class="num">${escapeHtml(String(value))}</td>`;
  return `<td>${escapeHtml(typeof value === 'string' ? value : JSON.stringify(value))}</td>`;
}

export function renderResult(title: string, result: QueryResult): string {
  const head = result.columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('');
  const rows = result.data
    .map((row) => `<tr>${result.columns.map((column) => cell(row[column])).join('')}</tr>`)
    .join('\n');
  const count = `${result.row_count} row${result.row_count === 1 ? '' : 's'}`;
  const cut = result.truncated ? ` (preview capped at ${result.row_count}; the query returned more)` : '';
  const body = `<p class="summary">${count}${cut} in ${result.millis} ms</p>
<table><thead><tr>${head}</tr></thead><tbody>
${rows}
</tbody></table>
<details><summary>SQL</summary><pre>${escapeHtml(result.sql)}</pre></details>`;
  return page(title, body);
}

export function renderInspection(result: InspectResult): string {
  const rows = result.columns
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.name)}</td><td>${escapeHtml(c.type)}</td><td>${c.primary_key ? 'key' : ''}</td><td>${escapeHtml(c.label ?? '')}</td><td>${escapeHtml(c.sampled ?? '')}</td></tr>`,
    )
    .join('\n');
  const body = `<p class="summary">${result.row_count} rows · data source ${escapeHtml(result.data_source)} · ${result.source_type}</p>
<table><thead><tr><th>column</th><th>type</th><th></th><th>label</th><th>sampled</th></tr></thead><tbody>
${rows}
</tbody></table>`;
  return page(result.model_name, body);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); }
table { border-collapse: collapse; font-family: var(--vscode-editor-font-family); }
th, td { border: 1px solid var(--vscode-panel-border); padding: 2px 8px; text-align: left; }
td.num { text-align: right; }
td.null { color: var(--vscode-disabledForeground); }
.error { color: var(--vscode-errorForeground); white-space: pre-wrap; font-family: var(--vscode-editor-font-family); }
</style></head>
<body><h3>${escapeHtml(title)}</h3>
${body}
</body></html>`;
}
