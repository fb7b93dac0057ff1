import * as vscode from 'vscode';

/** Compiled SQL is shown in read-only editors of this scheme: highlighted as SQL, never saved anywhere. */
export const SQL_SCHEME = 'slayer-sql';

/**
 * The texts behind the compiled-SQL editors, one per query file. Showing a
 * file's SQL again updates its editor in place instead of opening another.
 */
export class CompiledSqlDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /** Shows `sql`, compiled from the file `source` (or its stage, 0-based), beside the editor. */
  async show(source: vscode.Uri, sql: string, stage?: number): Promise<void> {
    const name = source.path.split('/').pop() ?? 'query';
    const label = stage === undefined ? name : `${name}, stage ${stage + 1}`;
    const file = stage === undefined ? `${name}.sql` : `${name}.stage-${stage + 1}.sql`;
    const uri = vscode.Uri.from({ scheme: SQL_SCHEME, path: `/${file}`, query: source.toString() });
    this.texts.set(uri.toString(), `-- Compiled by SLayer Studio from ${label}; read-only.\n${sql.trimEnd()}\n`);
    this.changed.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, 'sql');
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  }

  dispose(): void {
    this.changed.dispose();
  }
}
