import assert from 'node:assert/strict';
import { type ErrorCode, SlayerError } from '../../shared/src/errors';

/** Awaits a promise that must fail with a SlayerError of `code`, and returns that error for more checks. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<SlayerError> {
  const error = await promise.then(
    () => assert.fail(`expected a ${code} error`),
    (caught: unknown) => caught,
  );
  return slayerErrorOf(error, code);
}

/** Runs `work`, which must throw a SlayerError of `code`, and returns that error for more checks. */
export function throwsWith(work: () => unknown, code: ErrorCode): SlayerError {
  let thrown = false;
  let error: unknown;
  try {
    work();
  } catch (caught: unknown) {
    thrown = true;
    error = caught;
  }
  assert.ok(thrown, `expected a ${code} error`);
  return slayerErrorOf(error, code);
}

function slayerErrorOf(error: unknown, code: ErrorCode): SlayerError {
  assert.ok(error instanceof SlayerError, `expected a SlayerError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}
