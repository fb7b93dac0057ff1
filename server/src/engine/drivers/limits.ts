import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { cancelledError, driverError, type Redactor } from './errors';
import type { ResultSet, RunOptions } from './types';

/** maxRows must be a whole number of rows; anything else is a caller's bug worth a clear message. */
export function maxRowsError(maxRows: number | undefined): SlayerError | undefined {
  if (maxRows === undefined || (Number.isSafeInteger(maxRows) && maxRows >= 0)) return undefined;
  return new SlayerError(ErrorCode.InvalidInput, `maxRows must be a non-negative integer, got ${maxRows}.`);
}

export function checkMaxRows(maxRows: number | undefined): void {
  const error = maxRowsError(maxRows);
  if (error) throw error;
}

/** What every driver checks before it touches its database: a run already cancelled, a bad maxRows. */
export function checkRunOptions(options: RunOptions): void {
  if (options.signal?.aborted) throw cancelledError();
  checkMaxRows(options.maxRows);
}

/**
 * A run of a driver that leaves work on its server: the options checked,
 * then `read` up to maxRows (no cap: Infinity). When it fails or is
 * cancelled, `stop` (a cancel of the query or job still running, if any) is
 * started without waiting for it, and the error comes back typed and redacted.
 */
export async function stoppableRun(
  options: RunOptions,
  redact: Redactor,
  read: (limit: number, signal: AbortSignal | undefined) => Promise<ResultSet>,
  stop: () => Promise<void> | undefined,
): Promise<ResultSet> {
  checkRunOptions(options);
  const { signal, maxRows } = options;
  try {
    return await read(maxRows ?? Number.POSITIVE_INFINITY, signal);
  } catch (error) {
    stop()?.catch(() => undefined);
    throw driverError(error, redact, 'query', signal);
  }
}
