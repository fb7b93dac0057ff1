import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type InitializeResult,
  type ProtocolConnection,
  type TextDocumentClientCapabilities,
} from 'vscode-languageserver-protocol/node';
import type { NotificationMap } from '../../shared/src/protocol';

const SERVER = path.resolve(__dirname, '../../dist/server.js');

/**
 * A real LSP client over stdio against the bundled server, as an editor would
 * drive it. No part of the protocol library is mocked; the test answers the
 * server's requests (configuration, progress) like VS Code does.
 */
export class TestClient {
  private readonly diagnostics = new Map<string, Diagnostic[]>();
  private readonly waiters: Array<() => void> = [];
  readonly indexed: NotificationMap['slayer/indexed'][] = [];
  readonly logs: string[] = [];
  /** How often the server asked for code lenses again (workspace/codeLens/refresh). */
  codeLensRefreshes = 0;
  /** What the server announced; a capability it omits is a feature an editor never asks for. */
  initializeResult: InitializeResult | undefined;
  private readonly versions = new Map<string, number>();
  /** How many times each URI's diagnostics were published, and every `$/progress` value, in order. */
  readonly publishCounts = new Map<string, number>();
  readonly progress: { kind?: string; message?: string }[] = [];

  private constructor(
    readonly connection: ProtocolConnection,
    private readonly child: ChildProcess,
  ) {}

  static async start(
    workspace: string,
    settings: Record<string, unknown> = {},
    env: Record<string, string> = {},
    options: { awaitIndex?: boolean; textDocument?: TextDocumentClientCapabilities } = {},
  ): Promise<TestClient> {
    const child = spawn(process.execPath, [SERVER, '--stdio'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    if (!child.stdout || !child.stdin) throw new Error('server stdio not available');
    const connection = createProtocolConnection(
      new StreamMessageReader(child.stdout),
      new StreamMessageWriter(child.stdin),
    );
    const client = new TestClient(connection, child);
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      client.diagnostics.set(params.uri, params.diagnostics);
      client.publishCounts.set(params.uri, (client.publishCounts.get(params.uri) ?? 0) + 1);
      client.wake();
    });
    connection.onNotification('slayer/indexed', (params: NotificationMap['slayer/indexed']) => {
      client.indexed.push(params);
      client.wake();
    });
    connection.onNotification('window/logMessage', (params: { message: string }) => client.logs.push(params.message));
    connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => settings));
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('workspace/codeLens/refresh', () => {
      client.codeLensRefreshes++;
      client.wake();
      return null;
    });
    connection.onNotification('$/progress', (params: { value: { kind?: string; message?: string } }) => {
      client.progress.push(params.value);
    });
    connection.listen();
    client.initializeResult = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(workspace).toString(),
      workspaceFolders: [{ uri: pathToFileURL(workspace).toString(), name: 'ws' }],
      capabilities: {
        workspace: { configuration: true, codeLens: { refreshSupport: true } },
        window: { workDoneProgress: true },
        ...(options.textDocument ? { textDocument: options.textDocument } : {}),
      },
      initializationOptions: settings,
    });
    await connection.sendNotification(InitializedNotification.type, {});
    if (options.awaitIndex !== false) await client.waitFor(() => client.indexed.length > 0, 'the first index');
    return client;
  }

  diagnosticsFor(file: string): Diagnostic[] | undefined {
    return this.diagnostics.get(pathToFileURL(file).toString());
  }

  /** Waits until `condition` holds after some server message, or fails with what it was waiting for. */
  async waitFor(condition: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitForDiagnostics(
    file: string,
    predicate: (diagnostics: Diagnostic[]) => boolean,
    what: string,
  ): Promise<Diagnostic[]> {
    await this.waitFor(
      () => {
        const current = this.diagnosticsFor(file);
        return current !== undefined && predicate(current);
      },
      `diagnostics of ${path.basename(file)}: ${what}`,
    );
    return this.diagnosticsFor(file) ?? [];
  }

  async open(file: string, text: string): Promise<void> {
    this.versions.set(file, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: pathToFileURL(file).toString(), languageId: 'slayer-yaml', version: 1, text },
    });
  }

  async replace(file: string, text: string): Promise<void> {
    const version = (this.versions.get(file) ?? 1) + 1;
    this.versions.set(file, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: pathToFileURL(file).toString(), version },
      contentChanges: [{ text }],
    });
  }

  async close(file: string): Promise<void> {
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, {
      textDocument: { uri: pathToFileURL(file).toString() },
    });
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
    } finally {
      this.connection.dispose();
      this.child.kill();
    }
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
