/**
 * ClickHouse over its HTTP interface, with Node's own http/https modules: no
 * client library, nothing native. The official @clickhouse/client reads rows
 * with column types only through JSONCompactEachRowWithNamesAndTypes, which
 * older servers (Debian's 18.16) do not know, and logs to the console; plain
 * HTTP is a few dozen lines.
 *
 * A run is one POST of the SQL, answered as TabSeparatedWithNamesAndTypes
 * (column names, then types, then one row per line) and read as it streams
 * in. Once one row past maxRows has arrived the connection is dropped and the
 * server's query killed by its query_id from a second request; a cancel does
 * the same. Every query runs with join_use_nulls = 1, without which an
 * unmatched LEFT JOIN row gives 0 and '' instead of NULL (a silent wrong
 * answer), and readonly = 2: no writes, but settings may still be set.
 * Nothing is held between runs.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import type { ClickHouseConfig } from './clickhouse-config';
import { cancelledError, driverError, type Redactor } from './errors';
import { checkRunOptions } from './limits';
import { readerFor, splitTsvLine, unescapeTsv, type ValueReader } from './clickhouse-values';
import { toRecord } from './normalise';
import type { Driver, ResultSet, RunOptions } from './types';

/** The limit on reaching the server; a query itself may then run as long as the caller's signal allows. */
const CONNECT_TIMEOUT_MS = 15_000;
/** A kill is a courtesy to the server: it must never hold anything up for long. */
const KILL_TIMEOUT_MS = 5_000;
/** A kill sent before the server registered the query finds nothing, so it is tried again, briefly. */
const KILL_ATTEMPTS = 3;
const KILL_RETRY_MS = 300;
/** An error answer is a message; more than this is not worth reading. */
const ERROR_BODY_LIMIT = 64 * 1024;
const FORMAT = 'TabSeparatedWithNamesAndTypes';
/** Settings every ClickHouse release since 18.16 knows: an unknown one fails the whole request. */
const QUERY_SETTINGS: Record<string, string> = { join_use_nulls: '1', readonly: '2' };
/** ClickHouse's codes for a refused login: unknown user, wrong password, too many tries, address not allowed, failed authentication. */
const LOGIN_ERROR_CODES = new Set([192, 193, 194, 195, 516]);

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** 18.16 ends every message with `, e.what() = DB::Exception`, which says nothing. */
function cleanMessage(text: string): string {
  return text
    .replace(/__exception__/g, '')
    .replace(/, e\.what\(\) = DB::Exception\s*$/, '')
    .trim();
}

/** ClickHouse's own error text; a refused login is a connection failure, anything else the query's. */
export function clickHouseError(text: string, status?: number): SlayerError {
  const message = cleanMessage(text);
  const code = Number(/^Code: (\d+)/.exec(message)?.[1]);
  const login = LOGIN_ERROR_CODES.has(code) || status === 401 || status === 403;
  return new SlayerError(
    login ? ErrorCode.ConnectionFailed : ErrorCode.DatabaseError,
    message || `ClickHouse answered HTTP ${status ?? 'with nothing'}.`,
  );
}

/** A line where ClickHouse broke off its rows with an error (18.16's form, today's, and the framed one of 24.x). */
const EXCEPTION_LINE = /^(?:__exception__|Code: \d+(?:, e\.displayText\(\) = |\. )DB::Exception)/;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------
// The streamed answer
// ---------------------------------------------------------------------------

/** Reads the body line by line: names, types, then rows until one past the limit. */
class TsvRows {
  private columns: string[] = [];
  private readers: ValueReader[] = [];
  private readonly rows: Record<string, unknown>[] = [];
  private phase: 'names' | 'types' | 'rows' = 'names';
  private pending = '';
  /** ClickHouse's error text once it broke off the rows with one; the rest of the body is more of it. */
  private failure: string | undefined;
  private truncated = false;

  constructor(private readonly limit: number) {}

  /** Takes the next piece of the body; true once a row past the limit proved there are more. */
  push(text: string): boolean {
    if (this.failure !== undefined) {
      this.failure += text;
      return false;
    }
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    for (const [index, line] of lines.entries()) {
      if (EXCEPTION_LINE.test(line)) {
        this.failure = [...lines.slice(index), this.pending].join('\n');
        return false;
      }
      if (this.take(line)) return true;
    }
    return false;
  }

  /** The result once the body has ended; ClickHouse's error when it broke off with one. */
  end(): ResultSet {
    const last = this.pending;
    this.pending = '';
    if (last !== '' && this.failure === undefined) this.push(`${last}\n`);
    if (this.failure !== undefined) throw clickHouseError(this.failure);
    if (this.phase !== 'rows') {
      throw new SlayerError(ErrorCode.DatabaseError, 'ClickHouse ended its answer before naming the columns.');
    }
    return this.result();
  }

  result(): ResultSet {
    return { columns: this.columns, rows: this.rows, truncated: this.truncated };
  }

  private take(line: string): boolean {
    const fields = splitTsvLine(line);
    if (this.phase === 'names') {
      this.columns = fields.map(unescapeTsv);
      this.phase = 'types';
    } else if (this.phase === 'types') {
      this.readers = fields.map((field) => readerFor(unescapeTsv(field)));
      this.phase = 'rows';
    } else if (this.rows.length >= this.limit) {
      this.truncated = true;
      return true;
    } else {
      this.rows.push(toRecord(this.columns, this.values(fields)));
    }
    return false;
  }

