/**
 * BigQuery over its REST API (v2) with Node's own `fetch`: no client library
 * (Google's needs Node 22; this server runs on Node 20 and in Electron),
 * nothing native.
 *
 * Signing in: a service account's key signs a JWT (RS256; iss the account,
 * scope bigquery, aud the key's token_uri, an hour at most), which the token
 * service exchanges for an access token. Tokens are kept per key, for every
 * driver of this process (the engine opens a driver per query), until a
 * minute before they expire; a 401 drops the token and asks once for a new
 * one. An access token given in the environment is used as it is.
 *
 * A query is a POST of its SQL to jobs.query (GoogleSQL, the datasource's
 * dataset as default, a server-side wait of 10 s, int64 timestamps). An
 * answer with jobComplete false is polled through jobs.getQueryResults (which
 * waits on the server too) until complete; rows then come page by page by
 * pageToken, until the preview cap is passed by one row. An abort while the
 * job runs POSTs jobs.cancel. Before jobs.query has answered there is no job
 * id to cancel: BigQuery finishes such a query on its own.
 *
 * Every value arrives as text (or null); the schema's type says what it
 * becomes (types.ts). Arrays and records become JSON text, as the Trino and
 * Databricks drivers give them, their values in the same forms (integers and
 * numerics keeping every digit).
 */
import { createHash, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import {
  serviceAccountKeyOf,
  SUPPORTED_CREDENTIALS,
  type BigQueryConfig,
  type ServiceAccountKey,
} from './bigquery-config';
import { cancelledError, driverError, type Redactor } from './errors';
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
import { bytesToHex, normaliseTimestampText, toRecord } from './normalise';
import { JsonNumber, toJsonText } from './trino-json';
import type { Driver, ResultSet, RunOptions } from './types';

/** How long jobs.query and getQueryResults wait on the server for the job before answering "not complete yet". */
const SERVER_WAIT_MS = 10_000;
/** getQueryResults waits on the server; the pause between polls only keeps a quick "not yet" from spinning. */
const POLL_INTERVAL_MS = 100;
const MAX_POLL_INTERVAL_MS = 1_000;
const PAGE_ROWS = 10_000;
const SCOPE = 'https://www.googleapis.com/auth/bigquery';
const ASSERTION_LIFETIME_S = 3600;
/** A token is renewed this long before it expires (half its life when that is shorter). */
const TOKEN_MARGIN_MS = 60_000;
/** Lines of a PEM key's body: masked one by one, so even a partial echo of the key shows nothing. */
const MIN_SECRET_PART = 16;

// ---------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------

interface BigQueryField {
  name: string;
  /** e.g. `INTEGER` (or `INT64`), `TIMESTAMP`, `RECORD` (or `STRUCT`). */
  type: string;
  repeated: boolean;
  fields: BigQueryField[];
}

interface JobRef {
  projectId: string;
  jobId: string;
  location?: string;
}

/** jobs.query's and getQueryResults' answers: both are one page of a query's result. */
interface Page {
  complete: boolean;
  job?: JobRef;
  fields?: BigQueryField[];
  rows: unknown[];
  pageToken?: string;
}

function unexpected(what: string): SlayerError {
  return new SlayerError(ErrorCode.DatabaseError, `BigQuery sent an answer this driver does not understand: ${what}.`);
}

function fieldOf(value: unknown): BigQueryField {
  if (!isObject(value)) throw unexpected('a schema field that is not an object');
  const name = textField(value, 'name');
  if (name === undefined) throw unexpected('a schema field without a name');
  const nested = value.fields;
  return {
    name,
    type: (textField(value, 'type') ?? 'STRING').toUpperCase(),
    repeated: textField(value, 'mode')?.toUpperCase() === 'REPEATED',
    fields: Array.isArray(nested) ? nested.map(fieldOf) : [],
  };
}

function jobOf(value: unknown): JobRef | undefined {
  if (!isObject(value)) return undefined;
  const projectId = textField(value, 'projectId');
  const jobId = textField(value, 'jobId');
  if (projectId === undefined || jobId === undefined) return undefined;
  const location = textField(value, 'location');
  return location === undefined ? { projectId, jobId } : { projectId, jobId, location };
}

function pageOf(value: unknown): Page {
  if (!isObject(value)) throw unexpected('an answer that is not a JSON object');
  const rows = value.rows ?? [];
  if (!Array.isArray(rows)) throw unexpected('rows that are not a list');
  const page: Page = { complete: value.jobComplete !== false, rows };
  const job = jobOf(value.jobReference);
  if (job) page.job = job;
  if (isObject(value.schema)) {
    const fields = value.schema.fields ?? [];
    if (!Array.isArray(fields)) throw unexpected('schema fields that are not a list');
    page.fields = fields.map(fieldOf);
  }
  const pageToken = textField(value, 'pageToken');
  if (pageToken) page.pageToken = pageToken;
  return page;
}

/** Google's error body: `{error: {code, message, errors: [{reason, message}], status}}`. */
interface GoogleError {
  message?: string;
  reasons: string[];
}

function googleErrorOf(body: string): GoogleError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const text = body.trim().slice(0, 300);
    return text ? { message: text, reasons: [] } : { reasons: [] };
  }
  const error = isObject(parsed) ? parsed.error : undefined;
  if (!isObject(error)) return { reasons: [] };
  const details = Array.isArray(error.errors) ? error.errors.filter(isObject) : [];
  const reasons = [...new Set(details.map((detail) => textField(detail, 'reason')).filter((r) => r !== undefined))];
  const message = textField(error, 'message');
  return message === undefined ? { reasons } : { message, reasons };
}

