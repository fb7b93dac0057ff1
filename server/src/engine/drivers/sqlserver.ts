/**
 * SQL Server through `tedious` (pure JavaScript, TDS 7.4). One connection per
 * run, closed afterwards, like the Postgres and MySQL drivers. The query goes
 * as one SQL batch; rows stream in, and once one row past maxRows has arrived
 * the batch is cancelled with an ATTENTION, so a preview never reads a whole
 * table. A cancel (the run's signal, which also carries the session's time
 * limit) sends the same ATTENTION: the server stops the statement, which
 * dropping the socket alone would not do until the statement next wrote.
 *
 * The login asks for read-only intent (on an availability group with
 * read-only routing it lands on a readable secondary) and turns implicit
 * transactions on, so anything a query writes is rolled back when the
 * connection closes without a COMMIT. Values are normalised to the driver
 * contract (types.ts); dates are read in UTC, never the local time zone.
 *
 * When the connection must be encrypted (unless `Encrypt=no`), a server whose
 * PRELOGIN answer offers no encryption is refused before the login, and with
 * it the password, is sent: see sqlserver-prelogin.ts.
 */
import { Connection, Request, type ConnectionConfiguration } from 'tedious';
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { cancelledError, driverError, type Redactor } from './errors';
import { checkRunOptions } from './limits';
import { bytesToHex, integerToJs, toRecord } from './normalise';
import type { SqlServerConfig } from './sqlserver-config';
import { encryptionRequiredConnector } from './sqlserver-prelogin';
import type { Driver, ResultSet, RunOptions } from './types';

const CONNECT_TIMEOUT_MS = 15_000;

/** What this driver reads of tedious' column metadata. */
interface Column {
  colName: string;
  type: { name: string };
  dataLength?: number | undefined;
}

interface Cell {
  value: unknown;
}

/** tedious reads 64-bit integers as their decimal text; IntN is the nullable integer of any width. */
const TEXT_INTEGER_TYPES = new Set(['BigInt', 'IntN']);

/** `.fffffff` of a date-time, to SQL Server's 100 ns; tedious keeps what a Date cannot in `nanosecondsDelta` (seconds). */
function fraction(date: Date): string {
  const delta = (date as Date & { nanosecondsDelta?: number }).nanosecondsDelta ?? 0;
  const ticks = date.getUTCMilliseconds() * 10_000 + Math.round(delta * 1e7);
  const digits = String(ticks).padStart(7, '0').replace(/0+$/, '');
  return digits === '' ? '' : `.${digits}`;
}

/** tedious' Dates are UTC (useUTC), so their ISO text is the stored value. */
function dateText(type: string, date: Date): string {
  const iso = date.toISOString();
  switch (type) {
    case 'Date':
      return iso.slice(0, 10);
    case 'Time':
      return `${iso.slice(11, 19)}${fraction(date)}`;
    case 'DateTimeOffset':
      // tedious gives the moment; the offset it was written with is not kept, and the contract wants UTC.
      return `${iso.slice(0, 19)}${fraction(date)}Z`;
    default:
      // datetime, smalldatetime, datetime2: no time zone.
      return `${iso.slice(0, 19)}${fraction(date)}`;
  }
}

/** A REAL (float32) as the shortest decimal that reads back to it: 0.1, not 0.10000000149011612. */
function float32ToJs(value: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(value.toPrecision(digits));
    if (Math.fround(shorter) === value) return shorter;
  }
  return value;
}

function isReal(column: Column): boolean {
  return column.type.name === 'Real' || (column.type.name === 'FloatN' && column.dataLength === 4);
}

/** One value as the driver contract wants it; tedious already gives numbers, booleans and strings. */
export function sqlServerValue(column: Column, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return dateText(column.type.name, value);
  if (Buffer.isBuffer(value)) return bytesToHex(value);
  if (typeof value === 'string' && TEXT_INTEGER_TYPES.has(column.type.name)) return integerToJs(BigInt(value));
  if (typeof value === 'number' && isReal(column)) return float32ToJs(value);
  return value;
}

/** Several ERROR tokens in one answer reach us as an AggregateError, whose own message is empty. */
function plainError(error: unknown): unknown {
  if (!(error instanceof AggregateError)) return error;
  const messages = (error.errors as unknown[]).map((inner) => (inner instanceof Error ? inner.message : String(inner)));
  return new Error(messages.join(' '));
}

function certificateHint(message: string, config: SqlServerConfig): string {
  if (config.encrypt === false || config.trustServerCertificate || !/certificate/i.test(message)) return message;
  return (
    `${message} The server's TLS certificate is not trusted. For a server with a self-signed certificate ` +
    '(a local or Docker SQL Server), add ?TrustServerCertificate=yes to a connection_string.'
  );
}

function noop(): void {}

/** Set when the server's PRELOGIN answer offered no encryption and the connection was ended there. */
interface Prelogin {
  refused: boolean;
}

/** A batch on its way: its result (answered as soon as it is known) and the end of tedious' request. */
interface Running {
  result: Promise<ResultSet>;
  ended: Promise<void>;
}

export class SqlServerDriver implements Driver {
  readonly dialect = 'sqlserver' as const;

  constructor(
    private readonly config: SqlServerConfig,
    private readonly redact: Redactor,
  ) {}

