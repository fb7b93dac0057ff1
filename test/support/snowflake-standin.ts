/**
 * A stand-in for Snowflake's SQL API (v2): a node:http server answering just
 * the calls the Snowflake driver makes, with the response shapes Snowflake's
 * documentation gives.
 *
 * What it proves about the driver: the request it sends (POST
 * /api/v2/statements?async=true with statement, timeout, database, schema,
 * warehouse and role); that every call carries a key-pair JWT whose RS256
 * signature verifies against the public key the test generated and whose
 * claims are iss `ACCOUNT.USER.SHA256:<fingerprint of that key>`, sub
 * `ACCOUNT.USER`, at most an hour long (or, for OAuth, the token), with the
 * matching `X-Snowflake-Authorization-Token-Type` — 401 otherwise; that it
 * polls a 202 by handle until the 200 result; that it reads partitions
 * (`?partition=N`, gzip-compressed like Snowflake's, holding only `data`) in
 * order and no further than the preview cap needs; how it maps the API's
 * strings to the driver contract by rowType type and scale; that an abort
 * reaches POST .../{handle}/cancel (recorded here); that a 422's
 * code/message/sqlState and a 408 (the statement's timeout) surface as the
 * run's errors; that a 429 is asked again; and that secrets are redacted
 * (errors can echo the Authorization header they were sent, as a careless
 * proxy might).
 *
 * What it does not prove: Snowflake's SQL (it never executes SQL; it answers
 * from canned results keyed by the exact statement text; Snowflake SQL is
 * checked by meaning in test/unit/dialect-corpus.test.ts), TLS, real account
 * routing (`<account>.snowflakecomputing.com`, regions, private links), that
 * Snowflake accepts the JWT (it checks the JWT the way the documentation
 * describes, against a key registered nowhere else), OAuth token issuance,
 * the real timing of polls and timeouts, or result sizes of real partitions.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { HttpStandin } from './http-standin';

export interface StandinColumn {
  name: string;
  /** rowType's type, as the API writes it: `fixed`, `real`, `text`, `timestamp_tz`... */
  type: string;
  scale?: number;
}

/** Rows as the API writes them: every value a string, or null. */
export interface CannedRows {
  columns: StandinColumn[];
  rows: (string | null)[][];
  /** Answers 202 to this many reads before the result; Infinity never finishes. */
  polls?: number;
}

/** A failed statement: 422 with Snowflake's QueryFailureStatus. `{authorization}` in the message is replaced by the header sent. */
export interface CannedError {
  error: { code: string; message: string; sqlState: string };
  polls?: number;
}

/** A statement past its `timeout`: 408. */
export interface CannedTimeout {
  timeout: true;
  polls?: number;
}

export type Canned = CannedRows | CannedError | CannedTimeout;

/** Who may call: a key pair's public key and the account and user its JWT must name, or an OAuth token. */
export type StandinAuth = { publicKey: KeyObject; account: string; user: string } | { oauthToken: string };

export interface StandinOptions {
  /** Answers keyed by the exact statement text the driver sends. */
  results: Record<string, Canned>;
  auth: StandinAuth;
  /** Rows per partition; small, so partitions are exercised. */
  partitionSize?: number;
  /** The first this many requests get 429 with `Retry-After: 0`. */
  busyTimes?: number;
}

/** The claims of a JWT the stand-in accepted. */
export interface JwtClaims {
  iss: string;
  sub: string;
  iat: number;
  exp: number;
}

interface Statement {
  canned: Canned;
  reads: number;
  cancelled: boolean;
}

const DEFAULT_PARTITION_SIZE = 2;
const BASE = '/api/v2/statements';
const MAX_JWT_SECONDS = 3600;

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function statementText(body: string): string {
  const parsed: unknown = JSON.parse(body);
  if (parsed === null || typeof parsed !== 'object' || !('statement' in parsed)) return '';
  return typeof parsed.statement === 'string' ? parsed.statement : '';
}

/** `SHA256:` and the base64 SHA-256 of the public key's DER, computed here independently of the driver. */
export function fingerprintOf(publicKey: KeyObject): string {
  const key = publicKey.type === 'public' ? publicKey : createPublicKey(publicKey);
  const der = key.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
}

