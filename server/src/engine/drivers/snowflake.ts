/**
 * Snowflake over its SQL API (v2), with Node's own `fetch` and `node:crypto`:
 * no client library, nothing native. A query is a POST of its SQL to
 * /api/v2/statements, asynchronously, so the statement's handle comes back at
 * once and a cancel can always reach it (POST .../{handle}/cancel). The
 * statement is then polled (202 while it runs) until its result (200): the
 * first partition of rows comes with it, the others are read one GET at a
 * time (`?partition=N`) until the preview cap is met. A statement that fails
 * answers 422, one past its `timeout` 408. Nothing is held between runs.
 *
 * Authentication is a key-pair JWT signed here with the user's private key
 * (RS256, valid for just under an hour, renewed before it ends) or an OAuth or
 * programmatic access token (see snowflake-config.ts). Every error is passed
 * through a redactor that masks the token, the JWT, the key, its passphrase
 * and anything shaped like a JWT or a PEM block.
 *
 * The SQL API writes every value as a string (or null), so no digits are lost
 * in transit; the column's rowType (type and scale) decides what each string
 * becomes (types.ts).
 */
import { randomUUID, sign } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { cancelledError, driverError, type Redactor } from './errors';
import { isObject, textField, timedFetch, withRetries, type Answer } from './http-answers';
import { checkRunOptions } from './limits';
import { bytesToHex, integerToJs, toRecord } from './normalise';
import {
  loadSnowflakeConfig,
  SECRET_OPTIONS,
  type SnowflakeAuth,
  type SnowflakeConfig,
  type SnowflakeSettings,
  type SnowflakeSources,
} from './snowflake-config';
import type { Driver, ResultSet, RunOptions } from './types';

/** Each call answers at once (the POST is asynchronous); a minute without an answer is a server gone quiet. */
const REQUEST_TIMEOUT_MS = 60_000;
/** A cancel is a courtesy to the warehouse: it must never hold up the answer for long. */
const CANCEL_TIMEOUT_MS = 5_000;
/** A busy account answers 429 (too many requests) or 503; it is asked again a few times, briefly. */
const RETRIES = 3;
const BUSY_STATUSES = new Set([429, 503]);
/** Polls start quick (most editor queries end within a moment) and slow down for long ones. */
const POLL_INTERVAL_MS = 100;
const MAX_POLL_INTERVAL_MS = 2_000;
/** Snowflake accepts a JWT for at most an hour; one is renewed when it has less than five minutes left. */
const JWT_LIFETIME_SECONDS = 59 * 60;
const JWT_RENEW_SECONDS = 5 * 60;
const STATEMENTS = '/api/v2/statements';
const SOURCE = 'slayer-studio';
const MASK = '***';

// ---------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------

interface SnowflakeColumn {
  name: string;
  /** rowType's type, upper case: FIXED, REAL, TEXT, DATE, TIMESTAMP_TZ... */
  type: string;
  scale: number;
}

/** A finished statement: its columns, the first partition's rows, and how many partitions there are. */
interface Result {
  columns: SnowflakeColumn[];
  rows: unknown[][];
  partitions: number;
}

function unexpected(what: string): SlayerError {
  return new SlayerError(ErrorCode.DatabaseError, `Snowflake sent an answer this driver does not understand: ${what}.`);
}

function columnOf(value: unknown): SnowflakeColumn {
  if (!isObject(value)) throw unexpected('a column that is not an object');
  const name = textField(value, 'name');
  if (name === undefined) throw unexpected('a column without a name');
  const scale = typeof value.scale === 'number' ? value.scale : 0;
  return { name, type: (textField(value, 'type') ?? 'TEXT').toUpperCase(), scale };
}

/** `data`: rows as lists of strings or nulls. */
function rowsOf(body: Record<string, unknown>): unknown[][] {
  const data = body.data ?? [];
  if (!(Array.isArray(data) && data.every(Array.isArray))) throw unexpected('data that is not a list of rows');
  return data as unknown[][];
}

