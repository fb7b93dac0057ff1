import * as vscode from 'vscode';
import {
  LanguageClient,
  ResponseError,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { Commands } from '../../shared/src/commands';
import {
  LANGUAGE_ID,
  Notifications,
  Requests,
  sendTypedRequest,
  TRUST_OPTION,
  type NotificationMap,
  type QueryResult,
} from '../../shared/src/protocol';
import { SETTINGS_SECTION } from '../../shared/src/settings';
import { registerLanguageGuard } from './language-guard';
import { ErrorCode, type SlayerErrorData } from '../../shared/src/errors';
import type { RunSource, ToView } from '../../shared/src/results-messages';
import { RESULTS_VIEW_TYPE, ResultsPanels } from './results-panel';
import { CompiledSqlDocuments, SQL_SCHEME } from './sql-view';
import { SlayerStatus } from './status';

let client: LanguageClient | undefined;
let results: ResultsPanels;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  results = new ResultsPanels(context.extensionUri, () => client, run);
  const output = vscode.window.createOutputChannel('SLayer', { log: true });
  const status = new SlayerStatus();
  context.subscriptions.push(output, status, sqlDocuments);
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(SQL_SCHEME, sqlDocuments));
  registerLanguageGuard(context);
  registerCommands(context, output);
  try {
    client = createClient(context, output);
    client.onNotification(Notifications.indexed, (info: NotificationMap['slayer/indexed']) => status.indexed(info));
    await client.start();
    context.subscriptions.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        status.trusted();
        void client?.sendNotification(Notifications.workspaceTrust, { trusted: true });
      }),
    );
  } catch (error) {
    // rust-analyzer's lesson: an activation failure must be visible, not buried in a log.
    const message = error instanceof Error ? error.message : String(error);
    status.failed(message);
    output.error(`Failed to start the SLayer language server: ${message}`);
    const choice = await vscode.window.showErrorMessage(
      `SLayer language server failed to start: ${message}`,
      'Show Output',
    );
    if (choice) output.show();
  }
}

export async function deactivate(): Promise<void> {
  results?.dispose();
  await client?.stop();
  client = undefined;
}

function createClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: LANGUAGE_ID },
      { scheme: 'file', pattern: '**/*.query.{yaml,yml,json}' },
    ],
    synchronize: { configurationSection: SETTINGS_SECTION },
    initializationOptions: {
      ...(JSON.parse(JSON.stringify(vscode.workspace.getConfiguration(SETTINGS_SECTION))) as Record<string, unknown>),
      [TRUST_OPTION]: vscode.workspace.isTrusted,
    },
    outputChannel: output,
  };
  return new LanguageClient('slayer', 'SLayer', serverOptions, clientOptions);
}

function registerCommands(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.showOutput, () => output.show()),
    vscode.commands.registerCommand(Commands.restartServer, async () => {
      await client?.restart();
    }),
    vscode.commands.registerCommand(Commands.showStorageRoots, async () => {
      if (!client) return;
      const roots = await sendTypedRequest(client, Requests.listStorageRoots, {});
      const items = roots.map((root) => ({
        label: root.path,
        description: `${root.models} models, ${root.datasources} datasources, ${root.queries} queries`,
      }));
      await vscode.window.showQuickPick(items.length ? items : [{ label: 'No storage roots found', description: '' }], {
        title: 'SLayer storage roots',
      });
    }),
    vscode.commands.registerCommand(Commands.runQuery, (uri?: unknown, stage?: unknown) => runQuery(uri, stage)),
    vscode.commands.registerCommand(Commands.showSql, (uri?: unknown, stage?: unknown) => showSql(uri, stage)),
    vscode.commands.registerCommand(Commands.inspectModel, (uri?: unknown) => inspectModel(uri)),
    vscode.commands.registerCommand(Commands.previewModel, (uri?: unknown, stage?: unknown) =>
      previewModel(uri, stage),
    ),
    vscode.commands.registerCommand(Commands.saveQueryAsModel, () => saveActiveQueryAsModel()),
    vscode.commands.registerCommand(Commands.runMeasure, (uri?: unknown, measure?: unknown) =>
      runMeasure(uri, measure),
    ),
    vscode.commands.registerCommand(Commands.runAtCursor, () => runAtCursor()),
    vscode.window.registerWebviewPanelSerializer(RESULTS_VIEW_TYPE, results),
  );
}

const sqlDocuments = new CompiledSqlDocuments();
/** Rows the results view shows at first; the rest are fetched as the user scrolls. */
const FIRST_PAGE = 200;

/** The file a command is for: the code lens's argument, else the active editor's. */
function fileOf(argument: unknown): string | undefined {
  if (typeof argument === 'string') return argument;
  return (argument instanceof vscode.Uri ? argument : vscode.window.activeTextEditor?.document.uri)?.toString();
}

/** A code lens's stage index, when it passed one. */
function stageOf(argument: unknown): { stage?: number } {
  return typeof argument === 'number' ? { stage: argument } : {};
}

function titleOf(source: RunSource): string {
  const name = source.uri.split('/').pop() ?? source.uri;
  if (source.measure !== undefined) return `${name} · ${source.measure}`;
  return source.stage === undefined ? name : `${name} · stage ${source.stage + 1}`;
}

/**
 * The SQL a query file, or one stage of a query list or of a model's
 * source_queries, compiles to (the editor's unsaved text), in a read-only
 * SQL editor; nothing runs.
 */
