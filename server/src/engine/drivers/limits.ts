import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { cancelledError } from './errors';
import type { RunOptions } from './types';

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
