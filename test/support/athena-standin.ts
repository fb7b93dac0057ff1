/**
 * A stand-in for Amazon Athena's JSON API: a node:http server answering the
 * four operations the Athena driver calls, in AWS's JSON 1.1 protocol (a POST
 * to `/`, the operation in `X-Amz-Target`, `application/x-amz-json-1.1`).
 *
 * What it proves about the driver: that every request carries a Signature
 * Version 4 that holds — the stand-in recomputes it from what actually
 * arrived (method, path, the headers named in SignedHeaders, the body) with
 * the test's secret, and checks the credential scope (key id, date, region,
 * `athena`), that host, x-amz-date, x-amz-target and content-type are signed,
 * and that a session token, when the test has one, is sent and signed; a
 * mismatch is answered as AWS does, a 400 InvalidSignatureException quoting
 * the canonical string it expected (session token and all), so redaction is
 * tested against the worst echo. Also: the StartQueryExecution input (query,
 * ClientRequestToken, database, catalog, output location, workgroup; one
 * query per token, so a resend is the same query), that the driver polls
 * GetQueryExecution through QUEUED and RUNNING until SUCCEEDED, FAILED or
 * CANCELLED, reads GetQueryResults page by page by NextToken (MaxResults at
 * most 1000; the first page's first row the column names, as Athena sends a
 * SELECT's), maps Athena's text values by column type, retries a 400
 * ThrottlingException and a 503, and calls StopQueryExecution on an abort
 * (recorded here).
 *
 * What it does not prove: Athena's SQL (it never runs SQL: it answers canned
 * results keyed by the exact query text; Athena's SQL is Trino's, checked by
 * meaning in test/unit/dialect-corpus.test.ts), TLS, IAM and Lake Formation
 * permissions, real AWS key validation and clock-skew rules, the S3 output
 * location and workgroup settings (it only checks that one is named), how
 * Athena really writes nested values and zoned timestamps as text (the
 * canned text follows Athena's documentation and PyAthena's converter), and
 * real timings (queue times, throttling rates).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpStandin } from './http-standin';

export interface StandinColumn {
  Name: string;
  /** Athena's type name: `bigint`, `decimal`, `timestamp with time zone`, `array`... */
  Type: string;
  Precision?: number;
  Scale?: number;
}

export interface CannedRows {
  columns: StandinColumn[];
  /** Values as Athena writes them (VarCharValue); null is a cell without one. */
  rows: (string | null)[][];
  /** Answers QUEUED, then RUNNING, to this many GetQueryExecution calls; Infinity never finishes. */
  polls?: number;
}

export interface CannedFailure {
  /** The StateChangeReason of a FAILED query. */
  failure: string;
  polls?: number;
}

export type Canned = CannedRows | CannedFailure;

export interface AthenaStandinOptions {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, every request must carry it as X-Amz-Security-Token, signed. */
  sessionToken?: string;
  region: string;
  /** Answers keyed by the exact QueryString. */
  results: Record<string, Canned>;
  /** Rows per GetQueryResults page at most, whatever MaxResults asks (header row included); small, so paging is exercised. */
  pageRows?: number;
  /** The first this many StartQueryExecution calls are refused with a 400 ThrottlingException. */
  throttle?: number;
  /** The first this many requests get 503 with `Retry-After: 0`. */
  unavailableTimes?: number;
}

interface QueryExecution {
  id: string;
  input: Record<string, unknown>;
  canned: Canned;
  reads: number;
  stopped: boolean;
}

const DEFAULT_PAGE_ROWS = 2;
const MAX_RESULTS = 1000;
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const REQUIRED_SIGNED = ['content-type', 'host', 'x-amz-date', 'x-amz-target'];
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
/** AWS refuses a request signed more than 15 minutes away from its own clock. */
const MAX_SKEW_MS = 15 * 60_000;

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'x-amzn-RequestId': randomUUID() });
  response.end(JSON.stringify(body));
}

