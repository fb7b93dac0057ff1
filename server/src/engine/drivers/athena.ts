/**
 * Amazon Athena over its JSON API with Node's own `fetch`, every request
 * signed with AWS Signature Version 4 by `node:crypto`: no AWS SDK, nothing
 * native.
 *
 * The API is AWS's JSON 1.1 protocol: a POST to `/` whose `X-Amz-Target`
 * names the operation (`AmazonAthena.StartQueryExecution`) and whose body is
 * its JSON input. A query is StartQueryExecution (the SQL, the datasource's
 * schema and catalog, the S3 output location and workgroup, and a
 * ClientRequestToken, so a request sent again after throttling starts no
 * second query); GetQueryExecution is polled, the pause growing, until the
 * query SUCCEEDED, FAILED or was CANCELLED; GetQueryResults then reads the
 * rows page by page (NextToken) until the preview cap is passed by one row.
 * The first row of a SELECT's first page holds the column names and is
 * skipped. A run that fails or is cancelled while its query is queued or
 * running calls StopQueryExecution. A query that has finished holds nothing
 * (its result is a file in S3), so a met preview cap stops nothing.
 *
 * Every value arrives as text (`VarCharValue`, absent for NULL); the column's
 * type says what it becomes (types.ts). Arrays, maps and rows stay in
 * Athena's own text (`[1, 2]`, `{a=1, b=2}`): it writes their strings
 * unquoted and names no item types, so `[a, true]` could be two strings or a
 * string and a boolean, and reading it as JSON would guess. CAST(... AS JSON)
 * in the query gives exact JSON.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { ATHENA_URL_SHAPE, checkedRegion, type AthenaConfig, type AwsCredentials } from './athena-config';
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
  REQUEST_TIMEOUT_MS,
  RETRIES,
  textField,
  timedFetch,
  USER_AGENT,
  withRetries,
  type Answer,
} from './http-answers';
import { stoppableRun } from './limits';
import { normaliseTimestampText, normaliseTimestampTzText, toRecord } from './normalise';
import type { Driver, ResultSet, RunOptions } from './types';

/** Athena's queries take a second or more; polls start at a quarter of that and slow down to every two seconds. */
const POLL_INTERVAL_MS = 250;
const MAX_POLL_INTERVAL_MS = 2_000;
/** GetQueryResults' MaxResults is 1000 at most. */
const PAGE_ROWS = 1_000;
const SERVICE = 'athena';
const TARGET_PREFIX = 'AmazonAthena.';
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
/** Signatures kept for masking: an error echoes the request it answers, one of the last few. */
const RECENT_SIGNATURES = 8;

// ---------------------------------------------------------------------------
// Signature Version 4
// ---------------------------------------------------------------------------

export interface SigningRequest {
  method: string;
  url: URL;
  /** Every header to sign, `host` and `x-amz-date` among them; names in any case. */
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  credentials: Pick<AwsCredentials, 'accessKeyId' | 'secretAccessKey'>;
}

export interface Signed {
  authorization: string;
  signature: string;
  canonicalRequest: string;
  stringToSign: string;
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: string | Buffer, text: string): Buffer => createHmac('sha256', key).update(text, 'utf8').digest();

/** RFC 3986 percent-encoding: everything but `A-Z a-z 0-9 - . _ ~`, as SigV4 asks. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Each path segment encoded once more (every service but S3 signs the path that way). */
function canonicalPath(pathname: string): string {
  return pathname === '' ? '/' : pathname.split('/').map(uriEncode).join('/');
}

