/**
 * What the fetch-based drivers (Trino, Databricks) share about an HTTP
 * answer: its parts, how long a 429/503 asks to wait, why a request failed
 * before any answer, and reading fields out of its JSON.
 */
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { cancelledError } from './errors';

export interface Answer {
  status: number;
  retryAfter: string | null;
  body: string;
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