/** A busy API, worth asking again: 429, 503, or a 403 whose reason is rateLimitExceeded. */
function busy(answer: Answer): boolean {
  if (BUSY_STATUSES.has(answer.status)) return true;
  return answer.status === 403 && googleErrorOf(answer.body).reasons.includes('rateLimitExceeded');
}

function httpError(answer: Answer): SlayerError {
  const { message, reasons } = googleErrorOf(answer.body);
  const why = reasons.length > 0 ? ` (${reasons.join(', ')})` : '';
  const detail = `${message === undefined ? '' : `: ${message}`}${why}`;
  if (answer.status === 400) return new SlayerError(ErrorCode.DatabaseError, `BigQuery rejected the query${detail}`);
  if (answer.status === 401 || answer.status === 403) {
    return new SlayerError(
      ErrorCode.ConnectionFailed,
      `BigQuery refused the credentials (HTTP ${answer.status})${detail}`,
    );
  }
  return new SlayerError(ErrorCode.DatabaseError, `BigQuery answered HTTP ${answer.status}${detail}`);
}

function parsed(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw unexpected('an answer that is not valid JSON');
  }
}

// ---------------------------------------------------------------------------
// Values: BigQuery's text to the driver contract (types.ts)
// ---------------------------------------------------------------------------

const MICROS_PER_SECOND = 1_000_000n;
const SECONDS_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Float seconds as BigQuery wrote them before int64 timestamps (`1.7040672E9`), in microseconds, exactly. */
function secondsToMicros(text: string): bigint | undefined {
  const match = SECONDS_TEXT.exec(text);
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exponent) + 6;
  const kept = point <= 0 ? '0' : digits.slice(0, point).padEnd(point, '0');
  const next = point < 0 ? '0' : (digits[point] ?? '0');
  const micros = BigInt(kept) + (next >= '5' ? 1n : 0n);
  return sign === '-' ? -micros : micros;
}

/**
 * TIMESTAMP, a moment: microseconds since the epoch (asked for with
 * useInt64Timestamp), or float seconds; shown in UTC with a `Z`.
 */
