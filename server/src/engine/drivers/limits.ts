import { ErrorCode, SlayerError } from '../../../../shared/src/errors';

/** maxRows must be a whole number of rows; anything else is a caller's bug worth a clear message. */
export function maxRowsError(maxRows: number | undefined): SlayerError | undefined {
  if (maxRows === undefined || (Number.isSafeInteger(maxRows) && maxRows >= 0)) return undefined;
  return new SlayerError(ErrorCode.InvalidInput, `maxRows must be a non-negative integer, got ${maxRows}.`);
}

export function checkMaxRows(maxRows: number | undefined): void {
  const error = maxRowsError(maxRows);
  if (error) throw error;
}
