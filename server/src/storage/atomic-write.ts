/**
 * Crash-safe replacement of a file: the new bytes go to a temp file in the
 * same folder (same file system, so rename is atomic), with the original's
 * mode and owner, fsynced; then one rename swaps it in and the folder is
 * fsynced so the rename itself survives a power cut. A crash at any point
 * leaves the old file or the new one, plus at worst a temp file that
 * recover.ts removes on the next start.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { revisionOf } from './revision';
import { traceIo } from '../io-trace';

export const TEMP_MARKER = '.slayer-tmp-';

/** `.<name>.yaml.slayer-tmp-<pid>-<random>`: hidden, not `*.yaml`, and naming the process that wrote it. */
export function tempPathFor(target: string): string {
  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`;
  return path.join(path.dirname(target), `.${path.basename(target)}${TEMP_MARKER}${suffix}`);
}

/** Promise-shaped so callers await it alike everywhere; the unlink itself is a synchronous syscall. */
export function removeQuietly(file: string): Promise<void> {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
  return Promise.resolve();
}

/**
 * Writes and fsyncs `bytes` into a new temp file next to `target`, with `like`'s mode and owner when given.
 *
 * The metadata calls are synchronous: each costs microseconds, where a trip
 * through libuv's thread pool costs a tenth of a millisecond, and a patch
 * makes a dozen of them. Only the fsync, which waits for the disk, is async.
 */
export async function writeTempFile(target: string, bytes: Buffer, like?: Stats): Promise<string> {
  const temp = tempPathFor(target);
  traceIo('write', target);
  const fd = openSync(temp, 'wx', like ? like.mode & 0o7777 : 0o666);
  try {
    if (like) {
      // open() applied the umask; chmod restores the exact mode (a 0640 model stays 0640).
      fchmodSync(fd, like.mode & 0o7777);
      chownQuietly(fd, like);
    }
    writeAllSync(fd, bytes);
    await fsyncAsync(fd);
    closeSync(fd);
  } catch (error) {
    closeQuietly(fd);
    await removeQuietly(temp);
    throw error;
  }
  return temp;
}

/**
 * Writes `bytes` to a fsynced temp file next to `target` while `check` runs
 * on this thread, so the disk syncs while the CPU checks. The temp file when
 * the check passes; when it fails, the file is removed and undefined
 * returned. A check that throws leaves no temp file either.
 */
export async function writeTempWhileChecking(
  target: string,
  bytes: Buffer,
  check: () => boolean,
  like?: Stats,
): Promise<string | undefined> {
  const syncing = writeTempFile(target, bytes, like);
  let passed: boolean;
  try {
    passed = check();
  } catch (error) {
    await syncing.then(removeQuietly, () => undefined);
    throw error;
  }
  const temp = await syncing;
  if (passed) return temp;
  await removeQuietly(temp);
  return undefined;
}

const fsyncAsync = promisify(fsync);

function writeAllSync(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, written);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}

function chownQuietly(fd: number, like: Stats): void {
  try {
    fchownSync(fd, like.uid, like.gid);
  } catch {
    // Only root may give a file away; otherwise the writer's own ownership is all there is.
  }
}

/** Makes a rename durable: without it a power cut can bring the old directory entry back. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The whole content behind an open descriptor, from offset 0, synchronously. */
export function readAllSync(fd: number): Buffer {
  const size = fstatSync(fd).size;
  const buffer = Buffer.alloc(size);
  let read = 0;
  while (read < size) {
    const n = readSync(fd, buffer, read, size - read, read);
    if (n === 0) break;
    read += n;
  }
  return buffer.subarray(0, read);
}

/**
 * The last check and the rename, in one synchronous step so nothing in this
 * process can run between them: the path must still be the inode we read
 * (`fd`) and still hold the bytes of `expectedRevision`. Another process can
 * still write in the microseconds between the check and the rename; see
 * `recoverLateInPlaceWrite` in yaml-storage.ts for what happens then.
 */
export function renameIfUnchanged(temp: string, target: string, fd: number, expectedRevision: string): boolean {
  let now: Stats;
  try {
    now = statSync(target);
  } catch {
    return false;
  }
  const held = fstatSync(fd);
  if (now.ino !== held.ino || now.dev !== held.dev) return false;
  if (revisionOf(readAllSync(fd)) !== expectedRevision) return false;
  renameSync(temp, target);
  return true;
}

/** Reads a file whole through a fresh descriptor, synchronously; undefined when it is missing. */
export function readFileIfPresentSync(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    return readAllSync(fd);
  } finally {
    closeSync(fd);
  }
}