const timestamp: Convert = (text) => {
  const micros = /^-?\d+$/.test(text) ? BigInt(text) : secondsToMicros(text);
  if (micros === undefined) return text;
  let seconds = micros / MICROS_PER_SECOND;
  let rest = micros % MICROS_PER_SECOND;
  if (rest < 0n) {
    rest += MICROS_PER_SECOND;
    seconds -= 1n;
  }
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return text;
  const fraction = rest.toString().padStart(6, '0').replace(/0+$/, '');
  return `${date.toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
};

/** BYTES come as base64; the contract's binary form is `\x` and hex. */
const binary: Convert = (text) => bytesToHex(Buffer.from(text, 'base64'));

const CONVERTERS = new Map<string, Convert>([
  ['INTEGER', integer],
  ['INT64', integer],
  ['FLOAT', float],
  ['FLOAT64', float],
  ['NUMERIC', float],
  ['BIGNUMERIC', float],
  ['DECIMAL', float],
  ['BIGDECIMAL', float],
  ['BOOLEAN', boolean],
  ['BOOL', boolean],
  ['TIMESTAMP', timestamp],
  // DATETIME is wall-clock time: no zone, no Z.
  ['DATETIME', normaliseTimestampText],
  ['BYTES', binary],
  // STRING, DATE ('YYYY-MM-DD'), TIME, JSON (its text), GEOGRAPHY (WKT), INTERVAL and RANGE stay as sent.
]);

const NUMBER_TYPES = new Set([
  'INTEGER',
  'INT64',
  'FLOAT',
  'FLOAT64',
  'NUMERIC',
  'BIGNUMERIC',
  'DECIMAL',
  'BIGDECIMAL',
]);
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const isRecord = (field: BigQueryField): boolean => field.type === 'RECORD' || field.type === 'STRUCT';

/** A cell's `v`: rows are `{f: [{v}, ...]}`, and so are records inside them. */
function cellsOf(value: unknown): unknown[] {
  if (!isObject(value) || !Array.isArray(value.f)) throw unexpected('a row or record that is not {f: [...]}');
  return value.f.map((cell) => (isObject(cell) ? cell.v : undefined));
}

/**
 * A value inside an array or record, as JSON: numbers keep BigQuery's digits
 * (JsonNumber), a float that JSON cannot hold (`NaN`, `Infinity`) stays a
 * word, and every other type takes its top-level form.
 */
function jsonOf(field: BigQueryField, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (field.repeated) {
    if (!Array.isArray(value)) throw unexpected(`a REPEATED value of '${field.name}' that is not a list`);
    const item = { ...field, repeated: false };
    return value.map((entry) => jsonOf(item, isObject(entry) ? entry.v : entry));
  }
  if (isRecord(field)) {
    const cells = cellsOf(value);
    return Object.fromEntries(field.fields.map((sub, index) => [sub.name, jsonOf(sub, cells[index])]));
  }
  if (typeof value !== 'string') return value;
  if (NUMBER_TYPES.has(field.type)) return JSON_NUMBER.test(value) ? new JsonNumber(value) : value;
  return (CONVERTERS.get(field.type) ?? String)(value);
}

function valueOf(field: BigQueryField, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (field.repeated || isRecord(field)) return toJsonText(jsonOf(field, value));
  if (typeof value !== 'string') return value;
  const convert = CONVERTERS.get(field.type);
  return convert ? convert(value) : value;
}

// ---------------------------------------------------------------------------
// Signing in
// ---------------------------------------------------------------------------

type Auth = { kind: 'key'; key: ServiceAccountKey; signingKey: KeyObject } | { kind: 'token'; token: string };

/** What a run needs before its first call: the project, and how to sign in. */
interface Session {
  project: string;
  auth: Auth;
}

interface Token {
  value: string;
  /** When to stop using it: a margin before it expires. */
  renewAt: number;
}

interface CachedToken {
  pending: Promise<Token>;
  token?: Token;
}

/** Access tokens per key (token_uri, account and private key), shared by every driver of this process. */
const TOKENS = new Map<string, CachedToken>();

function tokenKeyOf(key: ServiceAccountKey): string {
  return createHash('sha256').update(`${key.tokenUri}\0${key.clientEmail}\0${key.privateKey}`).digest('hex');
}

const base64url = (text: string): string => Buffer.from(text).toString('base64url');

/** The signed JWT the token service exchanges for an access token. */
function signedAssertion(key: ServiceAccountKey, signingKey: KeyObject, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = { iss: key.clientEmail, scope: SCOPE, aud: key.tokenUri, iat, exp: iat + ASSERTION_LIFETIME_S };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${sign('RSA-SHA256', Buffer.from(signingInput), signingKey).toString('base64url')}`;
}