function resultOf(body: Record<string, unknown>): Result {
  const meta = body.resultSetMetaData;
  if (!isObject(meta)) throw unexpected('a result without resultSetMetaData');
  const rowType = meta.rowType ?? [];
  if (!Array.isArray(rowType)) throw unexpected('a rowType that is not a list');
  const partitionInfo = meta.partitionInfo;
  const partitions = Array.isArray(partitionInfo) && partitionInfo.length > 0 ? partitionInfo.length : 1;
  return { columns: rowType.map(columnOf), rows: rowsOf(body), partitions };
}

function handleOf(body: Record<string, unknown>): string {
  const handle = textField(body, 'statementHandle');
  if (handle === undefined) throw unexpected('a running statement without a statementHandle');
  return handle;
}

/** Snowflake's failure body: `{code, message, sqlState, statementHandle}`; anything else as its first characters. */
function detailOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isObject(parsed) && typeof parsed.message === 'string') {
      const code = textField(parsed, 'code');
      const sqlState = textField(parsed, 'sqlState');
      const tags = [code && `code ${code}`, sqlState && `SQLSTATE ${sqlState}`].filter(Boolean);
      return tags.length > 0 ? `${parsed.message} (${tags.join(', ')})` : parsed.message;
    }
  } catch {
    // not JSON: shown as text below
  }
  return body.trim().slice(0, 300);
}

function httpError(answer: Answer, config: SnowflakeConfig): SlayerError {
  const detail = detailOf(answer.body);
  if (answer.status === 422) return new SlayerError(ErrorCode.DatabaseError, detail);
  if (answer.status === 408) {
    return new SlayerError(
      ErrorCode.TimedOut,
      `Snowflake stopped the statement at its time limit of ${config.statementTimeoutSeconds} s ` +
        `(statement_timeout_in_seconds): ${detail}`,
    );
  }
  const suffix = detail ? `: ${detail}` : '.';
  if (answer.status === 401 || answer.status === 403) {
    return new SlayerError(
      ErrorCode.ConnectionFailed,
      `Snowflake refused the credentials (HTTP ${answer.status})${suffix}`,
    );
  }
  return new SlayerError(ErrorCode.DatabaseError, `Snowflake answered HTTP ${answer.status}${suffix}`);
}

// ---------------------------------------------------------------------------
// Values: the SQL API's strings to the driver contract (types.ts)
// ---------------------------------------------------------------------------

type Convert = (text: string) => unknown;

const SPECIAL_FLOATS: Readonly<Record<string, number>> = {
  inf: Number.POSITIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
  nan: Number.NaN,
};

/** REAL, DECFLOAT and a FIXED with a scale: numbers (`inf` and `NaN` as Snowflake writes them). */
const float: Convert = (text) => SPECIAL_FLOATS[text.toLowerCase()] ?? Number(text);

/** FIXED with scale 0: an integer, exact as a string past 2^53. */
const integer: Convert = (text) => (/^[+-]?\d+$/.test(text) ? integerToJs(BigInt(text)) : Number(text));

const boolean: Convert = (text) => /^(?:true|1)$/i.test(text);

/** `seconds[.fraction]` since the epoch (sign allowed): whole seconds, floored, and the fraction's digits. */
function epochOf(text: string): { seconds: number; fraction: string } | undefined {
  const match = /^([+-]?)(\d+)(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!match?.[2]) return undefined;
  let seconds = Number(match[2]);
  let nanos = Number((match[3] ?? '').padEnd(9, '0'));
  if (match[1] === '-') {
    seconds = -seconds;
    if (nanos > 0) {
      seconds -= 1;
      nanos = 1_000_000_000 - nanos;
    }
  }
  const fraction = nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
  return { seconds, fraction };
}

/** `YYYY-MM-DDTHH:MM:SS` of a count of seconds since the epoch, read as UTC. */
function dateTimeOf(seconds: number): string | undefined {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace(/\.\d{3}Z$/, '');
}

