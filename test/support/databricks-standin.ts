/**
 * A stand-in for a Databricks SQL warehouse: a node:http server answering just
 * the Statement Execution API 2.0 calls the Databricks driver makes.
 *
 * What it proves about the driver: the request it sends (POST
 * /api/2.0/sql/statements with statement, warehouse_id, catalog, schema,
 * wait_timeout, on_wait_timeout, format JSON_ARRAY, disposition INLINE; a
 * Bearer token on every call, 401 otherwise), that it polls a PENDING/RUNNING
 * statement by id until SUCCEEDED, that it follows next_chunk_internal_link
 * chunk after chunk keeping rows in order, how it maps JSON_ARRAY's strings to
 * the driver contract by type_name, that a met maxRows and an abort both POST
 * .../cancel (recorded here), that a FAILED statement's message surfaces as the
 * run's error, and that the token is redacted from errors (a refused token's
 * 401 body repeats the header it was sent, as a careless proxy might).
 *
 * What it does not prove: Databricks' SQL semantics (it never executes SQL; it
 * answers from canned results keyed by the exact statement text; Databricks
 * SQL is checked by meaning in test/unit/dialect-corpus.test.ts), TLS, OAuth,
 * the EXTERNAL_LINKS disposition, result sizes over the INLINE limit, or the
 * real timing of wait_timeout.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpStandin } from './http-standin';

export interface StandinColumn {
  name: string;
  /** Databricks' type_name, e.g. `LONG`, `DECIMAL`. */
  type_name: string;
}

/** Rows as JSON_ARRAY writes them: every value a string, or null. */
export interface CannedRows {
  columns: StandinColumn[];
  rows: (string | null)[][];
  /** Answers PENDING (then RUNNING) to this many reads before SUCCEEDED; Infinity never finishes. */
  polls?: number;
}

export interface CannedError {
  error: { message: string; error_code?: string };
  polls?: number;
}

export type Canned = CannedRows | CannedError;

export interface StandinOptions {
  /** Answers keyed by the exact statement text the driver sends. */
  results: Record<string, Canned>;
  /** The token every call must carry as `Authorization: Bearer`. */
  token: string;
  /** Rows per chunk; small, so chunking is exercised. */
  chunkSize?: number;
  /** The first this many requests get 503 with `Retry-After: 0`. */
  unavailableTimes?: number;
}

interface Statement {
  canned: Canned;
  reads: number;
  cancelled: boolean;
}

const DEFAULT_CHUNK_SIZE = 2;
const BASE = '/api/2.0/sql/statements';

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function statementText(body: string): string {
  const parsed: unknown = JSON.parse(body);
  if (parsed === null || typeof parsed !== 'object' || !('statement' in parsed)) return '';
  return typeof parsed.statement === 'string' ? parsed.statement : '';
}

export class DatabricksStandin extends HttpStandin {
  /** Ids of the statements a POST .../cancel reached, in order. */
  readonly cancelled: string[] = [];
  /** Ids of the statements started, in order. */
  readonly statements: string[] = [];
  private readonly state = new Map<string, Statement>();

  private constructor(private readonly options: StandinOptions) {
    super(options.unavailableTimes ?? 0);
  }

  static async start(options: StandinOptions): Promise<DatabricksStandin> {
    const standin = new DatabricksStandin(options);
    await standin.listen();
    return standin;
  }

  protected unavailableAnswer(response: ServerResponse): void {
    send(response, 503, { error_code: 'TEMPORARILY_UNAVAILABLE' }, { 'Retry-After': '0' });
  }

  protected route(method: string, path: string, body: string, response: ServerResponse): void {
    if (method === 'POST' && path === BASE) return this.submit(body, response);
    const match = /^\/api\/2\.0\/sql\/statements\/([^/]+)(?:\/(cancel)|\/result\/chunks\/(\d+))?$/.exec(path);
    const id = match?.[1];
    const statement = id === undefined ? undefined : this.state.get(id);
    if (id === undefined || statement === undefined) return send(response, 404, { error_code: 'NOT_FOUND' });
    if (method === 'POST' && match?.[2] === 'cancel') return this.cancel(id, statement, response);
    if (method === 'GET' && match?.[3] !== undefined) return this.chunk(id, statement, Number(match[3]), response);
    if (method === 'GET' && match?.[2] === undefined) return this.status(id, statement, response);
    send(response, 405, { error_code: 'METHOD_NOT_ALLOWED' });
  }

  protected authorised(request: IncomingMessage, response: ServerResponse): boolean {
    const header = request.headers.authorization ?? '';
    if (header === `Bearer ${this.options.token}`) return true;
    send(response, 401, { error_code: 'UNAUTHENTICATED', message: `Invalid access token in header '${header}'` });
    return false;
  }

  private submit(body: string, response: ServerResponse): void {
    const text = statementText(body);
    const id = `01ef-standin-${this.statements.length + 1}`;
    const canned = this.options.results[text] ?? {
      error: { message: `The stand-in has no canned result for: ${text}`, error_code: 'STANDIN_UNKNOWN' },
    };
    this.state.set(id, { canned, reads: 0, cancelled: false });
    this.statements.push(id);
    this.changed();
    this.status(id, this.state.get(id) ?? { canned, reads: 0, cancelled: false }, response);
  }

  /** The statement as its current read sees it: PENDING, RUNNING, then its end state. */
  private status(id: string, statement: Statement, response: ServerResponse): void {
    const reads = statement.reads;
    statement.reads += 1;
    if (statement.cancelled) return send(response, 200, { statement_id: id, status: { state: 'CANCELED' } });
    if (reads < (statement.canned.polls ?? 0)) {
      return send(response, 200, { statement_id: id, status: { state: reads === 0 ? 'PENDING' : 'RUNNING' } });
    }
    const { canned } = statement;
    if ('error' in canned)
      return send(response, 200, { statement_id: id, status: { state: 'FAILED', error: canned.error } });
    send(response, 200, {
      statement_id: id,
      status: { state: 'SUCCEEDED' },
      manifest: {
        format: 'JSON_ARRAY',
        schema: { column_count: canned.columns.length, columns: canned.columns.map((c, i) => ({ ...c, position: i })) },
        total_row_count: canned.rows.length,
      },
      result: this.resultData(id, canned, 0),
    });
  }

  private chunk(id: string, statement: Statement, index: number, response: ServerResponse): void {
    const { canned } = statement;
    if ('error' in canned || statement.cancelled) return send(response, 404, { error_code: 'NOT_FOUND' });
    send(response, 200, this.resultData(id, canned, index));
  }

  private resultData(id: string, canned: CannedRows, index: number): Record<string, unknown> {
    const size = this.options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const data = canned.rows.slice(index * size, (index + 1) * size);
    const more = (index + 1) * size < canned.rows.length;
    return {
      chunk_index: index,
      row_offset: index * size,
      row_count: data.length,
      data_array: data,
      ...(more
        ? { next_chunk_index: index + 1, next_chunk_internal_link: `${BASE}/${id}/result/chunks/${index + 1}` }
        : {}),
    };
  }

  private cancel(id: string, statement: Statement, response: ServerResponse): void {
    if (!statement.cancelled) {
      statement.cancelled = true;
      this.cancelled.push(id);
    }
    send(response, 200, {});
    this.changed();
  }
}
