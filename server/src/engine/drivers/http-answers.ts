/**
 * What the fetch-based drivers (Trino, Databricks, BigQuery, Athena) share
 * about an HTTP answer: its parts, how long a 429/503 asks to wait and asking
 * again, why a request failed before any answer, reading fields out of its
 * JSON, and the values the APIs that write every value as text send.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { cancelledError, type Redactor } from './errors';
import { integerToJs } from './normalise';

export interface Answer {
  status: number;
  retryAfter: string | null;
  body: string;
}

/** The limit on one call: the servers' own waits are shorter, so a minute without an answer is a server gone quiet. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** A cancel is a courtesy to the server: it must never hold up the answer for long. */
export const CANCEL_TIMEOUT_MS = 5_000;
/** A busy server (429, 503) is asked again this many times, briefly. */
export const RETRIES = 3;
export const BUSY_STATUSES: ReadonlySet<number> = new Set([429, 503]);
/** Every request's User-Agent: how an administrator sees where a query came from. */
export const USER_AGENT = 'slayer-studio';
const MASK = '***';

/** For a cancel or a clean-up whose failure changes nothing for the caller. */
export function noop(): void {}

/**
 * The datasource's redactor, then the secrets only the driver knows (a token,
 * a signed assertion) masked too, longest first so a prefix never half-masks one.
 */
export function alsoMasking(redact: Redactor, secrets: () => Iterable<string>): Redactor {
  return (text) => {
    let result = redact(text);
    const known = [...secrets()].filter((secret) => secret !== '').sort((a, b) => b.length - a.length);
    for (const secret of known) result = result.split(secret).join(MASK);
    return result;
  };
}

const RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 5_000;

/** The server's Retry-After, capped so a busy server cannot stall a run for long; half a second when it names none. */
export function delayBefore(answer: Answer): number {
  const seconds = Number(answer.retryAfter);
  if (answer.retryAfter === null || !Number.isFinite(seconds) || seconds < 0) return RETRY_DELAY_MS;
  return Math.min(seconds * 1000, MAX_RETRY_DELAY_MS);
}

export function causeOf(error: unknown): string {
  // fetch's own message is only "fetch failed"; the reason (ECONNREFUSED, a TLS error) is its cause.
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Sends, and while `busy` says the server was too busy to answer (a 429, a
 * 503), waits as delayBefore says and sends again, at most `retries` more
 * times; the last answer is returned whatever it is.
 */
export async function withRetries(
  send: () => Promise<Answer>,
  busy: (answer: Answer) => boolean,
  retries: number,
  signal?: AbortSignal,
): Promise<Answer> {
  for (let attempt = 0; ; attempt += 1) {
    const answer = await send();
    if (attempt >= retries || !busy(answer)) return answer;
    await sleep(delayBefore(answer), undefined, signal ? { signal } : {});
  }
}

/** Where a request goes and what calls it, for errors that say which server failed. */
export interface Endpoint {
  engine: string;
  origin: string;
}

/**
 * fetch with a time limit on the whole call, body included. A cancel by the
 * caller is the cancelled error; a timeout or an unreachable server is
 * ConnectionFailed, naming the engine and its origin.
 */
export async function timedFetch(
  endpoint: Endpoint,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Answer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    const body = await response.text();
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
  } catch (error) {
    if (signal?.aborted) throw cancelledError();
    const where = `${endpoint.engine} at ${endpoint.origin}`;
    if (timeout.aborted) {
      throw new SlayerError(ErrorCode.ConnectionFailed, `${where} did not answer within ${timeoutMs / 1000} s.`);
    }
    throw new SlayerError(ErrorCode.ConnectionFailed, `Cannot reach ${where}: ${causeOf(error)}`);
  }
}

/** A JSON object (not an array, not null), whose fields can be read one by one. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function textField(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}

// Values that BigQuery, Databricks and Athena write as text, read into the driver contract's forms (types.ts).

export type TextConvert = (text: string) => unknown;

/** An integer as a number, past 2^53 as its decimal string; text that is no integer as Number reads it. */
export const integerText: TextConvert = (text) => (/^-?\d+$/.test(text) ? integerToJs(BigInt(text)) : Number(text));

/** A float or a decimal; `NaN`, `Infinity` and `-Infinity` come as those words, which Number reads. */
export const floatText: TextConvert = (text) => Number(text);

export const booleanText: TextConvert = (text) => text.toLowerCase() === 'true';
