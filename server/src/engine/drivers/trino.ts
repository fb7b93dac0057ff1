/**
 * Trino (and PrestoDB) over Trino's HTTP client protocol, with Node's own
 * `fetch`: no client library, nothing native. A query is a POST of its SQL to
 * /v1/statement; its columns and rows then come in pages, each answer naming
 * the next one (`nextUri`) until the last. A DELETE on the current nextUri
 * cancels the query on the cluster, which is how a cancel and a met maxRows
 * stop the server's work. Nothing is held between runs.
 *
 * Trino writes BIGINT values as JSON numbers, which JSON.parse would round
 * past 2^53, so pages are read by a small JSON reader that keeps every number
 * as its source text until the column's type says what it is.
 */
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { cancelledError, driverError, type Redactor } from './errors';
import { isObject, textField, timedFetch, withRetries, type Answer } from './http-answers';
import { checkRunOptions } from './limits';
import { bytesToHex, integerToJs, normaliseTimestampText, normaliseTimestampTzText, toRecord } from './normalise';
import { passwordTransportProblem, type TrinoConfig } from './trino-config';
import { JsonNumber, readJson, toJsonText } from './trino-json';
import type { Driver, ResultSet, RunOptions } from './types';

/** Trino long-polls a page for about a second; a minute without an answer is a server or network gone quiet. */
const REQUEST_TIMEOUT_MS = 60_000;
/** A cancel is a courtesy to the cluster: it must never hold up the answer for long. */
const CANCEL_TIMEOUT_MS = 5_000;
/** A busy or starting coordinator answers 503; it is asked again a few times, briefly. */
const RETRIES_ON_503 = 3;
const SOURCE = 'slayer-studio';

// ---------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------

interface TrinoColumn {
  name: string;
  /** Trino's type text, e.g. `decimal(10,2)`, `timestamp(3) with time zone`, `array(bigint)`. */
  type: string;
  /** The type without its parameters, e.g. `decimal`, `timestamp with time zone`, `array`. */
  rawType: string;
}

interface TrinoPage {
  nextUri?: string;
  columns?: TrinoColumn[];
  data?: unknown[][];
  error?: { message: string; errorName?: string };
}

function unexpected(what: string): SlayerError {
  return new SlayerError(ErrorCode.DatabaseError, `Trino sent an answer this driver does not understand: ${what}.`);
}

/** `timestamp(3) with time zone` -> `timestamp with time zone`; `array(row(a integer))` -> `array`. */
function rawTypeOf(type: string): string {
  const outer = /^(array|map|row)\(/i.exec(type)?.[1];
  return (outer ?? type.replace(/\([^)]*\)/g, '')).trim().toLowerCase();
}

function columnOf(value: unknown): TrinoColumn {
  if (!isObject(value)) throw unexpected('a column that is not an object');
  const name = textField(value, 'name');
  const type = textField(value, 'type');
  if (name === undefined || type === undefined) throw unexpected('a column without a name or type');
  const signature = value.typeSignature;
  const rawType = (isObject(signature) ? textField(signature, 'rawType') : undefined) ?? rawTypeOf(type);
  return { name, type, rawType: rawType.toLowerCase() };
}

function errorOf(value: unknown): TrinoPage['error'] {
  if (!isObject(value)) return undefined;
  const errorName = textField(value, 'errorName');
  return { message: textField(value, 'message') ?? 'Trino reported an error without a message.', errorName };
}

function pageOf(value: unknown): TrinoPage {
  if (!isObject(value)) throw unexpected('a page that is not a JSON object');
  const { columns, data } = value;
  if (columns !== undefined && !Array.isArray(columns)) throw unexpected('columns that are not a list');
  if (data !== undefined && !(Array.isArray(data) && data.every(Array.isArray))) {
    throw unexpected('data that is not a list of rows');
  }
  const page: TrinoPage = {};
  const nextUri = textField(value, 'nextUri');
  if (nextUri !== undefined) page.nextUri = nextUri;
  if (columns) page.columns = columns.map(columnOf);
  if (data) page.data = data as unknown[][];
  if (value.error !== undefined && value.error !== null) page.error = errorOf(value.error);
  return page;
}