/** DATE: a count of days since the epoch. */
const day: Convert = (text) => {
  if (!/^[+-]?\d+$/.test(text)) return text;
  return dateTimeOf(Number(text) * 86_400)?.slice(0, -9) ?? text;
};

/** TIME: seconds since midnight, as `HH:MM:SS` and a fraction when there is one. */
const time: Convert = (text) => wallClockText(text)?.slice(11) ?? text;

/** `seconds[.fraction]` since the epoch as `YYYY-MM-DDTHH:MM:SS[.fff]`, or undefined when it is not that. */
function wallClockText(text: string): string | undefined {
  const epoch = epochOf(text);
  const clock = epoch && dateTimeOf(epoch.seconds);
  return epoch && clock ? `${clock}${epoch.fraction}` : undefined;
}

/** TIMESTAMP_NTZ: wall-clock time, written as seconds since the epoch as if it were UTC. */
const wallClock: Convert = (text) => wallClockText(text) ?? text;

/**
 * TIMESTAMP_LTZ, and TIMESTAMP_TZ (`seconds offset`, the offset in minutes
 * plus 1440): a moment, shown in UTC like every driver's; the zone it was
 * written in does not change the moment.
 */
const moment: Convert = (text) => {
  const [seconds = '', offset, ...rest] = text.trim().split(/\s+/);
  const utc = wallClockText(seconds);
  if (utc === undefined || rest.length > 0 || (offset !== undefined && !/^\d+$/.test(offset))) return text;
  return `${utc}Z`;
};

/** BINARY comes as hex; the contract's binary form is `\x` and lowercase hex. */
const binary: Convert = (text) => bytesToHex(Buffer.from(text, 'hex'));

const CONVERTERS = new Map<string, Convert>([
  ['REAL', float],
  ['FLOAT', float],
  ['DOUBLE', float],
  ['DECFLOAT', float],
  ['BOOLEAN', boolean],
  ['DATE', day],
  ['TIME', time],
  ['TIMESTAMP', wallClock],
  ['TIMESTAMP_NTZ', wallClock],
  ['TIMESTAMP_LTZ', moment],
  ['TIMESTAMP_TZ', moment],
  ['BINARY', binary],
  // TEXT, and VARIANT/OBJECT/ARRAY/MAP (already JSON text), GEOGRAPHY, VECTOR... stay as sent.
]);

const FIXED_TYPES = new Set(['FIXED', 'NUMBER', 'DECIMAL', 'NUMERIC', 'INT', 'INTEGER', 'BIGINT']);

const asSent = (value: unknown): unknown => value;

function converterFor(column: SnowflakeColumn): (value: unknown) => unknown {
  const convert = FIXED_TYPES.has(column.type) ? (column.scale > 0 ? float : integer) : CONVERTERS.get(column.type);
  return (value) => {
    if (value === null || value === undefined) return null;
    if (typeof value !== 'string') return value;
    return convert ? convert(value) : value;
  };
}

// ---------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * The key-pair JWT: iss `ACCOUNT.USER.SHA256:<fingerprint>`, sub
 * `ACCOUNT.USER`, issued now and valid for just under an hour, signed RS256.
 */
export function keyPairJwt(
  account: string,
  user: string,
  auth: Extract<SnowflakeAuth, { kind: 'KEYPAIR_JWT' }>,
  nowSeconds: number,
): string {
  const subject = `${account}.${user.toUpperCase()}`;
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = {
    iss: `${subject}.${auth.fingerprint}`,
    sub: subject,
    iat: nowSeconds,
    exp: nowSeconds + JWT_LIFETIME_SECONDS,
  };
  const payload = base64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), auth.key).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

/** The bearer token of a config: its OAuth or access token, or a JWT kept until it is nearly spent. */
class Bearer {
  private jwt?: { id: string; token: string; expires: number };

