/**
 * Postgres through `pg` (pure JavaScript). One client per run, ended
 * afterwards, so nothing is held between runs. Rows come through a server-side
 * cursor in pages, so a query never sends more than maxRows + 1 rows; values
 * are parsed from Postgres' text form, never through JavaScript Dates (which
 * would shift DATE and TIMESTAMP values by the local time zone).
 */
import { Client, types as pgTypes, type ClientConfig, type CustomTypesConfig, type QueryArrayConfig } from 'pg';
import { cancelledError, driverError, type Redactor } from './errors';
import { checkRunOptions } from './limits';
import { integerToJs, normaliseTimestampText, normaliseTimestampTzText, toRecord } from './normalise';
import type { Driver, ResultSet, RunOptions } from './types';

const CURSOR = 'slayer_studio_cursor';
/** Rows per FETCH when reading everything. */
const PAGE_SIZE = 1000;
/** A cancel request can land between two statements and be lost, so it is repeated until the run ends. */
const CANCEL_RETRY_MS = 500;
const CONNECT_TIMEOUT_MS = 15_000;

const identity = (text: string): string => text;

/** Parsers by type OID for values in text format; everything else keeps pg's own parser. */
const SCALAR_PARSERS = new Map<number, (text: string) => unknown>([
  [20, (text) => integerToJs(BigInt(text))], // int8
  [1700, Number], // numeric
  [1082, identity], // date: already YYYY-MM-DD
  [1114, normaliseTimestampText], // timestamp
  [1184, normaliseTimestampTzText], // timestamptz
  [17, identity], // bytea: Postgres' own \x hex form
  [114, identity], // json: text, as DuckDB and SQLite return it
  [3802, identity], // jsonb
  [1186, identity], // interval
]);

/** Array OIDs of the types above, to their element OID. */
const ARRAY_ELEMENTS = new Map<number, number>([
  [1016, 20],
  [1231, 1700],
  [1182, 1082],
  [1115, 1114],
  [1185, 1184],
  [1001, 17],
  [199, 114],
  [3807, 3802],
  [1187, 1186],
]);

const TEXT_ARRAY = 1009;

/** @types/pg-types declares only the built-in scalar OIDs; pg-types takes any OID (arrays included). */
const builtinParser = pgTypes.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown;

function mapNested(value: unknown, parse: (text: string) => unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => mapNested(item, parse));
  return typeof value === 'string' ? parse(value) : value;
}

function arrayParser(elementParser: (text: string) => unknown): (text: string) => unknown {
  // text[]'s parser splits and unquotes the array literal; each element is then parsed as its own type.
  const splitArray = builtinParser(TEXT_ARRAY, 'text') as (text: string) => unknown;
  return (text) => mapNested(splitArray(text), elementParser);
}

function textParser(oid: number): ((text: string) => unknown) | undefined {
  const scalar = SCALAR_PARSERS.get(oid);
  if (scalar) return scalar;
  const element = ARRAY_ELEMENTS.get(oid);
  const elementParser = element === undefined ? undefined : SCALAR_PARSERS.get(element);
  return elementParser ? arrayParser(elementParser) : undefined;
}

const TYPES: CustomTypesConfig = {
  getTypeParser: (oid, format) =>
    (format === undefined || format === 'text' ? textParser(oid) : undefined) ?? builtinParser(oid, format),
};

/** pg's extended-protocol switch is real but missing from @types/pg; the extended protocol refuses multi-statement SQL. */
interface ExtendedQueryConfig extends QueryArrayConfig {
  queryMode: 'extended';
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A trailing `;` would end the DECLARE statement early. */
function withoutTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

function noop(): void {}

/**
 * Redshift speaks Postgres' wire protocol and its cursors, less NO SCROLL
 * (its DECLARE takes no options); everything else here serves both.
 */
export type PostgresFlavour = 'postgres' | 'redshift';

export class PostgresDriver implements Driver {
  /** `schema` (the datasource's schema_name) becomes the search_path of every run. */
  constructor(
    private readonly config: ClientConfig,
    private readonly schema: string | undefined,
    private readonly redact: Redactor,
    readonly dialect: PostgresFlavour = 'postgres',
  ) {}

