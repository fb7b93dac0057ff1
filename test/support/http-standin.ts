/**
 * What the HTTP stand-ins (Trino's protocol, Databricks' Statement Execution
 * API) share: a server on a free local port, every request recorded, a wait
 * for what a test expects the driver to have sent, a number of 503s before
 * it answers, and a clean close. Each stand-in says how it authenticates and
 * answers (`authorised`, `route`) and what its 503 body is.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export abstract class HttpStandin {
  readonly requests: RecordedRequest[] = [];
  private readonly server = createServer();
  private readonly changes = new EventEmitter();
  private unavailable: number;
  private baseUrl = '';

  /** The first `unavailableTimes` requests get 503 with `Retry-After: 0`. */
  protected constructor(unavailableTimes: number) {
    this.unavailable = unavailableTimes;
  }

  /** `http://127.0.0.1:port`, once listening. */
  get url(): string {
    return this.baseUrl;
  }

  /** `127.0.0.1:port`, the host part of a connection string. */
  get hostPort(): string {
    return this.baseUrl.replace('http://', '');
  }

  protected async listen(): Promise<void> {
    this.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'Content-Type': 'text/plain' });
        response.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Resolves once `condition` holds, checked now and after every request the
   * stand-in sees. `guardMs` only turns a driver that never gets there into a
   * failure instead of a hung test file (the open server would keep it alive).
   */
  until(condition: () => boolean, guardMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const guard = setTimeout(() => {
        this.changes.off('change', check);
        reject(new Error('The stand-in never saw what the test waited for.'));
      }, guardMs);
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(guard);
        this.changes.off('change', check);
        resolve();
      };
      this.changes.on('change', check);
      check();
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Wakes every `until` after the state a test may wait on changed. */
  protected changed(): void {
    this.changes.emit('change');
  }

  /** The 503 answer while the stand-in is "unavailable". */
  protected abstract unavailableAnswer(response: ServerResponse): void;
  /** True when the request carries the expected credentials; otherwise answers 401 and gives false. */
  protected abstract authorised(request: IncomingMessage, response: ServerResponse): boolean;
  protected abstract route(method: string, path: string, body: string, response: ServerResponse): void | Promise<void>;

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    this.requests.push({ method, path, headers: request.headers, body });
    this.changed();
    if (this.unavailable > 0) {
      this.unavailable -= 1;
      return this.unavailableAnswer(response);
    }
    if (!this.authorised(request, response)) return;
    await this.route(method, path, body, response);
  }
}

/** Runs `work` with a stand-in once it listens, and closes it afterwards whatever happened. */
export async function withStarted<T extends HttpStandin>(
  started: Promise<T>,
  work: (standin: T) => Promise<void>,
): Promise<void> {
  const standin = await started;
  try {
    await work(standin);
  } finally {
    await standin.close();
  }
}
