/**
 * A stand-in for BigQuery's REST API and Google's OAuth token service: a
 * node:http server answering just the calls the BigQuery driver makes.
 *
 * What it proves about the driver: the JWT bearer grant it sends to the key's
 * token_uri (an RS256 signature checked here with the public half of a key
 * pair the test generates; iss, scope, aud, iat, exp within an hour), that it
 * keeps and renews the access token and sends it as `Authorization: Bearer`
 * (401 otherwise, echoing the header it got, as a careless proxy might); the
 * jobs.query request (query, useLegacySql false, maxResults, timeoutMs,
 * requestId, jobCreationMode, int64 timestamps, defaultDataset, location);
 * that it polls jobs.getQueryResults while jobComplete is false, follows
 * pageToken page after page keeping rows in order, maps BigQuery's
 * `rows[].f[].v` by schema type, retries 429/503 (and 403 rateLimitExceeded)
 * after Retry-After, posts jobs.cancel on an abort (recorded here), and turns
 * Google's error bodies into messages.
 *
 * What it does not prove: BigQuery's SQL (it never executes SQL: it answers
 * canned results keyed by the exact query text; BigQuery's SQL is checked by
 * meaning in test/unit/dialect-corpus.test.ts), TLS, Google's real token
 * service (its clock-skew rules, key rotation, scopes and IAM), quotas and
 * their real timing, result sizes past 10 MB a page, or how BigQuery really
 * decides to create a job under JOB_CREATION_OPTIONAL (here: only when the
 * query polls or pages).
 */
import { randomUUID, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpStandin } from './http-standin';

/** A schema field as BigQuery describes it. */
export interface StandinField {
  name: string;
  type: string;
  mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  fields?: StandinField[];
}

/** A row as BigQuery writes it: `{f: [{v}, ...]}`. */
export interface StandinRow {
  f: { v: unknown }[];
}

export interface CannedRows {
  fields: StandinField[];
  rows: StandinRow[];
  /** Answers jobComplete false to this many calls before the rows; Infinity never completes. */
  polls?: number;
}

export interface CannedError {
  error: { code: number; message: string; reason: string; status?: string };
  polls?: number;
}

export type Canned = CannedRows | CannedError;

/** An answer given, in order, to the first API calls, before any is served. */
export interface BusyAnswer {
  status: number;
  retryAfter?: string;
  reason: string;
}

export interface BigQueryStandinOptions {
  /** Verifies the assertion's signature. */
  publicKey: KeyObject;
  clientEmail: string;
  /** Answers keyed by the exact query text. */
  results: Record<string, Canned>;
  /** Rows per page at most, whatever maxResults asks; small, so paging is exercised. */
  pageRows?: number;
  /** expires_in of the tokens it issues. */
  tokenSeconds?: number;
  /** An access token accepted without the token service (GOOGLE_OAUTH_ACCESS_TOKEN). */
  staticToken?: string;
  busy?: BusyAnswer[];
  /** Queries that get no answer at all: a server gone quiet. */
  silent?: string[];
}

export interface TokenRequest {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

interface Job {
  canned: Canned;
  reads: number;
  cancelled: boolean;
  location?: string;
}

const DEFAULT_PAGE_ROWS = 2;
const SCOPE = 'https://www.googleapis.com/auth/bigquery';
const API = '/bigquery/v2/projects/';

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function googleError(code: number, message: string, reason: string, status?: string): Record<string, unknown> {
  return { error: { code, message, errors: [{ message, domain: 'global', reason }], status: status ?? 'UNKNOWN' } };
}

function decodePart(part: string | undefined): Record<string, unknown> {
  const parsed: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
  return parsed as Record<string, unknown>;
}

export class BigQueryStandin extends HttpStandin {
  /** The verified assertions, in order. */
  readonly tokenRequests: TokenRequest[] = [];
  /** jobs.query request bodies, in order. */
  readonly queries: Record<string, unknown>[] = [];
  /** Ids of the jobs a jobs.cancel reached, in order. */
  readonly cancelled: string[] = [];
  /** Ids of the jobs created, in order. */
  readonly jobs: string[] = [];
  private readonly state = new Map<string, Job>();
  private readonly issued = new Set<string>();
  private readonly busy: BusyAnswer[];

  private constructor(private readonly options: BigQueryStandinOptions) {
    super(0);
    this.busy = [...(options.busy ?? [])];
  }