  tokenFor(config: SnowflakeConfig): string {
    const { auth } = config;
    if (auth.kind !== 'KEYPAIR_JWT') return auth.token;
    const now = Math.floor(Date.now() / 1000);
    const id = `${config.account}.${config.user}.${auth.fingerprint}`;
    if (this.jwt?.id === id && this.jwt.expires - now > JWT_RENEW_SECONDS) return this.jwt.token;
    const token = keyPairJwt(config.account, config.user, auth, now);
    this.jwt = { id, token, expires: now + JWT_LIFETIME_SECONDS };
    return token;
  }
}

/** Anything shaped like a JWT (its header is base64url JSON, so it starts `eyJ`), and PEM blocks. */
const JWT_TEXT = /\beyJ[\w-]*\.[\w-]+\.[\w-]+/g;
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----/g;

/**
 * The datasource's redactor, and over it every secret the settings hold
 * (each line of a PEM key too, and their URL-encoded spellings), every JWT
 * and every PEM block masked.
 */
function masking(redact: Redactor, secrets: readonly string[]): Redactor {
  const texts = new Set<string>();
  for (const secret of secrets) {
    for (const text of [secret, ...secret.split(/\r?\n/).filter((line) => line.trim().length >= 16)]) {
      const trimmed = text.trim();
      if (trimmed === '') continue;
      texts.add(trimmed);
      texts.add(encodeURIComponent(trimmed));
    }
  }
  const ordered = [...texts].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = redact(text).replace(PEM_BLOCK, MASK).replace(JWT_TEXT, MASK);
    for (const secret of ordered) out = out.split(secret).join(MASK);
    return out;
  };
}

function optionSecrets(settings: SnowflakeSettings): string[] {
  return SECRET_OPTIONS.map((key) => settings.options[key]).filter((value): value is string => value !== undefined);
}

// ---------------------------------------------------------------------------
// One run: a statement from its POST to its last partition
// ---------------------------------------------------------------------------