function trinoError(error: NonNullable<TrinoPage['error']>): SlayerError {
  const message = error.errorName ? `${error.errorName}: ${error.message}` : error.message;
  return new SlayerError(ErrorCode.DatabaseError, message);
}

// ---------------------------------------------------------------------------
// Values: Trino's JSON encoding to the driver contract (types.ts)
// ---------------------------------------------------------------------------

type Convert = (value: unknown) => unknown;

const numberText = (value: unknown): string => (value instanceof JsonNumber ? value.text : String(value));

/** Exact integers as numbers, past 2^53 as their decimal string, like every other driver. */
const integer: Convert = (value) => {
  const text = numberText(value);
  return /^-?\d+$/.test(text) ? integerToJs(BigInt(text)) : Number(text);
};

/** DOUBLE and REAL are JSON numbers, or the strings "NaN", "Infinity", "-Infinity"; DECIMAL is a string. */
const float: Convert = (value) => Number(numberText(value));

const asText = (convert: (text: string) => unknown): Convert => {
  return (value) => (typeof value === 'string' ? convert(value) : plain(value));
};

/** Trino writes a zone's name, `UTC` included, where the contract wants an offset. */
function timestampTz(text: string): string {
  return normaliseTimestampTzText(text.replace(/\s+(?:UTC|GMT|Z)$/i, 'Z'));
}

/** VARBINARY comes as base64; the contract's binary form is `\x` and hex. */
const varbinary = (text: string): string => bytesToHex(Buffer.from(text, 'base64'));

/** Any type not named below: numbers as numbers, text as text, nested values as JSON text. */
function plain(value: unknown): unknown {
  if (value instanceof JsonNumber) return integer(value);
  if (value !== null && typeof value === 'object') return toJsonText(value);
  return value;
}

const CONVERTERS = new Map<string, Convert>([
  ['tinyint', integer],
  ['smallint', integer],
  ['integer', integer],
  ['bigint', integer],
  ['real', float],
  ['double', float],
  ['decimal', float],
  ['timestamp', asText(normaliseTimestampText)],
  ['timestamp with time zone', asText(timestampTz)],
  ['varbinary', asText(varbinary)],
  // ARRAY, MAP and ROW (a list of its fields' values) as JSON text; JSON is already its text.
  ['array', toJsonText],
  ['map', toJsonText],
  ['row', toJsonText],
]);

