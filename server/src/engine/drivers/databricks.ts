/**
 * Databricks SQL warehouses over the Statement Execution API 2.0, with Node's
 * own `fetch`: no client library, nothing native. A query is a POST of its SQL
 * to /api/2.0/sql/statements; the server waits up to `wait_timeout` and then
 * answers with the result or with a statement still PENDING/RUNNING, which is
 * then polled by id. Rows come inline (JSON_ARRAY) in chunks, each naming the
 * next one (`next_chunk_internal_link`). A POST to .../cancel stops the
 * statement, which is how a cancel and a met maxRows release the warehouse.
 * Nothing is held between runs.
 *
 * JSON_ARRAY writes every value as a string (or null), so no digits are lost
 * in transit; answers are still read by trino-json's reader so that nothing in
 * them is rounded, and the column's type_name decides what each string becomes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import type { DatabricksConfig } from './databricks-config';
import { cancelledError, type Redactor } from './errors';
import {
  alsoMasking,
  booleanText as boolean,
  floatText as float,
  integerText as integer,
  type TextConvert as Convert,
  BUSY_STATUSES,
  CANCEL_TIMEOUT_MS,
  isObject,
  noop,
  REQUEST_TIMEOUT_MS,
  RETRIES,
  textField,
  timedFetch,
  USER_AGENT,
  withRetries,
  type Answer,
} from './http-answers';
import { stoppableRun } from './limits';
import { bytesToHex, normaliseTimestampText, normaliseTimestampTzText, toRecord } from './normalise';
import { JsonNumber, readJson, toJsonText } from './trino-json';
import type { Driver, ResultSet, RunOptions } from './types';

/** Polls start quick (short queries end soon after the POST's wait) and slow down for long ones. */
const POLL_INTERVAL_MS = 250;
const MAX_POLL_INTERVAL_MS = 2_000;

// ---------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------

interface DatabricksColumn {
  name: string;
  /** Databricks' type_name, e.g. `LONG`, `DECIMAL`, `TIMESTAMP`, `ARRAY`. */
  typeName: string;
}

/** One chunk of rows, and the link to the next one when there is more. */
interface Chunk {
  rows: unknown[][];
  next?: string;
}

interface Statement {
  id?: string;
  state: string;
  errorMessage?: string;
  columns?: DatabricksColumn[];
  chunk?: Chunk;
}

function unexpected(what: string): SlayerError {
  return new SlayerError(
    ErrorCode.DatabaseError,
    `Databricks sent an answer this driver does not understand: ${what}.`,
  );
}

function columnOf(value: unknown): DatabricksColumn {
  if (!isObject(value)) throw unexpected('a column that is not an object');
  const name = textField(value, 'name');
  if (name === undefined) throw unexpected('a column without a name');
  // type_name is absent for a few types (e.g. VARIANT on older warehouses); the value then stays as sent.
  return { name, typeName: (textField(value, 'type_name') ?? 'STRING').toUpperCase() };
}

function columnsOf(manifest: unknown): DatabricksColumn[] | undefined {
  if (!isObject(manifest) || !isObject(manifest.schema)) return undefined;
  const { columns } = manifest.schema;
  if (columns === undefined) return [];
  if (!Array.isArray(columns)) throw unexpected('columns that are not a list');
  return columns.map(columnOf);
}

/** `result` of a statement, or the answer of a chunk link: both are ResultData. */
function chunkOf(value: unknown): Chunk {
  if (!isObject(value)) throw unexpected('a result that is not a JSON object');
  const data = value.data_array ?? [];
  if (!(Array.isArray(data) && data.every(Array.isArray))) throw unexpected('data that is not a list of rows');
  const next = textField(value, 'next_chunk_internal_link');
  return next === undefined ? { rows: data as unknown[][] } : { rows: data as unknown[][], next };
}

function statementOf(value: unknown): Statement {
  if (!isObject(value)) throw unexpected('an answer that is not a JSON object');
  const status = value.status;
  const state = isObject(status) ? textField(status, 'state') : undefined;
  if (state === undefined) throw unexpected('a statement without a state');
  const statement: Statement = { state };
  const id = textField(value, 'statement_id');
  if (id !== undefined) statement.id = id;
  const error = isObject(status) ? status.error : undefined;
  if (isObject(error)) statement.errorMessage = textField(error, 'message');
  const columns = columnsOf(value.manifest);
  if (columns) statement.columns = columns;
  if (value.result !== undefined && value.result !== null) statement.chunk = chunkOf(value.result);
  return statement;
}