/** Waits for a promise shared with other runs, giving up (only this run) when this run's signal aborts. */
function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelledError());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface BigQueryDriverOptions {
  /** Where GOOGLE_APPLICATION_CREDENTIALS and GOOGLE_OAUTH_ACCESS_TOKEN are read; process.env when absent. */
  env?: NodeJS.ProcessEnv;
  /** The clock for assertions and token lifetimes; Date.now when absent. */
  now?: () => number;
}

/** Where a run has got to: the session, and the job a cancel must stop while it runs. */
interface Progress {
  session?: Session;
  job?: JobRef;
}

export class BigQueryDriver implements Driver {
  readonly dialect = 'bigquery' as const;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly pageRows: number;
  private readonly origin: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => number;
  /** Every secret this driver has held (key, assertions, tokens), masked in every message it gives. */
  private readonly secrets = new Set<string>();
  private readonly redactAll: Redactor;
  private session?: Promise<Session>;

  constructor(
    private readonly config: BigQueryConfig,
    redact: Redactor,
    options: BigQueryDriverOptions = {},
  ) {
    this.timeoutMs = config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.pollMs = config.pollIntervalMs ?? POLL_INTERVAL_MS;
    this.pageRows = config.pageRows ?? PAGE_ROWS;
    this.origin = new URL(config.apiBase).origin;
    this.env = options.env ?? process.env;
    this.now = options.now ?? Date.now;
    this.redactAll = alsoMasking(redact, () => this.secrets);
  }

  run(sql: string, options: RunOptions = {}): Promise<ResultSet> {
    const progress: Progress = {};
    // A failed or cancelled run stops its job too.
    const stop = (): Promise<void> | undefined => {
      const { session, job } = progress;
      return session && job ? this.cancel(session, job) : undefined;
    };
    return stoppableRun(options, this.redactAll, (limit, signal) => this.readAll(sql, limit, progress, signal), stop);
  }

  /** Nothing is held between runs (tokens are kept per key, not per driver), so there is nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private remember(...secrets: (string | undefined)[]): void {
    for (const secret of secrets) if (secret) this.secrets.add(secret);
  }

  /** The private key in every form a message could quote it: as PEM, as JSON escapes it, line by line. */
  private rememberKey(key: ServiceAccountKey): void {
    const lines = key.privateKey
      .split(/\r?\n/)
      .filter((line) => line.length >= MIN_SECRET_PART && !line.startsWith('-'));
    this.remember(key.privateKey, JSON.stringify(key.privateKey).slice(1, -1), key.privateKeyId, ...lines);
  }

  // -------------------------------------------------------------------------
  // Running a query
  // -------------------------------------------------------------------------