function converterFor(column: TrinoColumn): Convert {
  const convert = CONVERTERS.get(column.rawType) ?? plain;
  return (value) => (value === null || value === undefined ? null : convert(value));
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

function httpError(answer: Answer): SlayerError {
  const detail = answer.body.trim().slice(0, 300);
  const suffix = detail ? `: ${detail}` : '.';
  if (answer.status === 401 || answer.status === 403) {
    return new SlayerError(ErrorCode.ConnectionFailed, `Trino refused the login (HTTP ${answer.status})${suffix}`);
  }
  return new SlayerError(ErrorCode.DatabaseError, `Trino answered HTTP ${answer.status}${suffix}`);
}

/** Trino refuses a statement that ends in `;`. */
function withoutTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

function noop(): void {}

/** Where a run has got to: the nextUri a cancel must DELETE. */
interface Progress {
  nextUri?: string;
}

export class TrinoDriver implements Driver {
  readonly dialect = 'trino' as const;
  private readonly origin: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly config: TrinoConfig,
    private readonly redact: Redactor,
  ) {
    this.origin = new URL(config.server).origin;
    this.timeoutMs = config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  async run(sql: string, options: RunOptions = {}): Promise<ResultSet> {
    checkRunOptions(options);
    const problem = passwordTransportProblem(this.config);
    if (problem) throw new SlayerError(ErrorCode.InvalidInput, `Trino: ${problem}.`);
    const { signal, maxRows } = options;
    const progress: Progress = {};
    try {
      return await this.readAll(sql, maxRows ?? Number.POSITIVE_INFINITY, progress, signal);
    } catch (error) {
      // A failed or cancelled run stops the query on the cluster too; the answer does not wait for that.
      if (progress.nextUri) this.cancel(progress.nextUri).catch(noop);
      throw driverError(error, this.redact, 'query', signal);
    }
  }

  /** Nothing is held between runs, so there is nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Follows nextUri until the last page, or until one row past `limit` proves there were more. */
  private async readAll(sql: string, limit: number, progress: Progress, signal?: AbortSignal): Promise<ResultSet> {
    const init = { method: 'POST', body: withoutTrailingSemicolons(sql) };
    let page = await this.send(`${this.config.server}/v1/statement`, init, signal);
    let columns: TrinoColumn[] | undefined;
    let converters: Convert[] = [];
    const rows: Record<string, unknown>[] = [];
    for (;;) {
      progress.nextUri = page.nextUri;
      if (page.error) throw trinoError(page.error);
      if (!columns && page.columns) {
        columns = page.columns;
        converters = columns.map(converterFor);
      }
      const names = columns?.map((column) => column.name) ?? [];
      for (const values of page.data ?? []) {
        if (rows.length >= limit) return this.truncated(names, rows, progress);
        rows.push(
          toRecord(
            names,
            values.map((value, index) => (converters[index] ?? plain)(value)),
          ),
        );
      }
      if (!page.nextUri) return { columns: names, rows, truncated: false };
      if (signal?.aborted) throw cancelledError();
      page = await this.send(page.nextUri, { method: 'GET' }, signal);
    }
  }

  /**
   * The row past the limit has arrived: the query is cancelled before the
   * answer, since the server just answered and a DELETE is quick, so no run
   * returns while its query still works on the cluster.
   */
  private async truncated(columns: string[], rows: Record<string, unknown>[], progress: Progress): Promise<ResultSet> {
    const uri = progress.nextUri;
    progress.nextUri = undefined;
    if (uri) await this.cancel(uri).catch(noop);
    return { columns, rows, truncated: true };
  }

  /** One protocol call, asked again after a 503; a page with `error` is still a page (the caller throws it). */
  private async send(url: string, init: RequestInit, signal?: AbortSignal): Promise<TrinoPage> {
    const send = (): Promise<Answer> => this.request(url, init, this.timeoutMs, signal);
    const answer = await withRetries(send, (busy) => busy.status === 503, RETRIES_ON_503, signal);
    if (answer.status !== 200) throw httpError(answer);
    return pageOf(readJson(answer.body));
  }

  /** Trino's cancel: DELETE on the query's current nextUri. */
  private async cancel(uri: string): Promise<void> {
    await this.request(uri, { method: 'DELETE' }, CANCEL_TIMEOUT_MS);
  }

  /** fetch with a time limit on the whole call, body included, and errors that say what failed. */
  private request(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
    const endpoint = { engine: 'Trino', origin: this.origin };
    return timedFetch(endpoint, url, { ...init, headers: this.headers(url) }, timeoutMs, signal);
  }

  private headers(url: string): Record<string, string> {
    const prefix = this.config.headerPrefix;
    const { user, password, catalog, schema } = this.config;
    const headers: Record<string, string> = {
      [`${prefix}User`]: user,
      [`${prefix}Source`]: SOURCE,
      // Like the MySQL driver's session: values of the session's zone (current_timestamp...) come in UTC.
      [`${prefix}Time-Zone`]: 'UTC',
      'User-Agent': SOURCE,
      'Content-Type': 'text/plain; charset=utf-8',
    };
    if (catalog) headers[`${prefix}Catalog`] = catalog;
    if (schema) headers[`${prefix}Schema`] = schema;
    // The password goes only where the datasource points: never to a nextUri on another host or scheme.
    if (password !== undefined && new URL(url).origin === this.origin) {
      headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    return headers;
  }
}