async function showSql(argument: unknown, stageArgument?: unknown): Promise<void> {
  const uri = fileOf(argument);
  if (!client || !uri) {
    await vscode.window.showWarningMessage('Open a *.query.yaml file to see its SQL.');
    return;
  }
  const stage = stageOf(stageArgument);
  const isQueryFile = /\.query\.(ya?ml|json)$/.test(uri);
  try {
    const compiled = isQueryFile
      ? await sendTypedRequest(client, Requests.runQuery, { uri, dryRun: true, ...stage })
      : await sendTypedRequest(client, Requests.previewModel, { uri, dryRun: true, ...stage });
    await sqlDocuments.show(vscode.Uri.parse(uri), compiled.sql, stage.stage);
  } catch (error) {
    await vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
  }
}

/** Runs the given query file (from the code lens) or the active editor's. */
async function runQuery(argument: unknown, stageArgument?: unknown): Promise<void> {
  const uri = fileOf(argument);
  if (!client || !uri) {
    await vscode.window.showWarningMessage('Open a *.query.yaml file to run it.');
    return;
  }
  await run({ kind: 'query', uri, ...stageOf(stageArgument) });
}

/** A model's first rows (a query-backed model's result, or one of its stages') in the results view. */
async function previewModel(argument: unknown, stageArgument?: unknown): Promise<void> {
  const uri = fileOf(argument);
  if (uri) await run({ kind: 'preview', uri, ...stageOf(stageArgument) });
}

async function runMeasure(argument: unknown, measure: unknown): Promise<void> {
  const uri = fileOf(argument);
  if (uri && typeof measure === 'string') await run({ kind: 'measure', uri, measure });
}

/** Ctrl/Cmd+Enter: the query, stage or measure under the cursor, from the editor's unsaved text. */
async function runAtCursor(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!client || !editor) return;
  const uri = editor.document.uri.toString();
  try {
    const position = { line: editor.selection.active.line, character: editor.selection.active.character };
    const target = await sendTypedRequest(client, Requests.runTargetAt, { uri, position });
    if (target.kind === 'measure') await run({ kind: 'measure', uri, measure: target.measure });
    else await run({ kind: target.kind, uri, ...(target.stage === undefined ? {} : { stage: target.stage }) });
  } catch (error) {
    await vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
  }
}

/** Runs (or re-runs, from the results view) what `source` says. */
function run(source: RunSource): Promise<void> {
  if (source.kind === 'inspect') return inspectModel(source.uri);
  const stage = source.stage === undefined ? {} : { stage: source.stage };
  const paging = { pageSize: FIRST_PAGE };
  const request = (token: vscode.CancellationToken): Promise<QueryResult> | undefined => {
    if (source.kind === 'measure') {
      return client?.sendRequest(
        Requests.runMeasure,
        { uri: source.uri, measure: source.measure ?? '', ...paging },
        token,
      );
    }
    const method = source.kind === 'query' ? Requests.runQuery : Requests.previewModel;
    return client?.sendRequest(method, { uri: source.uri, ...stage, ...paging }, token);
  };
  const verb = source.kind === 'preview' ? 'Previewing' : 'Running';
  return showRun(source, verb, request);
}

/**
 * A request for rows under a cancellable progress notification. The results
 * view shows the rows, the error (with the engine's caret and suggestion),
 * or that the run was cancelled.
 */
async function showRun(
  source: RunSource,
  verb: string,
  request: (token: vscode.CancellationToken) => Promise<QueryResult> | undefined,
): Promise<void> {
  const title = titleOf(source);
  results.post({ type: 'running', title, source });
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `${verb} ${title}`, cancellable: true },
    async (_progress, token) => {
      try {
        const result = await request(token);
        if (result) results.post({ type: 'result', title, source, result });
      } catch (error) {
        results.post(failureMessage(error, title, source, token.isCancellationRequested));
      }
    },
  );
}

function failureMessage(
  error: unknown,
  title: string,
  source: RunSource,
  cancelled: boolean,
): ToView & { type: 'error' | 'cancelled' } {
  const data = error instanceof ResponseError ? (error.data as SlayerErrorData | undefined) : undefined;
  if (cancelled || data?.code === ErrorCode.Cancelled) return { type: 'cancelled', title, source };
  const message = error instanceof Error ? error.message : String(error);
  return { type: 'error', title, source, message, ...(data?.suggestion ? { suggestion: data.suggestion } : {}) };
}

async function inspectModel(argument: unknown): Promise<void> {
  const uri = fileOf(argument);
  if (!client || !uri) return;
  const source: RunSource = { kind: 'inspect', uri };
  const title = titleOf(source);
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Inspecting ${title}` },
      () => sendTypedRequest(client as LanguageClient, Requests.inspect, { uri }),
    );
    results.post({ type: 'inspection', title, source, result });
  } catch (error) {
    results.post(failureMessage(error, title, source, false));
  }
}

async function saveActiveQueryAsModel(): Promise<void> {
  const uri = vscode.window.activeTextEditor?.document.uri.toString();
  if (!client || !uri) return;
  const name = await vscode.window.showInputBox({
    title: 'Save query as a query-backed model',
    prompt: 'Model name (letters, digits, single underscores)',
    validateInput: (value) =>
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(value) && !value.includes('__') ? undefined : 'Not a valid model name',
  });
  if (!name) return;
  try {
    const saved = await sendTypedRequest(client, Requests.saveQueryAsModel, { uri, name });
    await vscode.window.showTextDocument(vscode.Uri.file(saved.file));
  } catch (error) {
    await vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
  }
}
