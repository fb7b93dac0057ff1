import { ErrorCode, SlayerError, isSlayerError } from '../../../../shared/src/errors';

/** Hides credentials in a message; each driver gets one bound to its datasource. */
export type Redactor = (text: string) => string;

export function cancelledError(): SlayerError {
  return new SlayerError(ErrorCode.Cancelled, 'The query was cancelled.');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Turns whatever a database library threw into the project's typed error. The
 * original error is deliberately not kept as `cause`: it may carry the
 * connection settings, and a cause gets logged.
 */
export function driverError(
  error: unknown,
  redact: Redactor,
  phase: 'connect' | 'query',
  signal?: AbortSignal,
): SlayerError {
  if (signal?.aborted) return cancelledError();
  if (isSlayerError(error)) return new SlayerError(error.code, redact(error.message));
  const code = phase === 'connect' ? ErrorCode.ConnectionFailed : ErrorCode.DatabaseError;
  return new SlayerError(code, redact(messageOf(error)));
}