  static async start(options: BigQueryStandinOptions): Promise<BigQueryStandin> {
    const standin = new BigQueryStandin(options);
    await standin.listen();
    return standin;
  }

  /** The token_uri a key file names. */
  get tokenUri(): string {
    return `${this.url}/token`;
  }

  /** Adds or replaces the answer to a query text (for SQL only known once planned). */
  setResult(query: string, canned: Canned): void {
    this.options.results[query] = canned;
  }

  /** Every token issued so far stops working (a revoked or expired token, from the API's side). */
  revokeTokens(): void {
    this.issued.clear();
  }

  /** API calls (not token requests) that reached the stand-in, by method and path prefix. */
  calls(method: string, pattern: RegExp): number {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path)).length;
  }

  protected unavailableAnswer(response: ServerResponse): void {
    send(response, 503, googleError(503, 'The service is currently unavailable.', 'backendError', 'UNAVAILABLE'));
  }

  protected authorised(request: IncomingMessage, response: ServerResponse): boolean {
    if ((request.url ?? '').startsWith('/token')) return true;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (this.issued.has(token) || (this.options.staticToken !== undefined && token === this.options.staticToken)) {
      return true;
    }
    const message = `Request had invalid authentication credentials. Got '${header}'.`;
    send(response, 401, googleError(401, message, 'authError', 'UNAUTHENTICATED'));
    return false;
  }

  protected route(method: string, path: string, body: string, response: ServerResponse): void | Promise<void> {
    if (method === 'POST' && path === '/token') return this.token(body, response);
    const busy = this.busy.shift();
    if (busy) {
      const headers: Record<string, string> = busy.retryAfter === undefined ? {} : { 'Retry-After': busy.retryAfter };
      return send(response, busy.status, googleError(busy.status, `Busy: ${busy.reason}`, busy.reason), headers);
    }
    const url = new URL(path, this.url);
    const match = /^\/bigquery\/v2\/projects\/([^/]+)\/(queries|jobs)(?:\/([^/]+)(\/cancel)?)?$/.exec(url.pathname);
    if (match === null || !path.startsWith(API)) return send(response, 404, googleError(404, 'Not found', 'notFound'));
    const [, project = '', collection, id, cancel] = match;
    if (method === 'POST' && collection === 'queries' && id === undefined) return this.query(project, body, response);
    const job = id === undefined ? undefined : this.state.get(id);
    if (id === undefined || job === undefined) {
      return send(response, 404, googleError(404, `Not found: Job ${project}:${id ?? ''}`, 'notFound'));
    }
    if (method === 'POST' && collection === 'jobs' && cancel !== undefined) return this.cancel(id, job, response);
    if (method === 'GET' && collection === 'queries') return this.results(project, id, job, url.searchParams, response);
    send(response, 405, googleError(405, 'Method not allowed', 'notAllowed'));
  }

  /** The JWT bearer grant: the signature checked with the test's public key, then the claims. */
  private token(body: string, response: ServerResponse): void {
    const form = new URLSearchParams(body);
    const assertion = form.get('assertion') ?? '';
    const refuse = (description: string): void =>
      // Echoes what it got, as a careless proxy might: the driver must mask it.
      send(response, 400, { error: 'invalid_grant', error_description: `${description} (assertion ${assertion})` });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return refuse('Bad grant_type.');
    const [header, claims, signature] = assertion.split('.');
    if (header === undefined || claims === undefined || signature === undefined) return refuse('Not a JWT.');
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${claims}`),
      this.options.publicKey,
      Buffer.from(signature, 'base64url'),
    );
    if (!signed) return refuse('Invalid JWT Signature.');
    const request = { header: decodePart(header), claims: decodePart(claims) };
    const { iss, scope, aud, iat, exp } = request.claims;
    if (request.header.alg !== 'RS256') return refuse('Bad alg.');
    if (iss !== this.options.clientEmail || scope !== SCOPE || aud !== this.tokenUri) return refuse('Bad claims.');
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= iat || exp - iat > 3600) {
      return refuse('Invalid JWT: iat and exp must be at most an hour apart.');
    }
    this.tokenRequests.push(request);
    const accessToken = `ya29.standin-${randomUUID()}`;
    this.issued.add(accessToken);
    this.changed();
    send(response, 200, {
      access_token: accessToken,
      expires_in: this.options.tokenSeconds ?? 3599,
      token_type: 'Bearer',
    });
  }

  private query(project: string, body: string, response: ServerResponse): void | Promise<void> {
    const request = JSON.parse(body) as Record<string, unknown>;
    this.queries.push(request);
    this.changed();
    const text = typeof request.query === 'string' ? request.query : '';
    // Never answers: the request stays open until the driver gives up or the stand-in closes.
    if (this.options.silent?.includes(text)) return new Promise<void>(() => undefined);
    const canned: Canned = this.options.results[text] ?? {
      error: {
        code: 400,
        message: `Unrecognized name: the stand-in has no canned result for: ${text}`,
        reason: 'invalidQuery',
      },
    };
    const id = `job_standin_${this.jobs.length + 1}`;
    const location = typeof request.location === 'string' ? request.location : 'US';
    const job: Job = { canned, reads: 0, cancelled: false, location };
    const maxResults = typeof request.maxResults === 'number' ? request.maxResults : Number.POSITIVE_INFINITY;
    // A job only when BigQuery would need one here: the query polls or its rows take more than one page.
    const needsJob = 'error' in canned ? (canned.polls ?? 0) > 0 : this.needsJob(canned, maxResults);
    if (!needsJob) return this.answer(project, undefined, job, maxResults, 0, response);
    this.state.set(id, job);
    this.jobs.push(id);
    this.answer(project, id, job, maxResults, 0, response);
  }

  private needsJob(canned: CannedRows, maxResults: number): boolean {
    return (canned.polls ?? 0) > 0 || canned.rows.length > Math.min(maxResults, this.pageRows());
  }

  private pageRows(): number {
    return this.options.pageRows ?? DEFAULT_PAGE_ROWS;
  }

  private results(project: string, id: string, job: Job, params: URLSearchParams, response: ServerResponse): void {
    if (params.get('location') !== job.location) {
      return send(response, 404, googleError(404, `Not found: Job ${project}:${id} in the location asked`, 'notFound'));
    }
    const maxResults = Number(params.get('maxResults') ?? Number.POSITIVE_INFINITY);
    const token = params.get('pageToken');
    const offset = token === null ? 0 : Number(/^page-(\d+)$/.exec(token)?.[1] ?? Number.NaN);
    if (!Number.isInteger(offset)) return send(response, 400, googleError(400, 'Invalid page token', 'invalid'));
    this.answer(project, id, job, maxResults, offset, response);
  }

  /** A QueryResponse / GetQueryResultsResponse: jobComplete false while polling, then a page of rows or the error. */
  private answer(
    project: string,
    id: string | undefined,
    job: Job,
    maxResults: number,
    offset: number,
    response: ServerResponse,
  ): void {
    const reads = job.reads;
    job.reads += 1;
    const reference =
      id === undefined ? {} : { jobReference: { projectId: project, jobId: id, location: job.location } };
    const base = { kind: 'bigquery#queryResponse', ...reference };
    if (job.cancelled) {
      return send(
        response,
        400,
        googleError(400, 'Job execution was cancelled: User requested cancellation', 'stopped'),
      );
    }
    if (reads < (job.canned.polls ?? 0)) return send(response, 200, { ...base, jobComplete: false });
    const { canned } = job;
    if ('error' in canned) {
      const { code, message, reason, status } = canned.error;
      return send(response, code, googleError(code, message, reason, status));
    }
    const size = Math.min(maxResults, this.pageRows());
    const rows = canned.rows.slice(offset, offset + size);
    const next = offset + size < canned.rows.length ? { pageToken: `page-${offset + size}` } : {};
    send(response, 200, {
      ...base,
      ...(id === undefined ? { queryId: `query_${randomUUID()}` } : {}),
      schema: { fields: canned.fields },
      totalRows: String(canned.rows.length),
      ...(rows.length > 0 ? { rows } : {}),
      ...next,
      jobComplete: true,
      cacheHit: false,
    });
  }

  private cancel(id: string, job: Job, response: ServerResponse): void {
    if (!job.cancelled) {
      job.cancelled = true;
      this.cancelled.push(id);
    }
    send(response, 200, { kind: 'bigquery#jobCancelResponse', job: { jobReference: { jobId: id } } });
    this.changed();
  }
}
