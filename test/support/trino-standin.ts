/**
 * A stand-in for a Trino coordinator: a node:http server speaking just enough
 * of Trino's client protocol (v1, JSON) for the Trino driver's tests.
 *
 * What it proves about the driver: the request it sends (POST /v1/statement
 * with the SQL as body; X-Trino-User, -Catalog, -Schema, -Source headers;
 * Basic auth), that it follows `nextUri` page after page and keeps the rows in
 * order, how it maps Trino's JSON encoding of each type to the driver contract
 * (a BIGINT past 2^53 is written as a JSON number with every digit, as Trino
 * does), that a met maxRows and a cancel both DELETE the query's nextUri (Trino's
 * cancel), that Trino's `error` object surfaces as the run's error, that a 503
 * is asked again, and that truncation stops paging at the row past the limit.
 *
 * What it does not prove: Trino's SQL semantics (it never executes SQL; it
 * answers from a table of canned results keyed by the exact SQL text the test
 * supplies; test/unit/dialect-corpus.test.ts checks Trino SQL by meaning),
 * TLS, real authentication flows (only a Basic header is compared), Trino's
 * spooling protocol, queued/planning states with their timing, or session
 * headers (X-Trino-Set-*).
 *
 * To check redaction, a refused login's 401 body repeats the credentials it was
 * sent, as a careless proxy might.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpStandin } from './http-standin';

export interface StandinColumn {
  name: string;
  /** Trino's type text, e.g. `decimal(10,2)`. */
  type: string;
}

/**
 * Rows as Trino writes them in JSON: DECIMAL as a string, VARBINARY as base64,
 * timestamps as text; a bigint value is written as a JSON number with all its digits.
 */
export interface CannedRows {
  columns: StandinColumn[];
  rows: unknown[][];
}

export interface CannedError {
  error: { message: string; errorName: string; errorCode?: number; errorType?: string };
}

export type Canned = CannedRows | CannedError;

export interface StandinOptions {
  /** Answers keyed by the exact SQL text the driver sends. */
  results: Record<string, Canned>;
  /** Rows per page; small, so paging is exercised. */
  pageSize?: number;
  /** How long each page after the first `delayAfterPages` waits, unless the client goes away first. */
  pageDelayMs?: number;
  delayAfterPages?: number;
  /** Refuse (401) any request without this Basic login. */
  requireAuth?: { user: string; password: string };
  /** The first this many requests get 503 with `Retry-After: 0`. */
  unavailableTimes?: number;
}

interface Query {
  canned: Canned;
  cancelled: boolean;
}

const DEFAULT_PAGE_SIZE = 2;

/** JSON text where a bigint is written as a JSON number with every digit, as Trino writes BIGINT. */
function encode(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${encode(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : encode(body);
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(text);
}

export class TrinoStandin extends HttpStandin {
  /** Ids of the queries a DELETE cancelled, in order. */
  readonly cancelled: string[] = [];
  /** Ids of the queries started, in order. */
  readonly queries: string[] = [];
  /** Pages being held back right now (see pageDelayMs). */
  held = 0;
  private readonly state = new Map<string, Query>();

  private constructor(private readonly options: StandinOptions) {
    super(options.unavailableTimes ?? 0);
  }

  static async start(options: StandinOptions): Promise<TrinoStandin> {
    const standin = new TrinoStandin(options);
    await standin.listen();
    return standin;
  }

  protected unavailableAnswer(response: ServerResponse): void {
    send(response, 503, 'Service Unavailable', { 'Retry-After': '0' });
  }

  protected route(method: string, path: string, body: string, response: ServerResponse): void | Promise<void> {
    if (method === 'POST' && path === '/v1/statement') return this.startQuery(body, response);
    const page = /^\/v1\/statement\/executing\/([^/]+)\/(\d+)$/.exec(path);
    const id = page?.[1];
    if (id === undefined || page?.[2] === undefined) return send(response, 404, 'Not Found');
    if (method === 'DELETE') return this.cancel(id, response);
    if (method === 'GET') return this.page(id, Number(page[2]), response);
    return send(response, 405, 'Method Not Allowed');
  }

  protected authorised(request: IncomingMessage, response: ServerResponse): boolean {
    const wanted = this.options.requireAuth;
    if (!wanted) return true;
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
    if (given === `${wanted.user}:${wanted.password}`) return true;
    send(response, 401, `Unauthorized: bad credentials ${given}`, { 'WWW-Authenticate': 'Basic realm="Trino"' });
    return false;
  }

  private nextUri(id: string, token: number): string {
    return `${this.url}/v1/statement/executing/${id}/${token}`;
  }

  private startQuery(sql: string, response: ServerResponse): void {
    const id = `standin_${this.queries.length + 1}`;
    const canned = this.options.results[sql] ?? {
      error: { message: `The stand-in has no canned result for: ${sql}`, errorName: 'STANDIN_UNKNOWN_QUERY' },
    };
    this.state.set(id, { canned, cancelled: false });
    this.queries.push(id);
    this.changed();
    send(response, 200, {
      id,
      infoUri: `${this.url}/ui/query.html?${id}`,
      nextUri: this.nextUri(id, 0),
      stats: { state: 'QUEUED', queued: true, scheduled: false },
    });
  }

  private cancel(id: string, response: ServerResponse): void {
    const query = this.state.get(id);
    if (query && !query.cancelled) {
      query.cancelled = true;
      this.cancelled.push(id);
    }
    response.writeHead(204).end();
    this.changed();
  }

  private async page(id: string, token: number, response: ServerResponse): Promise<void> {
    const query = this.state.get(id);
    if (!query) return send(response, 404, 'Not Found');
    if (token >= (this.options.delayAfterPages ?? 0) && !(await this.delay(response))) return;
    if (query.cancelled) {
      return send(response, 200, {
        id,
        stats: { state: 'FAILED' },
        error: { message: 'Query was canceled', errorName: 'USER_CANCELED' },
      });
    }
    const { canned } = query;
    if ('error' in canned) return send(response, 200, { id, stats: { state: 'FAILED' }, error: canned.error });
    const size = this.options.pageSize ?? DEFAULT_PAGE_SIZE;
    const data = canned.rows.slice(token * size, (token + 1) * size);
    const more = (token + 1) * size < canned.rows.length;
    send(response, 200, {
      id,
      columns: canned.columns,
      ...(data.length > 0 ? { data } : {}),
      ...(more ? { nextUri: this.nextUri(id, token + 1) } : {}),
      stats: { state: more ? 'RUNNING' : 'FINISHED' },
    });
  }

  /** Waits pageDelayMs; false when the client went away first (an abort, a timeout). */
  private delay(response: ServerResponse): Promise<boolean> {
    const ms = this.options.pageDelayMs;
    if (ms === undefined) return Promise.resolve(true);
    this.held += 1;
    this.changed();
    return new Promise((resolve) => {
      const done = (answered: boolean): void => {
        clearTimeout(timer);
        response.off('close', gone);
        this.held -= 1;
        this.changed();
        resolve(answered);
      };
      const gone = (): void => done(false);
      const timer = setTimeout(() => done(true), ms);
      response.on('close', gone);
    });
  }
}