function canonicalQuery(params: URLSearchParams): string {
  const pairs = [...params].map(([key, value]) => [uriEncode(key), uriEncode(value)] as const);
  pairs.sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

/** `YYYYMMDDTHHMMSSZ`, the form of X-Amz-Date. */
export function amzDate(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * AWS Signature Version 4 of one request: the canonical request (method,
 * path, sorted query, the headers lower-cased, trimmed and sorted, the list
 * of their names, the body's SHA-256), the string to sign (algorithm, time,
 * scope date/region/service/aws4_request, the canonical request's hash), and
 * its HMAC by the key derived from the secret through date, region, service.
 */
export function signatureV4(request: SigningRequest): Signed {
  const headers = Object.entries(request.headers)
    .map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, ' ')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = headers.map(([name]) => name).join(';');
  const time = headers.find(([name]) => name === 'x-amz-date')?.[1] ?? '';
  const day = time.slice(0, 8);
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.url.pathname),
    canonicalQuery(request.url.searchParams),
    headers.map(([name, value]) => `${name}:${value}\n`).join(''),
    signedHeaders,
    sha256Hex(request.body),
  ].join('\n');
  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', time, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = [day, request.region, request.service, 'aws4_request'].reduce<string | Buffer>(
    (derived, part) => hmac(derived, part),
    `AWS4${request.credentials.secretAccessKey}`,
  );
  const signature = hmac(key, stringToSign).toString('hex');
  const authorization =
    `AWS4-HMAC-SHA256 Credential=${request.credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { authorization, signature, canonicalRequest, stringToSign };
}

// ---------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------

interface AthenaColumn {
  name: string;
  /** Athena's type without parameters, lower case: `bigint`, `decimal`, `timestamp with time zone`, `array`. */
  type: string;
}

interface Execution {
  state: string;
  reason?: string;
}

interface Page {
  columns?: AthenaColumn[];
  /** Each row's cells: the text, or undefined for NULL. */
  rows: (string | undefined)[][];
  nextToken?: string;
}

function unexpected(what: string): SlayerError {
  return new SlayerError(ErrorCode.DatabaseError, `Athena sent an answer this driver does not understand: ${what}.`);
}

/** `decimal(10,2)` -> `decimal`, `timestamp(3) with time zone` -> `timestamp with time zone`, `array(integer)` -> `array`. */
function baseType(type: string): string {
  const outer = /^(array|map|row)\b/i.exec(type)?.[1];
  return (outer ?? type.replace(/\([^)]*\)/g, '')).trim().replace(/\s+/g, ' ').toLowerCase();
}

function columnOf(value: unknown): AthenaColumn {
  if (!isObject(value)) throw unexpected('a column that is not an object');
  const name = textField(value, 'Name') ?? textField(value, 'Label');
  if (name === undefined) throw unexpected('a column without a name');
  return { name, type: baseType(textField(value, 'Type') ?? 'varchar') };
}

function rowOf(value: unknown): (string | undefined)[] {
  if (!isObject(value) || !Array.isArray(value.Data)) throw unexpected('a row without Data');
  return value.Data.map((cell) => (isObject(cell) ? textField(cell, 'VarCharValue') : undefined));
}

function pageOf(value: unknown): Page {
  if (!isObject(value)) throw unexpected('an answer that is not a JSON object');
  const set = isObject(value.ResultSet) ? value.ResultSet : {};
  const rows = set.Rows ?? [];
  if (!Array.isArray(rows)) throw unexpected('rows that are not a list');
  const page: Page = { rows: rows.map(rowOf) };
  const metadata = set.ResultSetMetadata;
  if (isObject(metadata) && Array.isArray(metadata.ColumnInfo)) page.columns = metadata.ColumnInfo.map(columnOf);
  const nextToken = textField(value, 'NextToken');
  if (nextToken) page.nextToken = nextToken;
  return page;
}

function executionOf(value: unknown): Execution {
  const execution = isObject(value) ? value.QueryExecution : undefined;
  const status = isObject(execution) ? execution.Status : undefined;
  const state = isObject(status) ? textField(status, 'State') : undefined;
  if (!isObject(status) || state === undefined) throw unexpected('a query execution without a state');
  const error = status.AthenaError;
  const reason =
    textField(status, 'StateChangeReason') ?? (isObject(error) ? textField(error, 'ErrorMessage') : undefined);
  return reason === undefined ? { state } : { state, reason };
}

const RUNNING_STATES = new Set(['QUEUED', 'RUNNING']);

function failure(execution: Execution): SlayerError {
  return new SlayerError(ErrorCode.DatabaseError, execution.reason ?? `Athena ended the query as ${execution.state}.`);
}

/** AWS's JSON error: `{__type: "[namespace#]Name", message | Message}`. */
function awsErrorOf(body: string): { type?: string; message?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const text = body.trim().slice(0, 300);
    return text ? { message: text } : {};
  }
  if (!isObject(parsed)) return {};
  const type = textField(parsed, '__type')?.replace(/^.*#/, '');
  const message = textField(parsed, 'message') ?? textField(parsed, 'Message');
  return { ...(type ? { type } : {}), ...(message ? { message } : {}) };
}

/** Athena's throttling (TooManyRequestsException) and AWS's (ThrottlingException) come as HTTP 400. */
const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);
/** Refusals of the signature or the keys themselves. */
const AUTH_ERRORS = new Set([
  'AccessDeniedException',
  'ExpiredTokenException',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'MissingAuthenticationToken',
  'UnrecognizedClientException',
]);

function busy(answer: Answer): boolean {
  if (BUSY_STATUSES.has(answer.status)) return true;
  const { type } = awsErrorOf(answer.body);
  return answer.status === 400 && type !== undefined && THROTTLED.has(type);
}

function httpError(answer: Answer): SlayerError {
  const { type, message } = awsErrorOf(answer.body);
  const what = type === undefined ? `HTTP ${answer.status}` : `HTTP ${answer.status}, ${type}`;
  const detail = message === undefined ? '.' : `: ${message}`;
  if (answer.status === 401 || answer.status === 403 || (type !== undefined && AUTH_ERRORS.has(type))) {
    return new SlayerError(ErrorCode.ConnectionFailed, `Athena refused the credentials (${what})${detail}`);
  }
  if (type === 'InvalidRequestException') {
    return new SlayerError(ErrorCode.DatabaseError, `Athena rejected the request${detail}`);
  }
  return new SlayerError(ErrorCode.DatabaseError, `Athena answered ${what}${detail}`);
}

// ---------------------------------------------------------------------------
// Values: Athena's text to the driver contract (types.ts)
// ---------------------------------------------------------------------------

/** VARBINARY comes as hex bytes with spaces between them (`de ad be ef`). */
const varbinary: Convert = (text) => {
  const hex = text.replace(/\s+/g, '');
  return /^(?:[0-9a-f]{2})*$/i.test(hex) ? `\\x${hex.toLowerCase()}` : text;
};

const WALL_AND_ZONE = /^(\d{4,}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?)\s*(\S.*)$/;
const WALL_PARTS = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?/;
const ZONE_PART_TYPES = ['year', 'month', 'day', 'hour', 'minute', 'second'] as const;

/** How far ahead of UTC a named zone's clocks are at a moment, in milliseconds (DST included). */
function zoneOffsetMs(zone: string, utcMs: number): number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const parts = new Map(format.formatToParts(new Date(utcMs)).map((part) => [part.type, Number(part.value)]));
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = ZONE_PART_TYPES.map((t) => parts.get(t));
  return Date.UTC(year, month - 1, day, hour, minute, second) - Math.floor(utcMs / 1000) * 1000;
}

/** `+02:00` for an offset in minutes. */
function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const whole = Math.abs(minutes);
  return `${sign}${String(Math.floor(whole / 60)).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}`;
}

/** A named zone's offset at a wall-clock time there: the offset in force at that moment, DST included. */
function namedZoneOffset(wall: string, zone: string): string | undefined {
  const match = WALL_PARTS.exec(wall);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const local = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, Number.isNaN(s) ? 0 : (s ?? 0));
  try {
    const first = zoneOffsetMs(zone, local);
    const settled = zoneOffsetMs(zone, local - first);
    return offsetText(Math.round(settled / 60_000));
  } catch {
    // Not a zone this runtime knows: the value stays as Athena wrote it.
    return undefined;
  }
}

/**
 * TIMESTAMP WITH TIME ZONE: `2024-01-02 03:04:05.000 UTC`, with an offset
 * (`+02:00`) or a zone's name (`Europe/Berlin`); shown in UTC with a `Z`.
 */
const timestampTz: Convert = (text) => {
  const match = WALL_AND_ZONE.exec(text.trim());
  if (!match?.[1] || !match[2]) return normaliseTimestampTzText(text);
  const [, wall, zone] = match;
  if (/^(?:UTC|GMT|Z|UT|Etc\/UTC|Etc\/GMT)$/i.test(zone)) return normaliseTimestampTzText(`${wall}Z`);
  if (/^[+-]\d{2}(?::?\d{2})?$/.test(zone)) return normaliseTimestampTzText(`${wall}${zone}`);
  const offset = namedZoneOffset(wall, zone);
  return offset === undefined ? text : normaliseTimestampTzText(`${wall}${offset}`);
};

const CONVERTERS = new Map<string, Convert>([
  ['tinyint', integer],
  ['smallint', integer],
  ['integer', integer],
  ['int', integer],
  ['bigint', integer],
  ['float', float],
  ['real', float],
  ['double', float],
  ['decimal', float],
  ['boolean', boolean],
  ['timestamp', normaliseTimestampText],
  ['timestamp with time zone', timestampTz],
  ['varbinary', varbinary],
  // array, map and row stay as Athena wrote them (see the top of this file).
  // char, varchar, string, date ('YYYY-MM-DD'), time, json (its text), interval, uuid, ipaddress stay as sent.
]);

function converterFor(column: AthenaColumn): (text: string | undefined) => unknown {
  const convert = CONVERTERS.get(column.type);
  return (text) => {
    if (text === undefined) return null;
    return convert ? convert(text) : text;
  };
}

/** The first row of a SELECT's first page: the column names, not data. */
function isHeader(row: readonly (string | undefined)[], columns: readonly AthenaColumn[]): boolean {
  return row.length === columns.length && columns.every((column, index) => row[index] === column.name);
}

// ---------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------

export interface AthenaDriverOptions {
  /** Where AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_REGION are read; process.env when absent. */
  env?: NodeJS.ProcessEnv;
  /** The clock for X-Amz-Date; Date.now when absent. */
  now?: () => number;
}

/** What a run signs with and where it sends, worked out when it starts. */
interface Session {
  credentials: AwsCredentials;
  region: string;
  url: URL;
}

/** Where a run has got to: the query a cancel must stop, while it is queued or running. */
interface Progress {
  session?: Session;
  id?: string;
}

export class AthenaDriver implements Driver {
  /** Athena's SQL is Trino's (its engine version 3). */
  readonly dialect = 'trino' as const;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly pageRows: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => number;
  /** The secret keys and session tokens this driver has signed with, and its last signatures. */
  private readonly secrets = new Set<string>();
  private readonly signatures: string[] = [];
  private readonly redactAll: Redactor;

  constructor(
    private readonly config: AthenaConfig,
    redact: Redactor,
    options: AthenaDriverOptions = {},
  ) {
    this.timeoutMs = config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.pollMs = config.pollIntervalMs ?? POLL_INTERVAL_MS;
    this.pageRows = Math.min(config.pageRows ?? PAGE_ROWS, PAGE_ROWS);
    this.env = options.env ?? process.env;
    this.now = options.now ?? Date.now;
    this.redactAll = alsoMasking(redact, () => [...this.secrets, ...this.signatures]);
    if (config.credentials) this.remember(config.credentials);
  }

  run(sql: string, options: RunOptions = {}): Promise<ResultSet> {
    const progress: Progress = {};
    // A failed or cancelled run stops its query too.
    const stop = (): Promise<void> | undefined => {
      const { session, id } = progress;
      return session && id !== undefined ? this.stopQuery(session, id) : undefined;
    };
    return stoppableRun(options, this.redactAll, (limit, signal) => this.readAll(sql, limit, progress, signal), stop);
  }

  /** Nothing is held between runs, so there is nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private remember(credentials: AwsCredentials): void {
    for (const secret of [credentials.secretAccessKey, credentials.sessionToken]) {
      if (!secret) continue;
      this.secrets.add(secret);
      this.secrets.add(encodeURIComponent(secret));
    }
  }

  // -------------------------------------------------------------------------
  // Running a query
  // -------------------------------------------------------------------------

  /** Starts the query, waits for it to finish, then reads pages until the last or one row past `limit`. */
  private async readAll(sql: string, limit: number, progress: Progress, signal?: AbortSignal): Promise<ResultSet> {
    const session = this.session();
    progress.session = session;
    const id = await this.start(session, sql, signal);
    progress.id = id;
    await this.finished(session, id, progress, signal);
    let columns: AthenaColumn[] = [];
    let converters: ((text: string | undefined) => unknown)[] = [];
    const rows: Record<string, unknown>[] = [];
    let nextToken: string | undefined;
    for (let first = true; ; first = false) {
      if (signal?.aborted) throw cancelledError();
      const page = await this.results(session, id, this.pageSize(limit, rows.length, first), nextToken, signal);
      if (first) {
        columns = page.columns ?? [];
        converters = columns.map(converterFor);
      }
      const names = columns.map((column) => column.name);
      const data = first && page.rows[0] && isHeader(page.rows[0], columns) ? page.rows.slice(1) : page.rows;
      for (const cells of data) {
        if (rows.length >= limit) return { columns: names, rows, truncated: true };
        rows.push(
          toRecord(
            names,
            converters.map((convert, index) => convert(cells[index])),
          ),
        );
      }
      nextToken = page.nextToken;
      if (nextToken === undefined) return { columns: names, rows, truncated: false };
    }
  }

  /** Rows to ask for: a page, or just past the preview cap when that is nearer (the first page holds the header too). */
  private pageSize(limit: number, read: number, first: boolean): number {
    return Math.max(1, Math.min(this.pageRows, limit - read + 1 + (first ? 1 : 0)));
  }

  private async start(session: Session, sql: string, signal?: AbortSignal): Promise<string> {
    const { database, catalog, outputLocation, workGroup } = this.config;
    const input = {
      QueryString: sql.replace(/[\s;]+$/, ''),
      // One token for every resend of this request: Athena starts one query per token.
      ClientRequestToken: randomUUID(),
      QueryExecutionContext: { Database: database, ...(catalog ? { Catalog: catalog } : {}) },
      ...(outputLocation ? { ResultConfiguration: { OutputLocation: outputLocation } } : {}),
      ...(workGroup ? { WorkGroup: workGroup } : {}),
    };
    const answer = await this.call(session, 'StartQueryExecution', input, signal);
    const id = isObject(answer) ? textField(answer, 'QueryExecutionId') : undefined;
    if (!id) throw unexpected('a started query without a QueryExecutionId');
    return id;
  }

  /** Polls until the query leaves QUEUED and RUNNING; anything but SUCCEEDED is the run's error. */
  private async finished(session: Session, id: string, progress: Progress, signal?: AbortSignal): Promise<void> {
    let delay = this.pollMs;
    for (;;) {
      await sleep(delay, undefined, signal ? { signal } : {});
      delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS);
      const execution = executionOf(await this.call(session, 'GetQueryExecution', { QueryExecutionId: id }, signal));
      if (RUNNING_STATES.has(execution.state)) continue;
      // A query that has ended needs no stop.
      progress.id = undefined;
      if (execution.state !== 'SUCCEEDED') throw failure(execution);
      return;
    }
  }

  private async results(
    session: Session,
    id: string,
    maxResults: number,
    nextToken: string | undefined,
    signal?: AbortSignal,
  ): Promise<Page> {
    const input = { QueryExecutionId: id, MaxResults: maxResults, ...(nextToken ? { NextToken: nextToken } : {}) };
    return pageOf(await this.call(session, 'GetQueryResults', input, signal));
  }

  private async stopQuery(session: Session, id: string): Promise<void> {
    await this.request(session, 'StopQueryExecution', JSON.stringify({ QueryExecutionId: id }), CANCEL_TIMEOUT_MS);
  }

  /** One operation, asked again while Athena throttles (429, 503, ThrottlingException); its answer as JSON. */
  private async call(session: Session, operation: string, input: unknown, signal?: AbortSignal): Promise<unknown> {
    const body = JSON.stringify(input);
    const send = (): Promise<Answer> => this.request(session, operation, body, this.timeoutMs, signal);
    const answer = await withRetries(send, busy, RETRIES, signal);
    if (answer.status !== 200) throw httpError(answer);
    try {
      return JSON.parse(answer.body);
    } catch {
      throw unexpected('an answer that is not valid JSON');
    }
  }

  /** A signed POST: each send signs anew, so a resend after a pause carries a fresh X-Amz-Date. */
  private request(
    session: Session,
    operation: string,
    body: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Answer> {
    const { credentials, region, url } = session;
    // Signed with the host fetch sends (the URL's, its port included); fetch sets that header itself.
    const headers: Record<string, string> = {
      'content-type': JSON_CONTENT_TYPE,
      'x-amz-date': amzDate(this.now()),
      'x-amz-target': `${TARGET_PREFIX}${operation}`,
      ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
    };
    const signed = signatureV4({
      method: 'POST',
      url,
      headers: { ...headers, host: url.host },
      body,
      region,
      service: SERVICE,
      credentials,
    });
    this.signatures.push(signed.signature);
    if (this.signatures.length > RECENT_SIGNATURES) this.signatures.shift();
    const init: RequestInit = {
      method: 'POST',
      body,
      headers: {
        ...headers,
        Authorization: signed.authorization,
        'User-Agent': USER_AGENT,
        Accept: 'application/json',
      },
    };
    return timedFetch({ engine: 'Athena', origin: url.origin }, url.href, init, timeoutMs, signal);
  }

  // -------------------------------------------------------------------------
  // Credentials, region, endpoint
  // -------------------------------------------------------------------------

  /** The URL's settings, else the environment's, read now: a changed environment counts from the next run. */
  private session(): Session {
    const name = this.config.datasource;
    const credentials = this.config.credentials ?? this.envCredentials();
    if (credentials === undefined) {
      throw new SlayerError(
        ErrorCode.InvalidInput,
        `Datasource '${name}' (athena) has no AWS credentials: put the access key in the connection_string ` +
          `(${ATHENA_URL_SHAPE}) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN).`,
      );
    }
    this.remember(credentials);
    const region = this.region();
    const endpoint =
      this.config.endpoint ?? `https://athena.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}/`;
    return { credentials, region, url: new URL(endpoint) };
  }

  private envCredentials(): AwsCredentials | undefined {
    const accessKeyId = this.env.AWS_ACCESS_KEY_ID?.trim();
    const secretAccessKey = this.env.AWS_SECRET_ACCESS_KEY?.trim();
    if (!accessKeyId || !secretAccessKey) return undefined;
    const sessionToken = this.env.AWS_SESSION_TOKEN?.trim();
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  }

  private region(): string {
    if (this.config.region !== undefined) return this.config.region;
    const source = this.env.AWS_REGION?.trim() ? 'AWS_REGION' : 'AWS_DEFAULT_REGION';
    const region = this.env[source]?.trim();
    if (!region) {
      throw new SlayerError(
        ErrorCode.InvalidInput,
        `Datasource '${this.config.datasource}' (athena) names no AWS region: write the host ` +
          'athena.<region>.amazonaws.com or region_name in the connection_string, or set AWS_REGION.',
      );
    }
    return checkedRegion({ name: this.config.datasource }, region, source);
  }
}