function decodePart(part: string): unknown {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

export class SnowflakeStandin extends HttpStandin {
  /** Handles of the statements a POST .../cancel reached, in order. */
  readonly cancelled: string[] = [];
  /** Handles of the statements started, in order. */
  readonly statements: string[] = [];
  /** The claims of every JWT accepted, in order. */
  readonly claims: JwtClaims[] = [];
  private readonly state = new Map<string, Statement>();
  private lastAuthorization = '';

  private constructor(private readonly options: StandinOptions) {
    super(options.busyTimes ?? 0);
  }

  static async start(options: StandinOptions): Promise<SnowflakeStandin> {
    const standin = new SnowflakeStandin(options);
    await standin.listen();
    return standin;
  }

  protected unavailableAnswer(response: ServerResponse): void {
    send(response, 429, { code: '390316', message: 'Too many requests.' }, { 'Retry-After': '0' });
  }

  protected authorised(request: IncomingMessage, response: ServerResponse): boolean {
    const header = request.headers.authorization ?? '';
    const type = request.headers['x-snowflake-authorization-token-type'];
    this.lastAuthorization = header;
    const problem = this.authProblem(header, typeof type === 'string' ? type : '');
    if (problem === undefined) return true;
    // Echoes what it was sent, so the driver's redaction is put to the test.
    send(response, 401, { code: '390144', message: `${problem} [${header}]` });
    return false;
  }

  protected route(method: string, path: string, body: string, response: ServerResponse): void {
    const url = new URL(path, 'http://standin');
    if (method === 'POST' && url.pathname === BASE) return this.submit(body, url, response);
    const match = /^\/api\/v2\/statements\/([^/]+)(\/cancel)?$/.exec(url.pathname);
    const handle = match?.[1];
    const statement = handle === undefined ? undefined : this.state.get(handle);
    if (handle === undefined || statement === undefined) {
      return send(response, 404, { code: '000709', message: 'Statement not found.' });
    }
    if (method === 'POST' && match?.[2] !== undefined) return this.cancel(handle, statement, response);
    if (method === 'GET' && match?.[2] === undefined) {
      return this.status(handle, statement, Number(url.searchParams.get('partition') ?? '0'), response);
    }
    send(response, 405, { code: '000000', message: 'Method not allowed.' });
  }

  private authProblem(header: string, type: string): string | undefined {
    const { auth } = this.options;
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if ('oauthToken' in auth) {
      return type === 'OAUTH' && token === auth.oauthToken ? undefined : 'OAuth access token is invalid.';
    }
    if (type !== 'KEYPAIR_JWT') return 'X-Snowflake-Authorization-Token-Type must be KEYPAIR_JWT.';
    const [header64 = '', payload64 = '', signature64 = ''] = token.split('.');
    try {
      const head = decodePart(header64) as { alg?: unknown };
      if (head.alg !== 'RS256') return 'JWT token is invalid: alg must be RS256.';
      const signed = Buffer.from(`${header64}.${payload64}`);
      if (!verify('sha256', signed, auth.publicKey, Buffer.from(signature64, 'base64url'))) {
        return 'JWT token is invalid: bad signature.';
      }
      const claims = decodePart(payload64) as JwtClaims;
      const subject = `${auth.account}.${auth.user}`;
      const now = Math.floor(Date.now() / 1000);
      if (claims.sub !== subject) return 'JWT token is invalid: wrong subject.';
      if (claims.iss !== `${subject}.${fingerprintOf(auth.publicKey)}`) return 'JWT token is invalid: wrong issuer.';
      if (!(claims.iat <= now + 60 && claims.exp > now && claims.exp - claims.iat <= MAX_JWT_SECONDS)) {
        return 'JWT token is invalid: expired or too long-lived.';
      }
      this.claims.push(claims);
      return undefined;
    } catch {
      return 'JWT token is invalid.';
    }
  }

  private submit(body: string, url: URL, response: ServerResponse): void {
    const text = statementText(body);
    const handle = `01b2c3d4-0000-standin-${this.statements.length + 1}`;
    const canned = this.options.results[text] ?? {
      error: { code: '002003', message: `The stand-in has no canned result for: ${text}`, sqlState: '02000' },
    };
    const statement: Statement = { canned, reads: 0, cancelled: false };
    this.state.set(handle, statement);
    this.statements.push(handle);
    this.changed();
    // Asynchronous execution answers 202 at once, as Snowflake does.
    if (url.searchParams.get('async') === 'true') return this.running(handle, response);
    this.status(handle, statement, 0, response);
  }

  private running(handle: string, response: ServerResponse): void {
    send(response, 202, {
      code: '333334',
      message: 'Asynchronous execution in progress. Use provided query id to perform query monitoring and management.',
      statementHandle: handle,
      statementStatusUrl: `${BASE}/${handle}`,
    });
  }

  /** The statement as this read sees it: running (202), its end, or one partition of its rows. */
  private status(handle: string, statement: Statement, partition: number, response: ServerResponse): void {
    const reads = statement.reads;
    statement.reads += 1;
    if (statement.cancelled) {
      return send(response, 422, {
        code: '000604',
        message: 'SQL execution canceled',
        sqlState: '57014',
        statementHandle: handle,
      });
    }
    if (reads < (statement.canned.polls ?? 0)) return this.running(handle, response);
    const { canned } = statement;
    if ('error' in canned) {
      const message = canned.error.message.replace('{authorization}', this.lastAuthorization);
      return send(response, 422, { ...canned.error, message, statementHandle: handle });
    }
    if ('timeout' in canned) {
      return send(response, 408, {
        code: '000630',
        message: 'Statement reached its statement or warehouse timeout of 120 second(s) and was canceled.',
        sqlState: '57014',
        statementHandle: handle,
      });
    }
    const size = this.options.partitionSize ?? DEFAULT_PARTITION_SIZE;
    const data = canned.rows.slice(partition * size, (partition + 1) * size);
    if (partition > 0) {
      // Later partitions hold only their rows, gzip-compressed.
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      response.end(gzipSync(JSON.stringify({ data })));
      return;
    }
    const partitions = Math.max(1, Math.ceil(canned.rows.length / size));
    send(response, 200, {
      resultSetMetaData: {
        numRows: canned.rows.length,
        format: 'jsonv2',
        rowType: canned.columns.map((column) => ({
          name: column.name,
          type: column.type,
          scale: column.scale ?? null,
          precision: column.type === 'fixed' ? 38 : null,
          nullable: true,
        })),
        partitionInfo: Array.from({ length: partitions }, (_, index) => ({
          rowCount: canned.rows.slice(index * size, (index + 1) * size).length,
          uncompressedSize: 1024,
        })),
      },
      data,
      code: '090001',
      statementStatusUrl: `${BASE}/${handle}`,
      sqlState: '00000',
      statementHandle: handle,
      message: 'Statement executed successfully.',
      createdOn: Date.now(),
    });
  }

  private cancel(handle: string, statement: Statement, response: ServerResponse): void {
    if (!statement.cancelled) {
      statement.cancelled = true;
      this.cancelled.push(handle);
    }
    send(response, 200, {
      code: '000604',
      sqlState: '57014',
      message: 'successfully canceled',
      statementHandle: handle,
    });
    this.changed();
  }
}