const RUNNING_STATES = new Set(['PENDING', 'RUNNING']);

function failure(statement: Statement): SlayerError {
  const message = statement.errorMessage ?? `Databricks ended the statement as ${statement.state}.`;
  return new SlayerError(ErrorCode.DatabaseError, message);
}

// ---------------------------------------------------------------------------
// Values: JSON_ARRAY's strings to the driver contract (types.ts)
// ---------------------------------------------------------------------------

/**
 * TIMESTAMP is a moment (Spark's local-zone timestamp) and is written with its
 * offset; shown in UTC like every driver's. Without an offset it is left as
 * wall-clock text rather than guessed at.
 */
const timestamp: Convert = (text) =>
  /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(text) ? normaliseTimestampTzText(text) : normaliseTimestampText(text);

/** BINARY comes as base64; the contract's binary form is `\x` and hex. */
const binary: Convert = (text) => bytesToHex(Buffer.from(text, 'base64'));

const CONVERTERS = new Map<string, Convert>([
  ['BYTE', integer],
  ['TINYINT', integer],
  ['SHORT', integer],
  ['SMALLINT', integer],
  ['INT', integer],
  ['INTEGER', integer],
  ['LONG', integer],
  ['BIGINT', integer],
  ['FLOAT', float],
  ['REAL', float],
  ['DOUBLE', float],
  ['DECIMAL', float],
  ['BOOLEAN', boolean],
  ['TIMESTAMP', timestamp],
  ['TIMESTAMP_NTZ', normaliseTimestampText],
  ['BINARY', binary],
  // STRING, CHAR, DATE ('YYYY-MM-DD'), INTERVAL, and ARRAY/MAP/STRUCT (already JSON text) stay as sent.
]);

/** A value that is not a string (not JSON_ARRAY's form) is kept as plainly as it can be. */
function nonString(value: unknown): unknown {
  if (value instanceof JsonNumber) return integer(value.text);
  if (value !== null && typeof value === 'object') return toJsonText(value);
  return value;
}

function converterFor(column: DatabricksColumn): (value: unknown) => unknown {
  const convert = CONVERTERS.get(column.typeName);
  return (value) => {
    if (value === null || value === undefined) return null;
    if (typeof value !== 'string') return nonString(value);
    return convert ? convert(value) : value;
  };
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

/** Databricks' error body is `{error_code, message}`; anything else is shown as its first characters. */
function detailOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isObject(parsed) && typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: shown as text below
  }
  return body.trim().slice(0, 300);
}

function httpError(answer: Answer): SlayerError {
  const detail = detailOf(answer.body);
  const suffix = detail ? `: ${detail}` : '.';
  if (answer.status === 401 || answer.status === 403) {
    return new SlayerError(
      ErrorCode.ConnectionFailed,
      `Databricks refused the access token (HTTP ${answer.status})${suffix}`,
    );
  }
  return new SlayerError(ErrorCode.DatabaseError, `Databricks answered HTTP ${answer.status}${suffix}`);
}

/** Where a run has got to: the statement a cancel must stop, until it has been read to its end. */
interface Progress {
  id?: string;
}

export class DatabricksDriver implements Driver {
  readonly dialect = 'databricks' as const;
  private readonly origin: string;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  /** The datasource's redactor, and the token masked whatever the redactor knows. */
  private readonly redactAll: Redactor;

  constructor(
    private readonly config: DatabricksConfig,
    redact: Redactor,
  ) {
    this.origin = new URL(config.server).origin;
    this.timeoutMs = config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.pollMs = config.pollIntervalMs ?? POLL_INTERVAL_MS;
    this.redactAll = alsoMasking(redact, () => [config.token]);
  }

  run(sql: string, options: RunOptions = {}): Promise<ResultSet> {
    const progress: Progress = {};
    // A failed or cancelled run stops the statement on the warehouse too.
    const stop = (): Promise<void> | undefined => (progress.id === undefined ? undefined : this.cancel(progress.id));
    return stoppableRun(options, this.redactAll, (limit, signal) => this.readAll(sql, limit, progress, signal), stop);
  }

