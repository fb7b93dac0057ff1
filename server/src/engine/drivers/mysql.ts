/**
 * MySQL and MariaDB through `mysql2` (pure JavaScript). One connection per
 * run, ended afterwards, like the Postgres driver. Rows stream in; once one
 * row past maxRows has arrived the connection is dropped and the server's
 * query killed, so a preview never reads a whole table. Values are read as
 * text and normalised to the driver contract (types.ts): never through
 * JavaScript Dates, which would shift them by the local time zone.
 */
import { createConnection, type Connection, type ConnectionOptions, type FieldPacket, type TypeCast } from 'mysql2';
import { cancelledError, driverError, type Redactor } from './errors';
import { checkRunOptions } from './limits';
import { bytesToHex, integerToJs, normaliseTimestampText, toRecord } from './normalise';
import type { Driver, ResultSet, RunOptions } from './types';

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * UTC, so TIMESTAMP columns read the same whatever the server's zone; and 30
 * decimals for `/` and AVG over exact numbers, which MySQL otherwise cuts to
 * 4 (AVG of 1, 1, 2 would be 1.3333, not the 1.333… every other database gives).
 */
const SESSION_SETTINGS = "SET time_zone = '+00:00', div_precision_increment = 30";

/** Everything the server sends is read as text and turned into the contract's values here. */
const readValue: TypeCast = (field, next) => {
  switch (field.type) {
    case 'TINY':
      // TINYINT(1) is how MySQL spells BOOLEAN.
      return field.length === 1 ? booleanOf(field.string()) : next();
    case 'LONGLONG':
      return mapText(field.string(), (text) => integerToJs(BigInt(text)));
    case 'DECIMAL':
    case 'NEWDECIMAL':
      return mapText(field.string(), Number);
    case 'DATETIME':
    case 'DATETIME2':
    case 'TIMESTAMP':
    case 'TIMESTAMP2':
      return mapText(field.string(), normaliseTimestampText);
    case 'JSON':
      return field.string('utf8');
    default: {
      const value = next();
      return Buffer.isBuffer(value) ? bytesToHex(value) : value;
    }
  }
};

function mapText<T>(text: string | null, map: (text: string) => T): T | null {
  return text === null ? null : map(text);
}

function booleanOf(text: string | null): boolean | number | null {
  if (text === null) return null;
  const value = Number(text);
  return value === 0 || value === 1 ? value === 1 : value;
}

function noop(): void {}

export class MysqlDriver implements Driver {
  readonly dialect = 'mysql' as const;

  constructor(
    private readonly config: ConnectionOptions,
    private readonly redact: Redactor,
  ) {}

  async run(sql: string, options: RunOptions = {}): Promise<ResultSet> {
    checkRunOptions(options);
    const { signal, maxRows } = options;
    const connection = this.connect();
    const onAbort = (): void => this.killQuery(connection);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.ready(connection, signal);
      await this.call(connection, SESSION_SETTINGS);
      await this.call(connection, 'START TRANSACTION READ ONLY');
      return await this.stream(connection, sql, maxRows ?? Number.POSITIVE_INFINITY, signal);
    } catch (error) {
      throw driverError(error, this.redact, 'query', signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      connection.destroy();
    }
  }

  /** Nothing is held between runs, so there is nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private connect(): Connection {
    const connection = createConnection({
      connectTimeout: CONNECT_TIMEOUT_MS,
      ...this.config,
      dateStrings: true,
      supportBigNumbers: true,
      decimalNumbers: false,
      typeCast: readValue,
      multipleStatements: false,
    });
    // A dropped connection also fails the running query; without a listener it would crash the process.
    connection.on('error', noop);
    return connection;
  }

  /** Waits for the login; a cancel answers at once, and a failed login is a connection error. */
  private ready(connection: Connection, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(cancelledError());
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      connection.connect((error) => {
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(driverError(error, this.redact, 'connect'));
        else resolve();
      });
    });
  }

  private call(connection: Connection, sql: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      connection.query(sql, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Reads rows until the end, or until one past `limit` proves there were more. */
  private stream(connection: Connection, sql: string, limit: number, signal?: AbortSignal): Promise<ResultSet> {
    if (signal?.aborted) return Promise.reject(cancelledError());
    return new Promise<ResultSet>((resolve, reject) => {
      let columns: string[] = [];
      const rows: Record<string, unknown>[] = [];
      let done = false;
      const finish = (result: ResultSet | Error): void => {
        if (done) return;
        done = true;
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      // The run answers a cancel at once; the KILL QUERY that stops the server's work goes on by itself.
      signal?.addEventListener('abort', () => finish(cancelledError()), { once: true });
      const query = connection.query({ sql, rowsAsArray: true });
      query.on('fields', (fields: FieldPacket[]) => {
        columns = fields.map((field) => field.name);
      });
      query.on('result', (values: unknown) => {
        if (done) return;
        if (signal?.aborted) return finish(cancelledError());
        if (rows.length >= limit) {
          // The row past the limit: stop the server's work and answer with what was asked for.
          this.killQuery(connection);
          connection.destroy();
          return finish({ columns, rows, truncated: true });
        }
        rows.push(toRecord(columns, values as unknown[]));
      });
      query.on('error', (error: Error) => finish(error));
      // A killed SLEEP() or BENCHMARK() ends without an error; a cancelled run still answers Cancelled.
      query.on('end', () => finish(signal?.aborted ? cancelledError() : { columns, rows, truncated: false }));
    });
  }

  /**
   * `KILL QUERY` from a second connection stops the statement on the server;
   * dropping our own socket alone would leave it running to the end.
   */
  private killQuery(connection: Connection): void {
    const thread = connection.threadId;
    if (!thread) {
      connection.destroy();
      return;
    }
    const killer = createConnection({ connectTimeout: CONNECT_TIMEOUT_MS, ...this.config });
    killer.on('error', noop);
    killer.query(`KILL QUERY ${Number(thread)}`, () => {
      killer.destroy();
      connection.destroy();
    });
  }
}