  /** Submits, waits for the job to complete, then reads pages until the last or one row past `limit`. */
  private async readAll(sql: string, limit: number, progress: Progress, signal?: AbortSignal): Promise<ResultSet> {
    const session = await abortable(this.sessionOnce(), signal);
    progress.session = session;
    const first = await this.submit(session, sql, limit, progress, signal);
    let page = await this.completed(session, first, limit, progress, signal);
    const job = page.job ?? first.job;
    const fields = page.fields ?? [];
    const columns = fields.map((field) => field.name);
    const rows: Record<string, unknown>[] = [];
    for (;;) {
      for (const row of page.rows) {
        if (rows.length >= limit) return { columns, rows, truncated: true };
        const cells = cellsOf(row);
        rows.push(
          toRecord(
            columns,
            fields.map((field, index) => valueOf(field, cells[index])),
          ),
        );
      }
      if (page.pageToken === undefined) break;
      if (job === undefined) throw unexpected('a pageToken without a jobReference');
      if (signal?.aborted) throw cancelledError();
      page = await this.results(session, job, this.pageSize(limit, rows.length), signal, page.pageToken);
    }
    return { columns, rows, truncated: false };
  }

  /** Rows to ask for: a page, or just past the preview cap when that is nearer. */
  private pageSize(limit: number, read: number): number {
    return Math.max(1, Math.min(this.pageRows, limit - read + 1));
  }

  private async submit(
    session: Session,
    sql: string,
    limit: number,
    progress: Progress,
    signal?: AbortSignal,
  ): Promise<Page> {
    const { dataset, location } = this.config;
    const body = JSON.stringify({
      query: sql,
      useLegacySql: false,
      maxResults: this.pageSize(limit, 0),
      timeoutMs: SERVER_WAIT_MS,
      // Makes the POST safe to send again after a 429/503: BigQuery runs one query per requestId.
      requestId: randomUUID(),
      jobCreationMode: 'JOB_CREATION_OPTIONAL',
      formatOptions: { useInt64Timestamp: true },
      ...(dataset ? { defaultDataset: datasetRef(dataset, session.project) } : {}),
      ...(location ? { location } : {}),
    });
    const url = `${this.config.apiBase}/projects/${encodeURIComponent(session.project)}/queries`;
    const page = pageOf(await this.call(session, url, { method: 'POST', body }, signal));
    if (!page.complete) progress.job = page.job;
    return page;
  }

