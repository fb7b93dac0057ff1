import * as path from 'node:path';
import * as vscode from 'vscode';
import { LANGUAGE_ID } from '../../shared/src/protocol';

/**
 * The `models/**.yaml` file pattern also matches dbt projects. A file that
 * sits under a `dbt_project.yml` (and not under a configured storage root)
 * goes back to plain YAML, so Red Hat's YAML extension keeps serving it.
 */
export function registerLanguageGuard(context: vscode.ExtensionContext): void {
  const check = (document: vscode.TextDocument): void => {
    if (document.languageId !== LANGUAGE_ID || document.uri.scheme !== 'file') return;
    void returnDbtFilesToYaml(document);
  };
  vscode.workspace.textDocuments.forEach(check);
  context.subscriptions.push(vscode.workspace.onDidOpenTextDocument(check));
}

async function returnDbtFilesToYaml(document: vscode.TextDocument): Promise<void> {
  const file = document.uri.fsPath;
  if (file.endsWith('.query.yaml') || file.endsWith('.query.yml')) return;
  const root = storageRootOf(file);
  if (!root || isConfiguredRoot(root)) return;
  if (await exists(vscode.Uri.file(path.join(root, 'dbt_project.yml')))) {
    await vscode.languages.setTextDocumentLanguage(document, 'yaml');
  }
}

function storageRootOf(file: string): string | undefined {
  const parts = file.split(path.sep);
  const index = parts.lastIndexOf('models');
  const datasources = parts.lastIndexOf('datasources');
  const cut = Math.max(index, datasources);
  return cut > 0 ? parts.slice(0, cut).join(path.sep) : undefined;
}

function isConfiguredRoot(root: string): boolean {
  const configured = vscode.workspace.getConfiguration('slayer').get<string[]>('storageRoots') ?? [];
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  return configured.some((entry) => path.resolve(base, entry) === root);
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