class StatementRun {
  /** The statement a cancel must stop, while it runs. */
  private handle?: string;
  private readonly origin: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly config: SnowflakeConfig,
    private readonly bearer: Bearer,
    private readonly signal?: AbortSignal,
  ) {
    this.origin = new URL(config.server).origin;
    this.timeoutMs = config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /** Submits, waits for the statement to finish, then reads partitions until the last or one row past `limit`. */
  async rows(sql: string, limit: number): Promise<ResultSet> {
    const { handle, result } = await this.finished(await this.submit(sql));
    const names = result.columns.map((column) => column.name);
    const converters = result.columns.map(converterFor);
    const rows: Record<string, unknown>[] = [];
    for (let partition = 0; partition < result.partitions; partition += 1) {
      // A partition holds rows: when the limit is met before one, there were more.
      if (rows.length >= limit) return { columns: names, rows, truncated: true };
      const data = partition === 0 ? result.rows : rowsOf(await this.partition(handle, partition));
      for (const values of data) {
        if (rows.length >= limit) return { columns: names, rows, truncated: true };
        rows.push(
          toRecord(
            names,
            values.map((value, index) => (converters[index] ?? asSent)(value)),
          ),
        );
      }
    }
    return { columns: names, rows, truncated: false };
  }

  /** Stops the statement if it still runs; the caller's answer does not wait for it. */
  stop(): void {
    const handle = this.handle;
    this.handle = undefined;
    if (handle === undefined) return;
    const url = `${this.config.server}${STATEMENTS}/${encodeURIComponent(handle)}/cancel`;
    this.request(url, { method: 'POST' }, CANCEL_TIMEOUT_MS).catch(() => undefined);
  }

  private async submit(sql: string): Promise<Record<string, unknown>> {
    const { database, schema, warehouse, role, statementTimeoutSeconds } = this.config;
    const body = JSON.stringify({
      statement: sql,
      timeout: statementTimeoutSeconds,
      ...(database ? { database } : {}),
      ...(schema ? { schema } : {}),
      ...(warehouse ? { warehouse } : {}),
      ...(role ? { role } : {}),
    });
    const url = `${this.config.server}${STATEMENTS}?async=true&requestId=${randomUUID()}`;
    const reply = await this.call(url, { method: 'POST', body });
    this.handle = handleOf(reply);
    return reply;
  }

  /** Polls while the statement runs (202); its result (200) ends the wait, a failure (422, 408) is thrown. */
  private async finished(first: Record<string, unknown>): Promise<{ handle: string; result: Result }> {
    let reply = first;
    let delay = this.config.pollIntervalMs ?? POLL_INTERVAL_MS;
    const handle = handleOf(first);
    while (reply.resultSetMetaData === undefined) {
      await sleep(delay, undefined, this.signal ? { signal: this.signal } : {});
      delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS);
      reply = await this.call(`${this.config.server}${STATEMENTS}/${encodeURIComponent(handle)}`, { method: 'GET' });
    }
    // It has ended: nothing is left to cancel.
    this.handle = undefined;
    return { handle, result: resultOf(reply) };
  }

  private async partition(handle: string, partition: number): Promise<Record<string, unknown>> {
    if (this.signal?.aborted) throw cancelledError();
    const url = `${this.config.server}${STATEMENTS}/${encodeURIComponent(handle)}?partition=${partition}`;
    return this.call(url, { method: 'GET' });
  }

  /** One API call, asked again while the account is busy; its JSON object when 200 or 202. */
  private async call(url: string, init: RequestInit): Promise<Record<string, unknown>> {
    const answer = await withRetries(
      () => this.request(url, init, this.timeoutMs, this.signal),
      (busy) => BUSY_STATUSES.has(busy.status),
      RETRIES,
      this.signal,
    );
    if (answer.status === 422 || answer.status === 408) this.handle = undefined; // it ended on its own
    if (answer.status !== 200 && answer.status !== 202) throw httpError(answer, this.config);
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      throw unexpected('an answer that is not valid JSON');
    }
    if (!isObject(body)) throw unexpected('an answer that is not a JSON object');
    return body;
  }

  /** fetch with a time limit on the whole call, body included, and errors that say what failed. */
  private request(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
    const endpoint = { engine: 'Snowflake', origin: this.origin };
    return timedFetch(endpoint, url, { ...init, headers: this.headers() }, timeoutMs, signal);
  }

  private headers(): Record<string, string> {
    return {
      Authorization: `Bearer ${this.bearer.tokenFor(this.config)}`,
      'X-Snowflake-Authorization-Token-Type': this.config.auth.kind,
      'User-Agent': SOURCE,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    };
  }
}

export class SnowflakeDriver implements Driver {
  readonly dialect = 'snowflake' as const;
  private readonly bearer = new Bearer();

  constructor(
    private readonly settings: SnowflakeSettings,
    private readonly redact: Redactor,
    private readonly sources: SnowflakeSources = {},
  ) {}

  async run(sql: string, options: RunOptions = {}): Promise<ResultSet> {
    checkRunOptions(options);
    const { signal, maxRows } = options;
    let redactAll = masking(this.redact, optionSecrets(this.settings));
    let run: StatementRun | undefined;
    try {
      // Read per run: a rotated key, a refreshed token file or an edited profile counts from the next query.
      const config = await loadSnowflakeConfig(this.settings, this.sources);
      redactAll = masking(this.redact, [...optionSecrets(this.settings), ...config.secrets]);
      if (signal?.aborted) throw cancelledError();
      run = new StatementRun(config, this.bearer, signal);
      return await run.rows(sql, maxRows ?? Number.POSITIVE_INFINITY);
    } catch (error) {
      // A failed or cancelled run stops the statement in Snowflake too.
      run?.stop();
      throw driverError(error, redactAll, 'query', signal);
    }
  }

  /** Nothing is held between runs, so there is nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
