/**
 * Extension-host smoke tests: the extension activates in a real VS Code and its language server
 * publishes a diagnostic for a broken model. run.ts writes the workspace and passes its details
 * through the environment.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../../shared/src/commands';

const EXTENSION_ID = 'slayer-studio.slayer-studio';
const LANGUAGE_ID = 'slayer-yaml';
const DIAGNOSTIC_SOURCE = 'slayer';

export const smokeTests: ReadonlyArray<readonly [string, () => Promise<void>]> = [
  ['the extension activates', activates],
  ['a broken model gets a slayer diagnostic at the broken line', reportsBrokenModel],
  ['every declared command is registered', registersCommands],
  ["the SQL command opens a query's compiled SQL in a read-only SQL editor", showsCompiledSql],
];

async function registersCommands(): Promise<void> {
  const registered = new Set(await vscode.commands.getCommands(true));
  const missing = Object.values(Commands).filter((command) => !registered.has(command));
  assert.deepEqual(missing, []);
}

/** A dry run: it needs the storage folder, not the database file (which this workspace does not have). */
async function showsCompiledSql(): Promise<void> {
  const folder = path.dirname(path.dirname(path.dirname(requiredEnv('SLAYER_SMOKE_FILE'))));
  // Its own query, on a model the broken formula does not touch.
  const query = vscode.Uri.file(path.join(folder, 'queries', 'electron_sql.query.yaml'));
  await vscode.workspace.fs.writeFile(query, new TextEncoder().encode('source_model: stores\ndimensions: [name]\n'));
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(query));
  await vscode.commands.executeCommand(Commands.showSql, query.toString());
  const sql = await waitFor(
    () => vscode.window.activeTextEditor?.document,
    (document) => document?.uri.scheme === 'slayer-sql',
    30_000,
    'the compiled SQL editor',
  );
  assert.match(sql?.getText() ?? '', /SELECT[\s\S]+FROM[\s\S]+stores/);
  assert.equal(sql?.languageId, 'sql');
}

async function activates(): Promise<void> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed in the extension host`);
  await extension.activate();
  assert.equal(extension.isActive, true);
}

async function reportsBrokenModel(): Promise<void> {
  const uri = vscode.Uri.file(requiredEnv('SLAYER_SMOKE_FILE'));
  const expectedLine = Number(requiredEnv('SLAYER_SMOKE_LINE'));
  const expectedMessage = requiredEnv('SLAYER_SMOKE_MESSAGE');

  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document);
  // The manifest's filename patterns, not a guess by VS Code, must pick our language.
  assert.equal(document.languageId, LANGUAGE_ID);

  const ours = await waitFor(
    () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === DIAGNOSTIC_SOURCE),
    (found) => found.length > 0,
    60_000,
    `a '${DIAGNOSTIC_SOURCE}' diagnostic on ${uri.fsPath}`,
  );
  assert.equal(ours.length, 1, `expected one diagnostic, got: ${ours.map((d) => d.message).join(' | ')}`);
  const [diagnostic] = ours;
  assert.ok(diagnostic);
  assert.equal(diagnostic.message, expectedMessage);
  assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
  assert.equal(diagnostic.range.start.line, expectedLine);
  assert.equal(document.getText(diagnostic.range), 'summ');
}

/** Polls `read` until `done` holds; the server publishes asynchronously after indexing. */
async function waitFor<T>(read: () => T, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run this suite through test/electron/run.ts`);
  return value;
}