  async run(sql: string, options: RunOptions = {}): Promise<ResultSet> {
    checkRunOptions(options);
    const { signal, maxRows } = options;
    const prelogin: Prelogin = { refused: false };
    const connection = new Connection(this.connectionConfig(prelogin));
    // A dropped socket also fails the running request; without a listener it would crash the process.
    connection.on('error', noop);
    let ended = Promise.resolve();
    try {
      await this.connect(connection, prelogin, signal);
      const running = this.execute(connection, sql, maxRows ?? Number.POSITIVE_INFINITY, signal);
      ended = running.ended;
      return await running.result;
    } catch (error) {
      throw driverError(plainError(error), this.redact, 'query', signal);
    } finally {
      // Closed once tedious has the server's answer to any ATTENTION, so the cancel is not cut off on its way.
      void ended.then(() => connection.close());
    }
  }

  /** Nothing is held between runs, so there is nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private connectionConfig(prelogin: Prelogin): ConnectionConfiguration {
    const { host, port, database, user, password, encrypt, trustServerCertificate } = this.config;
    const refusal = (): SlayerError => {
      prelogin.refused = true;
      return this.noEncryptionOffered();
    };
    return {
      server: host,
      authentication: { type: 'default', options: { userName: user, password } },
      options: {
        port,
        ...(database ? { database } : {}),
        encrypt,
        trustServerCertificate,
        readOnlyIntent: true,
        enableImplicitTransactions: true,
        appName: 'slayer-studio',
        connectTimeout: CONNECT_TIMEOUT_MS,
        // 'strict' is TLS from the first byte; `false` asks for no encryption.
        ...(encrypt === true
          ? { connector: encryptionRequiredConnector({ host, port }, CONNECT_TIMEOUT_MS, refusal) }
          : {}),
        // No limit of tedious' own (its default is 15 s): the run's signal carries slayer.query.timeLimitSeconds.
        requestTimeout: 0,
        useUTC: true,
        // Lower case, as Postgres and DuckDB print a UUID.
        lowerCaseGuids: true,
      },
    };
  }

  /**
   * Waits for the login; a cancel answers at once, and a failed login is a connection error. A server
   * offering no encryption when it is required was refused by the connector before the login; a
   * connection that still ends up unencrypted (it should not) is refused before any query.
   */
  private connect(connection: Connection, prelogin: Prelogin, signal?: AbortSignal): Promise<void> {
    let secured = false;
    connection.once('secure', () => {
      secured = true;
    });
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        reject(cancelledError());
        connection.close();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      connection.connect((error) => {
        signal?.removeEventListener('abort', onAbort);
        if (prelogin.refused) return reject(this.noEncryptionOffered());
        if (!error && this.config.encrypt === true && !secured) return reject(this.notEncrypted());
        if (!error) return resolve();
        const plain = plainError(error);
        const message = certificateHint(plain instanceof Error ? plain.message : String(plain), this.config);
        reject(driverError(new Error(message), this.redact, 'connect'));
      });
    });
  }

  private noEncryptionOffered(): SlayerError {
    const { host, port } = this.config;
    return new SlayerError(
      ErrorCode.ConnectionFailed,
      this.redact(
        `The SQL Server at ${host}:${port} offered no encryption in its PRELOGIN answer, and this connection ` +
          'requires it, so it was closed and the login was not sent. Only for a server you know is local ' +
          '(or otherwise out of reach of others on the network), add ?Encrypt=no to a connection_string.',
      ),
    );
  }

  private notEncrypted(): SlayerError {
    const { host, port } = this.config;
    return new SlayerError(
      ErrorCode.ConnectionFailed,
      this.redact(
        `The connection to the SQL Server at ${host}:${port} was not encrypted, and this one asks for ` +
          'encryption; no query was sent. Only for a server without TLS, add ?Encrypt=no to a connection_string.',
      ),
    );
  }

  /**
   * Sends the batch and reads its first result set until the end, or until one row past
   * `limit` proves there were more. Later result sets of a multi-statement batch are ignored.
   */
  private execute(connection: Connection, sql: string, limit: number, signal?: AbortSignal): Running {
    let endRequest = noop;
    const ended = new Promise<void>((resolve) => (endRequest = resolve));
    const result = new Promise<ResultSet>((resolve, reject) => {
      let columns: Column[] = [];
      let names: string[] = [];
      let resultSets = 0;
      const rows: Record<string, unknown>[] = [];
      let truncated = false;
      // The run answers a cancel at once; the ATTENTION that stops the server's work goes on by itself.
      const onAbort = (): void => {
        connection.cancel();
        reject(cancelledError());
      };
      const request = new Request(sql, (error) => {
        signal?.removeEventListener('abort', onAbort);
        endRequest();
        if (truncated) resolve({ columns: names, rows, truncated: true });
        else if (error) reject(error);
        else resolve({ columns: names, rows, truncated: false });
      });
      request.on('columnMetadata', (metadata: Column[] | Record<string, Column>) => {
        resultSets += 1;
        if (resultSets > 1) return;
        columns = Array.isArray(metadata) ? metadata : Object.values(metadata);
        names = columns.map((column) => column.colName);
      });
      request.on('row', (cells: Cell[]) => {
        if (resultSets > 1 || truncated) return;
        if (rows.length >= limit) {
          // The row past the limit: stop the server's work and answer with what was asked for.
          truncated = true;
          connection.cancel();
          return;
        }
        const values = cells.map((cell, index) => {
          const column = columns[index];
          return column === undefined ? cell.value : sqlServerValue(column, cell.value);
        });
        rows.push(toRecord(names, values));
      });
      if (signal?.aborted) {
        endRequest();
        return reject(cancelledError());
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      connection.execSqlBatch(request);
    });
    return { result, ended };
  }
}
