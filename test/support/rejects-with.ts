import assert from 'node:assert/strict';
import { type ErrorCode, SlayerError } from '../../shared/src/errors';

/** Awaits a promise that must fail with a SlayerError of `code`, and returns that error for more checks. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<SlayerError> {
  const error = await promise.then(
    () => assert.fail(`expected a ${code} error`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof SlayerError, `expected a SlayerError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}
