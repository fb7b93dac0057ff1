/**
 * One LSP client over stdio for any server, so SLayer Studio and
 * yaml-language-server are driven by the same code: the same requests, the
 * same waits, the same clock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ErrorCodes,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ResponseError,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';

const UNHANDLED_METHOD = 'slayerBench/noSuchMethod';

export interface ServerSpec {
  label: string;
  command: string[];
  languageId: string;
  /** What the server reads through workspace/configuration and initializationOptions. */
  settings: Record<string, unknown>;
  /** A notification the server sends when its first index is done; without one, initialize is the start. */
  readyNotification?: string;
}

export class BenchClient {
  /** Per document, the versions its diagnostics were published for (-1 when the server sends none). */
  private readonly published = new Map<string, number[]>();
  private readonly listeners: Array<() => void> = [];
  private readonly versions = new Map<string, number>();
  private ready = false;

  /** When the server logged that its name table (navigation) was complete, in ms after start; ours only. */
  namesReadyMs: number | undefined;

  private constructor(
    readonly spec: ServerSpec,
    readonly connection: ProtocolConnection,
    private readonly child: ChildProcess,
  ) {}

  /** Starts the server and returns it with the milliseconds until it was ready. */
  static async start(spec: ServerSpec, workspace: string): Promise<{ client: BenchClient; readyMs: number }> {
    const [command = process.execPath, ...args] = spec.command;
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    if (!child.stdout || !child.stdin) throw new Error(`${spec.label}: no stdio`);
    const connection = createProtocolConnection(
      new StreamMessageReader(child.stdout),
      new StreamMessageWriter(child.stdin),
    );
    const client = new BenchClient(spec, connection, child);
    connection.onNotification(PublishDiagnosticsNotification.type, (params) =>
      client.record(params.uri, params.version ?? -1),
    );
    if (spec.readyNotification) connection.onNotification(spec.readyNotification, () => client.markReady());
    connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
      params.items.map((item) => sectionOf(spec.settings, item.section)),
    );
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('client/registerCapability', () => null);
    connection.onNotification('window/logMessage', (params: { message: string }) => {
      if (params.message.includes('names of every file ready')) client.namesReadyMs = performance.now() - started;
    });
    connection.listen();
    const started = performance.now();
    const uri = pathToFileURL(workspace).toString();
    await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: uri,
      workspaceFolders: [{ uri, name: 'bench' }],
      capabilities: {
        workspace: { configuration: true, workspaceFolders: true },
        window: { workDoneProgress: true },
        textDocument: {
          hover: { contentFormat: ['markdown'] },
          // As vscode-languageclient 9 (VS Code's) asks for them.
          completion: {
            completionItem: { snippetSupport: true },
            completionList: {
              itemDefaults: ['commitCharacters', 'editRange', 'insertTextFormat', 'insertTextMode', 'data'],
            },
          },
        },
      },
      initializationOptions: spec.settings,
    });
    await connection.sendNotification(InitializedNotification.type, {});
    if (spec.readyNotification) await client.until(() => client.ready);
    return { client, readyMs: performance.now() - started };
  }

  /** Opens a file and resolves with the milliseconds until its first diagnostics. */
  async open(file: string): Promise<number> {
    const uri = pathToFileURL(file).toString();
    const seen = this.publishedCount(uri);
    this.versions.set(uri, 1);
    const started = performance.now();
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: this.spec.languageId, version: 1, text: readFileSync(file, 'utf8') },
    });
    await this.until(() => this.publishedCount(uri) > seen);
    return performance.now() - started;
  }

  /** Replaces a document's whole text and resolves with the milliseconds until its next diagnostics. */
  async edit(file: string, text: string): Promise<number> {
    const uri = pathToFileURL(file).toString();
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    const seen = this.publishedCount(uri);
    const started = performance.now();
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
    // A server that versions its diagnostics is waited for at this version; an earlier, late publish is not it.
    await this.until(() => this.publishedSince(uri, seen).some((v) => v === -1 || v >= version));
    return performance.now() - started;
  }

  /** Times one request; the answer is returned so the caller can check it is a real one. */
  async timed<T>(method: string, params: unknown): Promise<{ ms: number; result: T }> {
    const started = performance.now();
    const result = await this.connection.sendRequest<T>(method, params);
    return { ms: performance.now() - started, result };
  }

  /**
   * Times a request to a method no server implements. The protocol library
   * answers it with MethodNotFound before any server code runs, so this is
   * the round trip's floor: two pipes, two JSON codecs and two event loops.
   */
  async unhandledRoundTrip(): Promise<number> {
    const started = performance.now();
    const code = await this.connection.sendRequest(UNHANDLED_METHOD, {}).then(
      () => undefined,
      (error: unknown) => (error instanceof ResponseError ? error.code : undefined),
    );
    const ms = performance.now() - started;
    if (code !== ErrorCodes.MethodNotFound)
      throw new Error(`${this.spec.label}: ${UNHANDLED_METHOD} was not refused as unknown`);
    return ms;
  }

  /** Resident memory of the server process, in MB, from /proc. */
  residentMb(): number {
    const status = readFileSync(`/proc/${this.child.pid ?? 0}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 'NaN');
    return kb / 1024;
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

  private record(uri: string, version: number): void {
    this.published.set(uri, [...(this.published.get(uri) ?? []), version]);
    this.wake();
  }

  private publishedSince(uri: string, seen: number): number[] {
    return (this.published.get(uri) ?? []).slice(seen);
  }

  private markReady(): void {
    this.ready = true;
    this.wake();
  }

  private publishedCount(uri: string): number {
    return this.published.get(uri)?.length ?? 0;
  }

  private wake(): void {
    for (const listener of this.listeners.splice(0)) listener();
  }

  async until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition()) {
      if (performance.now() > deadline) throw new Error(`${this.spec.label}: timed out`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.listeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** `workspace/configuration` asks by section (`yaml`, `slayer`); settings are keyed the same way. */
function sectionOf(settings: Record<string, unknown>, section: string | undefined): unknown {
  if (!section) return settings;
  return section.split('.').reduce<unknown>((value, key) => {
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }, settings);
}