  /** Nothing is held between runs, so there is nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Submits, waits for the statement to finish, then reads chunks until the last or one row past `limit`. */
  private async readAll(sql: string, limit: number, progress: Progress, signal?: AbortSignal): Promise<ResultSet> {
    const statement = await this.finished(await this.submit(sql, progress, signal), progress, signal);
    const columns = statement.columns ?? [];
    const names = columns.map((column) => column.name);
    const converters = columns.map(converterFor);
    const rows: Record<string, unknown>[] = [];
    let chunk = statement.chunk;
    while (chunk) {
      for (const values of chunk.rows) {
        if (rows.length >= limit) return this.truncated(names, rows, progress);
        rows.push(
          toRecord(
            names,
            values.map((value, index) => (converters[index] ?? nonString)(value)),
          ),
        );
      }
      if (chunk.next === undefined) break;
      if (signal?.aborted) throw cancelledError();
      chunk = chunkOf(await this.call(`${this.config.server}${chunk.next}`, { method: 'GET' }, signal));
    }
    progress.id = undefined;
    return { columns: names, rows, truncated: false };
  }

  private async submit(sql: string, progress: Progress, signal?: AbortSignal): Promise<Statement> {
    const { warehouseId, catalog, schema } = this.config;
    const body = JSON.stringify({
      statement: sql,
      warehouse_id: warehouseId,
      ...(catalog ? { catalog } : {}),
      ...(schema ? { schema } : {}),
      wait_timeout: '10s',
      on_wait_timeout: 'CONTINUE',
      format: 'JSON_ARRAY',
      disposition: 'INLINE',
    });
    const url = `${this.config.server}/api/2.0/sql/statements`;
    const statement = statementOf(await this.call(url, { method: 'POST', body }, signal));
    progress.id = statement.id;
    return statement;
  }

  /** Polls a PENDING/RUNNING statement until it ends; anything but SUCCEEDED is the run's error. */
  private async finished(first: Statement, progress: Progress, signal?: AbortSignal): Promise<Statement> {
    let statement = first;
    let delay = this.pollMs;
    while (RUNNING_STATES.has(statement.state)) {
      if (progress.id === undefined) throw unexpected('a running statement without a statement_id');
      await sleep(delay, undefined, signal ? { signal } : {});
      delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS);
      const url = `${this.config.server}/api/2.0/sql/statements/${encodeURIComponent(progress.id)}`;
      statement = statementOf(await this.call(url, { method: 'GET' }, signal));
    }
    if (statement.state !== 'SUCCEEDED') {
      // A statement that ended on its own needs no cancel.
      progress.id = undefined;
      throw failure(statement);
    }
    return statement;
  }

  /**
   * The row past the limit has arrived: the statement is cancelled before the
   * answer (a quick call) so its result is released on the warehouse.
   */
  private async truncated(columns: string[], rows: Record<string, unknown>[], progress: Progress): Promise<ResultSet> {
    const id = progress.id;
    progress.id = undefined;
    if (id !== undefined) await this.cancel(id).catch(noop);
    return { columns, rows, truncated: true };
  }

  private async cancel(id: string): Promise<void> {
    const url = `${this.config.server}/api/2.0/sql/statements/${encodeURIComponent(id)}/cancel`;
    await this.request(url, { method: 'POST', body: '{}' }, CANCEL_TIMEOUT_MS);
  }

  /** One API call, asked again after a 429 or 503; its answer as JSON read without rounding. */
  private async call(url: string, init: RequestInit, signal?: AbortSignal): Promise<unknown> {
    const send = (): Promise<Answer> => this.request(url, init, this.timeoutMs, signal);
    const answer = await withRetries(send, (busy) => BUSY_STATUSES.has(busy.status), RETRIES, signal);
    if (answer.status !== 200) throw httpError(answer);
    try {
      return readJson(answer.body);
    } catch {
      throw unexpected('an answer that is not valid JSON');
    }
  }

  /** fetch with a time limit on the whole call, body included, and errors that say what failed. */
  private request(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
    const endpoint = { engine: 'Databricks', origin: this.origin };
    return timedFetch(endpoint, url, { ...init, headers: this.headers(url) }, timeoutMs, signal);
  }

  private headers(url: string): Record<string, string> {
    const headers: Record<string, string> = {
      'User-Agent': USER_AGENT,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    };
    // The token goes only where the datasource points, never to a link on another host or scheme.
    if (new URL(url).origin === this.origin) headers.Authorization = `Bearer ${this.config.token}`;
    return headers;
  }
}