  private values(fields: string[]): unknown[] {
    if (fields.length !== this.readers.length) {
      throw new SlayerError(
        ErrorCode.DatabaseError,
        `ClickHouse sent a row of ${fields.length} values for ${this.readers.length} columns.`,
      );
    }
    return this.readers.map((read, index) => read(fields[index] ?? '\\N'));
  }
}

// ---------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------

function noop(): void {}

/** How a run ends: its result or error, and whether the server's query must be stopped. */
type Finish = (outcome: ResultSet | Error, stopServerQuery: boolean) => void;

export class ClickHouseDriver implements Driver {
  readonly dialect = 'clickhouse' as const;
  private readonly https: boolean;

  constructor(
    private readonly config: ClickHouseConfig,
    private readonly redact: Redactor,
  ) {
    this.https = config.server.startsWith('https:');
  }

  async run(sql: string, options: RunOptions = {}): Promise<ResultSet> {
    checkRunOptions(options);
    const { signal, maxRows } = options;
    try {
      return await this.query(sql, maxRows ?? Number.POSITIVE_INFINITY, signal);
    } catch (error) {
      throw driverError(error, this.redact, 'query', signal);
    }
  }

  /** Nothing is held between runs, so there is nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private query(sql: string, limit: number, signal?: AbortSignal): Promise<ResultSet> {
    const queryId = randomUUID();
    const params = new URLSearchParams({
      query_id: queryId,
      database: this.config.database,
      default_format: FORMAT,
      ...QUERY_SETTINGS,
    });
    return new Promise<ResultSet>((resolve, reject) => {
      const rows = new TsvRows(limit);
      const request = this.send(params);
      let done = false;
      let connected = false;
      const finish: Finish = (outcome, stopServerQuery) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        request.destroy();
        if (stopServerQuery) this.killQuery(queryId);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onAbort = (): void => finish(cancelledError(), true);
      const timer = setTimeout(
        () => finish(this.unreachable(`no connection within ${CONNECT_TIMEOUT_MS / 1000}s`), false),
        CONNECT_TIMEOUT_MS,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      request.on('socket', (socket) => {
        socket.once(this.https ? 'secureConnect' : 'connect', () => {
          connected = true;
          clearTimeout(timer);
        });
      });
      request.on('error', (error) =>
        finish(connected ? this.broken(error) : this.unreachable(messageOf(error)), connected),
      );
      request.on('response', (response) => this.read(response, rows, finish));
      request.end(sql);
    });
  }

  /** A POST to the server; credentials go in a header, never in the URL an error could show. */
  private send(params: URLSearchParams): http.ClientRequest {
    const url = new URL('/', this.config.server);
    url.search = params.toString();
    const credentials = `${this.config.username}:${this.config.password ?? ''}`;
    return (this.https ? https : http).request(url, {
      method: 'POST',
      agent: false,
      headers: {
        authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`,
        'content-type': 'text/plain; charset=utf-8',
        'user-agent': 'slayer-studio',
      },
    });
  }

  private read(response: http.IncomingMessage, rows: TsvRows, finish: Finish): void {
    if (response.statusCode !== 200) {
      readText(response, ERROR_BODY_LIMIT).then(
        (text) => finish(clickHouseError(text, response.statusCode), false),
        (error: unknown) => finish(this.broken(error), false),
      );
      return;
    }
    response.setEncoding('utf8'); // a UTF-8 character split across two chunks decodes whole
    response.on('data', (chunk: string) => {
      try {
        if (rows.push(chunk)) finish(rows.result(), true);
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)), true);
      }
    });
    response.on('end', () => {
      try {
        finish(rows.end(), false);
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)), false);
      }
    });
    response.on('error', (error) => finish(this.broken(error), true));
  }

  /**
   * Dropping the connection alone stops a ClickHouse query only when it next
   * writes rows, which an aggregation may not do for hours: `KILL QUERY` from
   * a second request stops it now. It answers with the queries it found; none
   * may mean the query is not registered yet, so it is tried again briefly.
   */
  private killQuery(queryId: string, attempt = 1): void {
    const sql = `KILL QUERY WHERE query_id = '${queryId}' ASYNC`;
    this.post(sql, KILL_TIMEOUT_MS).then((answer) => {
      if (answer.trim() !== '' || attempt >= KILL_ATTEMPTS) return;
      setTimeout(() => this.killQuery(queryId, attempt + 1), KILL_RETRY_MS).unref();
    }, noop);
  }

  /** A whole request and its answer's text, within `timeoutMs`. */
  private post(sql: string, timeoutMs: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const request = this.send(new URLSearchParams());
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.on('response', (response) => {
        readText(response, ERROR_BODY_LIMIT).then((text) => {
          clearTimeout(timer);
          if (response.statusCode === 200) resolve(text);
          else reject(clickHouseError(text, response.statusCode));
        }, reject);
      });
      request.end(sql);
    });
  }

  private unreachable(reason: string): SlayerError {
    return new SlayerError(
      ErrorCode.ConnectionFailed,
      `ClickHouse at ${this.config.server} could not be reached: ${reason}.`,
    );
  }

  private broken(error: unknown): SlayerError {
    return new SlayerError(
      ErrorCode.DatabaseError,
      `The connection to ClickHouse at ${this.config.server} broke off: ${messageOf(error)}.`,
    );
  }
}

/** A response's body as text, up to `limit` characters. */
function readText(response: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (text.length < limit) text += chunk.slice(0, limit - text.length);
    });
    response.on('end', () => resolve(text));
    response.on('error', reject);
  });
}