  /** Polls a job that is not complete yet until it is; a failed job is the call's HTTP error. */
  private async completed(
    session: Session,
    first: Page,
    limit: number,
    progress: Progress,
    signal?: AbortSignal,
  ): Promise<Page> {
    let page = first;
    const job = first.job;
    let delay = this.pollMs;
    while (!page.complete) {
      if (job === undefined) throw unexpected('a query not complete yet without a jobReference');
      await sleep(delay, undefined, signal ? { signal } : {});
      delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS);
      try {
        page = await this.results(session, job, this.pageSize(limit, 0), signal);
      } catch (error) {
        // BigQuery answered about the job with an error: the job's own failure, so it runs no more.
        if (error instanceof SlayerError && error.code === ErrorCode.DatabaseError) progress.job = undefined;
        throw error;
      }
    }
    // A complete job needs no cancel.
    progress.job = undefined;
    return page;
  }

  /** jobs.getQueryResults: the job's state and, once complete, a page of its rows. */
  private async results(
    session: Session,
    job: JobRef,
    maxResults: number,
    signal?: AbortSignal,
    pageToken?: string,
  ): Promise<Page> {
    const params = new URLSearchParams({
      maxResults: String(maxResults),
      timeoutMs: String(SERVER_WAIT_MS),
      'formatOptions.useInt64Timestamp': 'true',
    });
    const location = job.location ?? this.config.location;
    if (location) params.set('location', location);
    if (pageToken !== undefined) params.set('pageToken', pageToken);
    const url = `${this.jobUrl(job, 'queries')}?${params.toString()}`;
    return pageOf(await this.call(session, url, { method: 'GET' }, signal));
  }

  private async cancel(session: Session, job: JobRef): Promise<void> {
    const location = job.location ?? this.config.location;
    const query = location ? `?${new URLSearchParams({ location }).toString()}` : '';
    const token = await this.bearer(session);
    const init = { method: 'POST', headers: this.headers(token) };
    await this.request(`${this.jobUrl(job, 'jobs')}/cancel${query}`, init, CANCEL_TIMEOUT_MS);
  }

  private jobUrl(job: JobRef, collection: 'queries' | 'jobs'): string {
    return `${this.config.apiBase}/projects/${encodeURIComponent(job.projectId)}/${collection}/${encodeURIComponent(job.jobId)}`;
  }

  /**
   * One API call with a bearer token, asked again while the API is busy; a
   * 401 drops a service account's token and tries once more with a new one.
   */
  private async call(session: Session, url: string, init: RequestInit, signal?: AbortSignal): Promise<unknown> {
    for (let renewed = false; ; renewed = true) {
      const token = await this.bearer(session, signal);
      const send = (): Promise<Answer> =>
        this.request(url, { ...init, headers: this.headers(token) }, this.timeoutMs, signal);
      const answer = await withRetries(send, busy, RETRIES, signal);
      if (answer.status === 401 && !renewed && session.auth.kind === 'key') {
        forgetToken(session.auth.key, token);
        continue;
      }
      if (answer.status !== 200) throw httpError(answer);
      return parsed(answer.body);
    }
  }

  private request(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
    return timedFetch({ engine: 'BigQuery', origin: this.origin }, url, init, timeoutMs, signal);
  }

  private headers(token: string): Record<string, string> {
    return {
      Authorization: `Bearer ${token}`,
      'User-Agent': USER_AGENT,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    };
  }

  // -------------------------------------------------------------------------
  // Signing in
  // -------------------------------------------------------------------------

  /** The session, worked out once per driver; a failure is not kept, so the next run tries again. */
  private sessionOnce(): Promise<Session> {
    const session = (this.session ??= this.newSession());
    session.catch(() => {
      if (this.session === session) this.session = undefined;
    });
    return session;
  }

  private async newSession(): Promise<Session> {
    const auth = await this.authOf();
    const project = this.config.project ?? (auth.kind === 'key' ? auth.key.projectId : undefined);
    if (project === undefined) {
      throw new SlayerError(
        ErrorCode.InvalidInput,
        `Datasource '${this.config.datasource}' (bigquery) names no project: write it in the connection_string ` +
          "(bigquery://<project>/<dataset>) or 'host'.",
      );
    }
    return { project, auth };
  }

  private async authOf(): Promise<Auth> {
    const { credentials } = this.config;
    if (credentials.kind === 'key') return this.keyAuth(credentials.key);
    if (credentials.kind === 'keyFile')
      return this.keyAuth(await this.keyFromFile(credentials.path, credentials.setting));
    const file = this.env.GOOGLE_APPLICATION_CREDENTIALS?.trim();
    if (file) return this.keyAuth(await this.keyFromFile(file, 'GOOGLE_APPLICATION_CREDENTIALS'));
    const token = this.env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim();
    if (token) {
      this.remember(token);
      return { kind: 'token', token };
    }
    throw new SlayerError(
      ErrorCode.InvalidInput,
      `Datasource '${this.config.datasource}' (bigquery) has no credentials: set ${SUPPORTED_CREDENTIALS}.`,
    );
  }

  private async keyFromFile(file: string, setting: string): Promise<ServiceAccountKey> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new SlayerError(
        ErrorCode.InvalidInput,
        `Datasource '${this.config.datasource}': cannot read the key file in ${setting} ('${file}'` +
          `${typeof code === 'string' ? `, ${code}` : ''}).`,
      );
    }
    return serviceAccountKeyOf({ name: this.config.datasource }, text, `the key file in ${setting}`);
  }

  private keyAuth(key: ServiceAccountKey): Auth {
    this.rememberKey(key);
    let signingKey: KeyObject;
    try {
      signingKey = createPrivateKey(key.privateKey);
    } catch {
      throw new SlayerError(
        ErrorCode.InvalidInput,
        `Datasource '${this.config.datasource}': the service account's private_key is not a PEM private key.`,
      );
    }
    return { kind: 'key', key, signingKey };
  }

  /** The access token: the environment's, or the key's, fetched once and kept until shortly before it expires. */
  private async bearer(session: Session, signal?: AbortSignal): Promise<string> {
    const { auth } = session;
    if (auth.kind === 'token') return auth.token;
    const id = tokenKeyOf(auth.key);
    const cached = TOKENS.get(id);
    if (cached?.token !== undefined && this.now() >= cached.token.renewAt) TOKENS.delete(id);
    let entry = TOKENS.get(id);
    if (entry === undefined) {
      const created: CachedToken = { pending: this.fetchToken(auth.key, auth.signingKey) };
      created.pending.then(
        (token) => {
          created.token = token;
        },
        () => {
          // A failed fetch is not kept: the next run asks again.
          if (TOKENS.get(id) === created) TOKENS.delete(id);
        },
      );
      TOKENS.set(id, created);
      entry = created;
    }
    const token = await abortable(entry.pending, signal);
    this.remember(token.value);
    return token.value;
  }

  /**
   * The JWT bearer grant at the key's token_uri. It is shared by every run
   * waiting for the same key, so it is not tied to one run's signal; its
   * errors already have the assertion masked.
   */
  private async fetchToken(key: ServiceAccountKey, signingKey: KeyObject): Promise<Token> {
    const issuedAt = this.now();
    const assertion = signedAssertion(key, signingKey, issuedAt);
    this.remember(assertion);
    const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
    const init: RequestInit = {
      method: 'POST',
      body: body.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': USER_AGENT },
    };
    const endpoint = { engine: "Google's token service", origin: new URL(key.tokenUri).origin };
    try {
      const send = (): Promise<Answer> => timedFetch(endpoint, key.tokenUri, init, this.timeoutMs);
      const answer = await withRetries(send, busy, RETRIES);
      return tokenOf(answer, key, issuedAt);
    } catch (error) {
      throw driverError(error, this.redactAll, 'connect');
    }
  }
}