  async run(sql: string, options: RunOptions = {}): Promise<ResultSet> {
    checkRunOptions(options);
    const { signal, maxRows } = options;
    const client = this.newClient();
    let settled = false;
    const onAbort = (): void => this.cancelUntilSettled(client, () => settled);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.connect(client, signal);
      return await this.fetch(client, sql, maxRows, signal);
    } catch (error) {
      throw driverError(error, this.redact, 'query', signal);
    } finally {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      await client.end().catch(noop);
    }
  }

  /** Nothing is held between runs, so there is nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private newClient(): Client {
    const client = new Client({
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'slayer-studio',
      ...this.config,
      types: TYPES,
    });
    // A dropped connection also rejects the running query; without a listener it would crash the process.
    client.on('error', noop);
    return client;
  }

  /** Connecting can hang on an unreachable host, so a cancel answers at once and the attempt ends on its own. */
  private async connect(client: Client, signal?: AbortSignal): Promise<void> {
    const connecting = client.connect().then(noop, (error: unknown) => {
      throw driverError(error, this.redact, 'connect');
    });
    if (!signal) return connecting;
    connecting.catch(noop); // its failure after a cancel is nobody's concern
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(cancelledError());
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void connecting.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async fetch(
    client: Client,
    sql: string,
    maxRows: number | undefined,
    signal?: AbortSignal,
  ): Promise<ResultSet> {
    // A cursor lives in a transaction; READ ONLY because a query never has reason to write.
    await client.query('BEGIN READ ONLY');
    if (this.schema) await client.query(`SET LOCAL search_path TO ${quoteIdentifier(this.schema)}`);
    const declare: ExtendedQueryConfig = {
      text: `DECLARE ${CURSOR} ${this.dialect === 'redshift' ? '' : 'NO SCROLL '}CURSOR FOR ${withoutTrailingSemicolons(sql)}`,
      rowMode: 'array',
      queryMode: 'extended',
    };
    await client.query(declare);
    return this.readPages(client, maxRows, signal);
  }

  private async readPages(client: Client, maxRows: number | undefined, signal?: AbortSignal): Promise<ResultSet> {
    const limit = maxRows ?? Number.POSITIVE_INFINITY;
    const rows: Record<string, unknown>[] = [];
    for (;;) {
      if (signal?.aborted) throw cancelledError();
      // Never ask for more than one row past the limit: that row only proves there were more.
      const want = Math.min(PAGE_SIZE, limit + 1 - rows.length);
      const page = await client.query({ text: `FETCH FORWARD ${want} FROM ${CURSOR}`, rowMode: 'array' });
      const columns = page.fields.map((field) => field.name);
      for (const values of page.rows as unknown[][]) {
        if (rows.length >= limit) return { columns, rows, truncated: true };
        rows.push(toRecord(columns, values));
      }
      if (page.rows.length < want) return { columns, rows, truncated: false };
    }
  }

  /** Cancels the backend's running statement from a second connection, again and again until the run ends. */
  private cancelUntilSettled(client: Client, isSettled: () => boolean): void {
    const attempt = (): void => {
      if (isSettled()) return;
      this.cancelBackend(client).then(
        () => setTimeout(attempt, CANCEL_RETRY_MS).unref(),
        () => client.end().catch(noop), // no second connection: dropping ours stops the query too
      );
    };
    attempt();
  }

  private async cancelBackend(client: Client): Promise<void> {
    // pg records the backend's process id at login; @types/pg does not declare the field.
    const pid: unknown = Reflect.get(client, 'processID');
    if (typeof pid !== 'number' || pid === 0) return; // not logged in yet: connect() answers the cancel itself
    const canceller = new Client({ connectionTimeoutMillis: CONNECT_TIMEOUT_MS, ...this.config });
    canceller.on('error', noop);
    try {
      await canceller.connect();
      await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await canceller.end().catch(noop);
    }
  }
}