function awsError(response: ServerResponse, status: number, type: string, message: string): void {
  send(response, status, { __type: type, message });
}

// SigV4 as the receiving side sees it, written apart from the driver's signer so one cannot hide the other's mistake.

const hex256 = (data: string): string => createHash('sha256').update(data).digest('hex');

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function expectedCanonical(request: IncomingMessage, signedNames: string[], body: string): string {
  const url = new URL(request.url ?? '/', 'http://standin');
  const path = url.pathname
    .split('/')
    .map((segment) => rfc3986(segment))
    .join('/');
  const query = [...url.searchParams]
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join('&');
  let headerBlock = '';
  for (const name of signedNames) {
    const raw = request.headers[name];
    const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
    headerBlock += `${name}:${value.trim().replace(/ +/g, ' ')}\n`;
  }
  return `${request.method ?? ''}\n${path}\n${query}\n${headerBlock}\n${signedNames.join(';')}\n${hex256(body)}`;
}

function expectedSignature(secret: string, date: string, region: string, stringToSign: string): string {
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  for (const part of [region, 'athena', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

/** When an X-Amz-Date (`20240102T030405Z`) was. */
function amzTime(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return Number.NaN;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = m.slice(1).map(Number);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

export class AthenaStandin extends HttpStandin {
  /** Requests whose signature the stand-in recomputed and accepted. */
  signaturesChecked = 0;
  /** StartQueryExecution inputs, in order, resends included. */
  readonly starts: Record<string, unknown>[] = [];
  /** Ids of the queries started, in order (a resend with a known token starts none). */
  readonly executions: string[] = [];
  /** Ids StopQueryExecution reached, in order. */
  readonly stopped: string[] = [];
  /** MaxResults of each GetQueryResults call, in order. */
  readonly pageAsks: (number | undefined)[] = [];
  private readonly byId = new Map<string, QueryExecution>();
  private readonly byToken = new Map<string, QueryExecution>();
  private throttled: number;

  private constructor(private readonly options: AthenaStandinOptions) {
    super(options.unavailableTimes ?? 0);
    this.throttled = options.throttle ?? 0;
  }

  static async start(options: AthenaStandinOptions): Promise<AthenaStandin> {
    const standin = new AthenaStandin(options);
    await standin.listen();
    return standin;
  }

  /** How many calls of one operation reached the stand-in (signed or not). */
  calls(operation: string): number {
    return this.requests.filter((r) => r.headers['x-amz-target'] === `AmazonAthena.${operation}`).length;
  }

  protected unavailableAnswer(response: ServerResponse): void {
    response.writeHead(503, { 'Content-Type': CONTENT_TYPE, 'Retry-After': '0' });
    response.end(JSON.stringify({ __type: 'ServiceUnavailableException', message: 'Service unavailable' }));
  }

  /** The SigV4 check, as AWS answers its failures. */
  protected authorised(request: IncomingMessage, response: ServerResponse): boolean {
    const body = this.requests.at(-1)?.body ?? '';
    const match = AUTHORIZATION.exec(request.headers.authorization ?? '');
    if (!match) {
      awsError(
        response,
        400,
        'IncompleteSignature',
        'Authorization header requires Credential, SignedHeaders, Signature.',
      );
      return false;
    }
    const [, keyId, date, region, service, signedList = '', signature] = match;
    const signedNames = signedList.split(';');
    const date8 = (request.headers['x-amz-date'] as string | undefined) ?? '';
    const { accessKeyId, secretAccessKey, sessionToken } = this.options;
    if (keyId !== accessKeyId) {
      awsError(response, 400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      return false;
    }
    const token = request.headers['x-amz-security-token'];
    if (sessionToken !== undefined && (token !== sessionToken || !signedNames.includes('x-amz-security-token'))) {
      awsError(response, 400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      return false;
    }
    const missing = REQUIRED_SIGNED.filter((name) => !signedNames.includes(name));
    const sorted = [...signedNames].sort().join(';') === signedList;
    if (missing.length > 0 || !sorted || date !== date8.slice(0, 8) || region !== this.options.region) {
      awsError(
        response,
        400,
        'InvalidSignatureException',
        `Credential should be scoped correctly, with ${REQUIRED_SIGNED.join(';')} signed (got ${signedList}, ${date}/${region}/${service}).`,
      );
      return false;
    }
    if (service !== 'athena' || Math.abs(Date.now() - amzTime(date8)) > MAX_SKEW_MS) {
      awsError(response, 400, 'InvalidSignatureException', 'Signature expired or not scoped to athena.');
      return false;
    }
    const canonical = expectedCanonical(request, signedNames, body);
    const stringToSign = `AWS4-HMAC-SHA256\n${date8}\n${date}/${region}/${service}/aws4_request\n${hex256(canonical)}`;
    if (expectedSignature(secretAccessKey, date, region, stringToSign) !== signature) {
      // AWS's own answer quotes what it expected, security token included.
      awsError(
        response,
        400,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access ' +
          `Key and signing method.\n\nThe Canonical String for this request should have been\n'${canonical}'\n\n` +
          `The String-to-Sign should have been\n'${stringToSign}'\n(got ${request.headers.authorization ?? ''})`,
      );
      return false;
    }
    this.signaturesChecked += 1;
    return true;
  }

  protected route(method: string, path: string, body: string, response: ServerResponse): void {
    const headers = this.requests.at(-1)?.headers ?? {};
    if (method !== 'POST' || path !== '/') return awsError(response, 404, 'UnknownOperationException', 'Not found');
    if (headers['content-type'] !== CONTENT_TYPE) {
      return awsError(response, 400, 'SerializationException', `Content-Type must be ${CONTENT_TYPE}`);
    }
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return awsError(response, 400, 'SerializationException', 'Body is not JSON');
    }
    const target = headers['x-amz-target'];
    if (target === 'AmazonAthena.StartQueryExecution') return this.startQuery(input, response);
    const id = typeof input.QueryExecutionId === 'string' ? input.QueryExecutionId : '';
    const execution = this.byId.get(id);
    if (execution === undefined) {
      return awsError(response, 400, 'InvalidRequestException', `QueryExecution ${id} was not found`);
    }
    if (target === 'AmazonAthena.GetQueryExecution') return this.status(execution, response);
    if (target === 'AmazonAthena.GetQueryResults') return this.results(execution, input, response);
    if (target === 'AmazonAthena.StopQueryExecution') return this.stop(execution, response);
    awsError(response, 400, 'UnknownOperationException', `Unknown operation ${String(target)}`);
  }

  private startQuery(input: Record<string, unknown>, response: ServerResponse): void {
    this.starts.push(input);
    this.changed();
    if (this.throttled > 0) {
      this.throttled -= 1;
      return awsError(response, 400, 'ThrottlingException', 'Rate exceeded');
    }
    const token = input.ClientRequestToken;
    if (typeof token !== 'string' || token.length < 32 || token.length > 128) {
      return awsError(response, 400, 'InvalidRequestException', 'ClientRequestToken must be 32 to 128 characters.');
    }
    const known = this.byToken.get(token);
    if (known) return send(response, 200, { QueryExecutionId: known.id });
    const output = (input.ResultConfiguration as { OutputLocation?: unknown } | undefined)?.OutputLocation;
    if (typeof output !== 'string' && typeof input.WorkGroup !== 'string') {
      return awsError(
        response,
        400,
        'InvalidRequestException',
        'No output location provided. An output location is required either through the Workgroup result ' +
          'configuration setting or as an API input.',
      );
    }
    const text = typeof input.QueryString === 'string' ? input.QueryString : '';
    const canned: Canned = this.options.results[text] ?? {
      failure: `SYNTAX_ERROR: line 1:1: the stand-in has no canned result for: ${text}`,
    };
    const execution: QueryExecution = { id: randomUUID(), input, canned, reads: 0, stopped: false };
    this.byId.set(execution.id, execution);
    this.byToken.set(token, execution);
    this.executions.push(execution.id);
    this.changed();
    send(response, 200, { QueryExecutionId: execution.id });
  }

  private stateOf(execution: QueryExecution): string {
    if (execution.stopped) return 'CANCELLED';
    const polls = execution.canned.polls ?? 0;
    if (execution.reads <= polls) return execution.reads <= 1 ? 'QUEUED' : 'RUNNING';
    return 'failure' in execution.canned ? 'FAILED' : 'SUCCEEDED';
  }

  private status(execution: QueryExecution, response: ServerResponse): void {
    execution.reads += 1;
    const state = this.stateOf(execution);
    const failed = state === 'FAILED' && 'failure' in execution.canned ? execution.canned.failure : undefined;
    const ended = state !== 'QUEUED' && state !== 'RUNNING';
    send(response, 200, {
      QueryExecution: {
        QueryExecutionId: execution.id,
        Query: execution.input.QueryString,
        StatementType: 'DML',
        QueryExecutionContext: execution.input.QueryExecutionContext,
        WorkGroup: execution.input.WorkGroup ?? 'primary',
        Status: {
          State: state,
          SubmissionDateTime: Date.now() / 1000,
          ...(ended ? { CompletionDateTime: Date.now() / 1000 } : {}),
          ...(failed === undefined
            ? {}
            : {
                StateChangeReason: failed,
                AthenaError: { ErrorCategory: 2, ErrorType: 1006, Retryable: false, ErrorMessage: failed },
              }),
        },
      },
    });
  }

  private results(execution: QueryExecution, input: Record<string, unknown>, response: ServerResponse): void {
    const maxResults = typeof input.MaxResults === 'number' ? input.MaxResults : undefined;
    this.pageAsks.push(maxResults);
    this.changed();
    if (maxResults !== undefined && (maxResults < 1 || maxResults > MAX_RESULTS)) {
      return awsError(response, 400, 'InvalidRequestException', 'MaxResults must be between 1 and 1000.');
    }
    const state = this.stateOf(execution);
    if (state !== 'SUCCEEDED' || 'failure' in execution.canned) {
      return awsError(response, 400, 'InvalidRequestException', `Query has not yet finished. Current state: ${state}`);
    }
    const { columns, rows } = execution.canned;
    const all = [columns.map((c) => c.Name), ...rows];
    const token = typeof input.NextToken === 'string' ? input.NextToken : undefined;
    const offset = token === undefined ? 0 : Number(/^page-(\d+)$/.exec(token)?.[1] ?? Number.NaN);
    if (!Number.isInteger(offset)) return awsError(response, 400, 'InvalidRequestException', 'Invalid NextToken');
    const size = Math.min(maxResults ?? MAX_RESULTS, this.options.pageRows ?? DEFAULT_PAGE_ROWS);
    const page = all.slice(offset, offset + size);
    send(response, 200, {
      UpdateCount: 0,
      ResultSet: {
        Rows: page.map((row) => ({ Data: row.map((value) => (value === null ? {} : { VarCharValue: value })) })),
        ResultSetMetadata: {
          ColumnInfo: columns.map((c) => ({
            CatalogName: 'hive',
            SchemaName: '',
            TableName: '',
            Name: c.Name,
            Label: c.Name,
            Type: c.Type,
            Precision: c.Precision ?? 0,
            Scale: c.Scale ?? 0,
            Nullable: 'UNKNOWN',
            CaseSensitive: c.Type === 'varchar',
          })),
        },
      },
      ...(offset + size < all.length ? { NextToken: `page-${offset + size}` } : {}),
    });
  }

  private stop(execution: QueryExecution, response: ServerResponse): void {
    if (!execution.stopped) {
      execution.stopped = true;
      this.stopped.push(execution.id);
    }
    send(response, 200, {});
    this.changed();
  }
}
