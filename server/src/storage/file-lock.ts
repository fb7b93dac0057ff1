/**
 * The per-file lock every writer of a model file takes (proper-lockfile: an
 * atomic `mkdir <file>.lock`, its mtime refreshed while held, taken over when
 * older than `stale`).
 *
 * Next to the lock each holder leaves an intent file naming its pid, created
 * before the lock is tried and removed after it is released. A lock directory
 * whose intents all name dead processes was left by a crash, so the next start
 * can remove it at once instead of waiting for it to go stale (recover.ts).
 * The directory itself stays empty, so proper-lockfile's `rmdir` keeps working.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import { removeQuietly } from './atomic-write';
import { traceIo } from '../io-trace';

/** A lock untouched for this long belongs to a dead process; proper-lockfile then takes it over. */
export const LOCK_STALE_MS = 10_000;

/** Bounded: at most ~2 s of waiting before a refresh gives up (it is retried on the next read). */
const LOCK_RETRIES = { retries: 20, minTimeout: 10, maxTimeout: 100 };

export const INTENT_MARKER = '.slayer-lock-';

export interface HeldLock {
  /** Set when proper-lockfile lost the lock (its mtime was taken over); the holder must not write. */
  compromised(): Error | undefined;
  release(): Promise<void>;
}

export function intentPathFor(target: string): string {
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return path.join(path.dirname(target), `.${path.basename(target)}${INTENT_MARKER}${suffix}`);
}

/** Locks `target` (already a real path); throws StorageBusy when another holder keeps it past the retries. */
export async function acquireFileLock(target: string): Promise<HeldLock> {
  const intent = intentPathFor(target);
  traceIo('write', `lock ${intent}`);
  writeFileSync(intent, `${process.pid}\n`, { flag: 'wx' });
  let lost: Error | undefined;
  const options = {
    stale: LOCK_STALE_MS,
    // The caller passes the resolved target (a symlinked model is locked and patched at its target).
    realpath: false,
    // Never throw from here: proper-lockfile calls it from a timer, where a throw would crash the server.
    onCompromised: (error: Error) => {
      lost = error;
    },
  };
  let release: () => unknown;
  try {
    release = await lockNowOrRetry(target, options);
  } catch (error) {
    await removeQuietly(intent);
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new SlayerError(ErrorCode.StorageBusy, `${target} is locked by another writer.`, { cause: error });
    }
    throw error;
  }
  return {
    compromised: () => lost,
    release: async () => {
      try {
        await release();
      } catch {
        // A compromised lock is no longer ours to release.
      }
      await removeQuietly(intent);
    },
  };
}

/**
 * An uncontended lock is taken synchronously (a mkdir and a stat, microseconds
 * each); only a lock someone else holds waits, with bounded retries.
 */
async function lockNowOrRetry(target: string, options: lockfile.LockOptions): Promise<() => unknown> {
  try {
    return lockfile.lockSync(target, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
  }
  return lockfile.lock(target, { ...options, retries: LOCK_RETRIES });
}