/** Drops a token the API refused, unless it has already been replaced. */
function forgetToken(key: ServiceAccountKey, refused: string): void {
  const id = tokenKeyOf(key);
  if (TOKENS.get(id)?.token?.value === refused) TOKENS.delete(id);
}

/** The token service's answer: `{access_token, expires_in}`, or `{error, error_description}`. */
function tokenOf(answer: Answer, key: ServiceAccountKey, issuedAt: number): Token {
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    body = undefined;
  }
  const value = isObject(body) ? textField(body, 'access_token') : undefined;
  if (answer.status === 200 && value) {
    const seconds = isObject(body) && typeof body.expires_in === 'number' ? body.expires_in : ASSERTION_LIFETIME_S;
    const lifetime = seconds * 1000;
    return { value, renewAt: issuedAt + lifetime - Math.min(TOKEN_MARGIN_MS, lifetime / 2) };
  }
  const error = isObject(body) ? textField(body, 'error') : undefined;
  const description = isObject(body) ? textField(body, 'error_description') : undefined;
  const detail = [error, description].filter((part) => part !== undefined).join(': ');
  throw new SlayerError(
    ErrorCode.ConnectionFailed,
    `Google's token service refused the service account ${key.clientEmail} (HTTP ${answer.status})` +
      (detail ? `: ${detail}` : '.'),
  );
}

/** `dataset`, or `project.dataset` for a dataset of another project. */
function datasetRef(dataset: string, project: string): { projectId: string; datasetId: string } {
  const dot = dataset.lastIndexOf('.');
  return dot < 0
    ? { projectId: project, datasetId: dataset }
    : { projectId: dataset.slice(0, dot), datasetId: dataset.slice(dot + 1) };
}
