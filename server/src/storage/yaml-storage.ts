/**
 * SLayer's YAML storage folder (`<root>/models/<data_source>/<name>.yaml`,
 * the legacy flat `<root>/models/<name>.yaml`) behind the ModelStorage
 * contract, with the cache patch of DESIGN.md ("Cache write-back", step 2):
 * lock, re-read, compare the revision, patch only the cache keys, temp file,
 * fsync, rename, fsync the folder, release.
 */
import { closeSync, fstatSync, openSync, realpathSync, renameSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, realpath, unlink, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Document } from 'yaml';
import { ErrorCode, isSlayerError, SlayerError } from '../../../shared/src/errors';
import { parseSlayerDocument } from '../engine/document';
import type { ModelDef } from '../engine/schema/types';
import {
  fsyncDirectory,
  readAllSync,
  readFileIfPresentSync,
  removeQuietly,
  renameIfUnchanged,
  writeTempFile,
  writeTempWhileChecking,
} from './atomic-write';
import { modelToPlain } from './cache-values';
import { acquireFileLock, type HeldLock } from './file-lock';
import { recoverStorage } from './recover';
import { revisionOf } from './revision';
import type { CacheUpdates, ModelStorage, PatchRefusal, PatchRequest, PatchResult, StoredModel } from './types';
import { planYamlPatch, type PlannedYamlPatch } from './yaml-patch';
import { stripBom } from '../engine/schema/source';

export { recoverStorage, type RecoveryReport } from './recover';

/** Pause points between the steps of a patch; tests use them to interleave other writers. */
export interface PatchHooks {
  afterLock?(): Promise<void>;
  afterRead?(): Promise<void>;
  afterCompute?(): Promise<void>;
  beforeRename?(): Promise<void>;
  /** Asked synchronously right before the rename; false withdraws the patch (nothing is written). */
  stillWanted?(): boolean;
  afterRename?(): Promise<void>;
}

const YAML_EXTENSIONS = ['.yaml', '.yml'] as const;

function refuse(reason: PatchRefusal, detail: string): PatchResult {
  return { applied: false, reason, detail };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The revision-checked cache patch of one model file. Follows a symlink and
 * patches its target in place (the link stays a link). Never throws: every
 * failure is a refusal, which the caller treats as "recompute on next read".
 */
export async function applyPatchToFile(
  file: string,
  expectedRevision: string,
  updates: CacheUpdates,
  hooks: PatchHooks = {},
): Promise<PatchResult> {
  let target: string;
  try {
    target = realpathSync(file);
  } catch (error) {
    return refuse(isMissing(error) ? 'not-found' : 'io-error', `${file}: ${errorText(error)}`);
  }
  let lock: HeldLock;
  try {
    lock = await acquireFileLock(target);
  } catch (error) {
    const busy = isSlayerError(error) && error.code === ErrorCode.StorageBusy;
    return refuse(busy ? 'locked' : 'io-error', errorText(error));
  }
  try {
    await hooks.afterLock?.();
    return await patchLocked(target, expectedRevision, updates, lock, hooks);
  } catch (error) {
    return refuse(isMissing(error) ? 'not-found' : 'io-error', errorText(error));
  } finally {
    await lock.release();
  }
}

async function patchLocked(
  target: string,
  expectedRevision: string,
  updates: CacheUpdates,
  lock: HeldLock,
  hooks: PatchHooks,
): Promise<PatchResult> {
  // The descriptor stays open to the end: it is how a write that raced the rename is noticed (see below).
  const fd = openSync(target, 'r');
  try {
    const stat = fstatSync(fd);
    const bytes = readAllSync(fd);
    if (revisionOf(bytes) !== expectedRevision) {
      return refuse('revision-mismatch', `${target} changed since it was read; the next read recomputes the cache.`);
    }
    await hooks.afterRead?.();
    const planned = planPatch(bytes, updates);
    if ('reason' in planned) return refuse(planned.reason, `${target}: ${planned.detail}`);
    await hooks.afterCompute?.();
    if (!planned.changed) return { applied: true, revision: expectedRevision, changed: false };
    return await swapIn(target, fd, stat, expectedRevision, planned, lock, hooks);
  } finally {
    closeSync(fd);
  }
}

type Refusal = { reason: PatchRefusal; detail: string };

function planPatch(bytes: Buffer, updates: CacheUpdates): PlannedYamlPatch | Refusal {
  const text = bytes.toString('utf8');
  // Decoding invalid UTF-8 would replace bytes the user wrote; such a file is left alone.
  if (!Buffer.from(text, 'utf8').equals(bytes)) return { reason: 'unparseable', detail: 'not valid UTF-8' };
  return unpatchableAsRefusal(() => planYamlPatch(text, updates));
}

function unpatchableAsRefusal<T>(compute: () => T): T | Refusal {
  try {
    return compute();
  } catch (error) {
    if (isSlayerError(error)) return { reason: 'unparseable', detail: error.message };
    throw error;
  }
}

/**
 * The patched bytes, checked, in a fsynced temp file next to `target`. The
 * planned bytes are checked while the disk syncs them (the check costs about
 * what the planning did); when the check fails, the fallback's are written.
 */
async function writeCheckedTemp(
  target: string,
  planned: PlannedYamlPatch,
  stat: Stats,
): Promise<{ temp: string; bytes: Buffer } | Refusal> {
  const bytes = Buffer.from(planned.text, 'utf8');
  const temp = await writeTempWhileChecking(target, bytes, () => planned.check(), stat);
  if (temp !== undefined) return { temp, bytes };
  const fallback = unpatchableAsRefusal(() => planned.fallback());
  if ('reason' in fallback) return fallback;
  const fallbackBytes = Buffer.from(fallback.text, 'utf8');
  return { temp: await writeTempFile(target, fallbackBytes, stat), bytes: fallbackBytes };
}

async function swapIn(
  target: string,
  fd: number,
  stat: Stats,
  expectedRevision: string,
  planned: PlannedYamlPatch,
  lock: HeldLock,
  hooks: PatchHooks,
): Promise<PatchResult> {
  if (lock.compromised()) return refuse('lock-compromised', `${target}: ${errorText(lock.compromised())}`);
  const written = await writeCheckedTemp(target, planned, stat);
  if ('reason' in written) return refuse(written.reason, `${target}: ${written.detail}`);
  const { temp, bytes: next } = written;
  try {
    await hooks.beforeRename?.();
    if (lock.compromised()) return refuse('lock-compromised', `${target}: ${errorText(lock.compromised())}`);
    if (hooks.stillWanted && !hooks.stillWanted())
      return refuse('withdrawn', `${target}: the caller withdrew the patch.`);
    if (!renameIfUnchanged(temp, target, fd, expectedRevision)) {
      return refuse('revision-mismatch', `${target} was written while the cache was being patched.`);
    }
  } finally {
    await removeQuietly(temp);
  }
  await fsyncDirectory(path.dirname(target));
  await hooks.afterRename?.();
  if (await recoverLateInPlaceWrite(target, fd, expectedRevision, next)) {
    return refuse('revision-mismatch', `${target} was written in place during the rename; that write was kept.`);
  }
  return { applied: true, revision: revisionOf(next), changed: true };
}

const SETTLE_STEP_MS = 5;
const SETTLE_MAX_STEPS = 40;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A writer that does not take the lock (an editor, a script) and opened the
 * file in the instant between our last check and our rename wrote into the
 * inode the rename just unlinked; its bytes would be lost. The descriptor we
 * still hold shows it: the old inode no longer holds the bytes we read. Then
 * its bytes, once they stop changing, are put back over ours: the concurrent
 * writer wins, and the cache is recomputed on the next read.
 */
async function recoverLateInPlaceWrite(
  target: string,
  fd: number,
  expectedRevision: string,
  ours: Buffer,
): Promise<boolean> {
  let theirs = readAllSync(fd);
  if (revisionOf(theirs) === expectedRevision) return false;
  for (let step = 0; step < SETTLE_MAX_STEPS; step++) {
    await sleep(SETTLE_STEP_MS);
    const again = readAllSync(fd);
    if (again.equals(theirs)) break;
    theirs = again;
  }
  const current = readFileIfPresentSync(target);
  // Someone wrote the path after our rename: theirs is newer than both, keep it.
  if (!current?.equals(ours)) return true;
  const temp = await writeTempFile(target, theirs, fstatSync(fd));
  const ourFd = openSync(target, 'r');
  try {
    renameIfUnchanged(temp, target, ourFd, revisionOf(ours));
  } finally {
    closeSync(ourFd);
    await removeQuietly(temp);
  }
  await fsyncDirectory(path.dirname(target));
  return true;
}

// ---------------------------------------------------------------------------
// The storage folder
// ---------------------------------------------------------------------------

/** SLayer's rule for names that become path components: no separators, no traversal, no NUL. */
function pathComponentProblem(value: string): string | undefined {
  if (value === '' || value === '.' || value === '..') return `'${value}' is not a valid name`;
  if (/[/\\\0]/.test(value)) return `'${value}' contains a path separator or NUL`;
  if (value.startsWith('.')) return `'${value}' starts with a dot`;
  return undefined;
}

function checkComponent(value: string, what: string): void {
  const problem = pathComponentProblem(value);
  if (problem) throw new SlayerError(ErrorCode.InvalidInput, `${what}: ${problem}.`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** A model as YAML, in SLayer's field order. */
export function modelToYaml(model: ModelDef): string {
  return new Document(modelToPlain(model)).toString({ lineWidth: 0 });
}

export class YamlStorage implements ModelStorage {
  readonly modelsDir: string;
  private recovery: Promise<void> | undefined;

  constructor(readonly root: string) {
    this.modelsDir = path.join(path.resolve(root), 'models');
  }

  /**
   * Before this instance first writes, litter a crashed writer left (temp
   * files, locks of dead processes) is cleared, so none outlives a restart.
   * Safe at any time: what a live process holds is left alone.
   */
  private recoverOnce(): Promise<void> {
    this.recovery ??= recoverStorage(this.root).then(
      () => undefined,
      () => undefined,
    );
    return this.recovery;
  }

  async get(name: string, dataSource?: string): Promise<StoredModel | undefined> {
    checkComponent(name, 'Model name');
    const file = await this.locate(name, dataSource);
    return file ? readStored(file) : undefined;
  }

  async list(): Promise<StoredModel[]> {
    const stored: StoredModel[] = [];
    for (const file of await this.modelFiles()) {
      try {
        stored.push(await readStored(file));
      } catch {
        // An unreadable file is reported by the checker, not here; the rest still list.
      }
    }
    return stored;
  }

  async save(model: ModelDef, options: { expectedRevision?: string } = {}): Promise<string> {
    checkComponent(model.name, 'Model name');
    if (model.data_source) checkComponent(model.data_source, 'Data source');
    await this.recoverOnce();
    const existing = await this.locate(model.name, model.data_source || undefined);
    const file = existing ?? this.defaultPath(model);
    await mkdir(path.dirname(file), { recursive: true });
    const target = existing ? await realpath(existing) : file;
    return writeWholeFile(target, Buffer.from(modelToYaml(model), 'utf8'), options.expectedRevision);
  }

  async delete(name: string, dataSource?: string): Promise<boolean> {
    checkComponent(name, 'Model name');
    const file = await this.locate(name, dataSource);
    if (!file) return false;
    await this.recoverOnce();
    const lock = await acquireFileLock(await realpath(file).catch(() => file));
    try {
      // A symlinked model: the link goes, its target stays where the user keeps it.
      await unlink(file);
      await fsyncDirectory(path.dirname(file));
    } finally {
      await lock.release();
    }
    return true;
  }

  async patchModel(name: string, request: PatchRequest): Promise<PatchResult> {
    const problem = pathComponentProblem(name);
    if (problem) return refuse('not-found', problem);
    let file: string | undefined;
    try {
      file = await this.locate(name, request.dataSource);
    } catch (error) {
      return refuse('not-found', errorText(error));
    }
    if (!file) return refuse('not-found', `No model '${name}' under ${this.modelsDir}.`);
    await this.recoverOnce();
    const stillWanted = request.stillWanted;
    return applyPatchToFile(file, request.expectedRevision, request.updates, stillWanted ? { stillWanted } : {});
  }

  private defaultPath(model: ModelDef): string {
    const folder = model.data_source ? path.join(this.modelsDir, model.data_source) : this.modelsDir;
    return path.join(folder, `${model.name}.yaml`);
  }

  /**
   * The file of a model: `models/<data_source>/<name>.yaml` when the data
   * source is known and that file exists, else the only file of that name
   * anywhere under models/ (a query-backed model's data_source can be empty
   * or out of date). Several candidates and no data source is ambiguous.
   */
  private async locate(name: string, dataSource?: string): Promise<string | undefined> {
    if (dataSource && !pathComponentProblem(dataSource)) {
      for (const ext of YAML_EXTENSIONS) {
        const direct = path.join(this.modelsDir, dataSource, `${name}${ext}`);
        if (await exists(direct)) return direct;
      }
    }
    const found: string[] = [];
    for (const file of await this.modelFiles()) {
      const base = path.basename(file);
      if (YAML_EXTENSIONS.some((ext) => base === `${name}${ext}`)) found.push(file);
    }
    if (found.length > 1) {
      throw new SlayerError(
        ErrorCode.InvalidInput,
        `Model '${name}' is defined by ${found.length} files (${found.join(', ')}); name its data source.`,
      );
    }
    return found[0];
  }

  /** Every model file: `models/*.yaml` and `models/<folder>/*.yaml` (dot files are never models). */
  private async modelFiles(): Promise<string[]> {
    const files: string[] = [];
    let entries;
    try {
      entries = await readdir(this.modelsDir, { withFileTypes: true });
    } catch {
      return files;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(this.modelsDir, entry.name);
      if (entry.isDirectory()) files.push(...(await yamlFilesIn(full)));
      else if (isYamlName(entry.name)) files.push(full);
    }
    return files;
  }
}

function isYamlName(name: string): boolean {
  return !name.startsWith('.') && YAML_EXTENSIONS.some((ext) => name.endsWith(ext));
}

async function yamlFilesIn(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names
      .filter(isYamlName)
      .sort()
      .map((name) => path.join(dir, name));
  } catch {
    return [];
  }
}

async function readStored(file: string): Promise<StoredModel> {
  const bytes = await readFile(file);
  const text = stripBom(bytes.toString('utf8'));
  const parsed = parseSlayerDocument('model', text, { warnOnUnknownFields: false });
  if (!parsed.model) {
    const first = parsed.parseProblems[0]?.message ?? 'not a model';
    throw new SlayerError(ErrorCode.StorageUnreadable, `${file}: ${first}`);
  }
  return { model: parsed.model, revision: revisionOf(bytes), file: path.resolve(file) };
}

/** A whole-file write under the lock, through the same temp + fsync + rename path as the patch. */
async function writeWholeFile(target: string, next: Buffer, expectedRevision: string | undefined): Promise<string> {
  const lock = await acquireFileLock(target);
  try {
    const current = await openIfPresent(target);
    try {
      const currentRevision = current ? revisionOf(readAllSync(current.fd)) : undefined;
      if (expectedRevision !== undefined && currentRevision !== expectedRevision) {
        throw new SlayerError(ErrorCode.Conflict, `${target} changed since it was read; reload it and save again.`);
      }
      if (currentRevision === revisionOf(next)) return currentRevision;
      await replaceWith(target, next, current, expectedRevision, lock);
    } finally {
      await current?.close();
    }
  } finally {
    await lock.release();
  }
  return revisionOf(next);
}

async function openIfPresent(file: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, 'r');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function replaceWith(
  target: string,
  next: Buffer,
  current: FileHandle | undefined,
  expectedRevision: string | undefined,
  lock: HeldLock,
): Promise<void> {
  const temp = await writeTempFile(target, next, current ? await current.stat() : undefined);
  try {
    if (lock.compromised()) {
      throw new SlayerError(ErrorCode.StorageWriteFailed, `Lost the lock on ${target}; nothing was written.`);
    }
    if (current && expectedRevision !== undefined) {
      if (!renameIfUnchanged(temp, target, current.fd, expectedRevision)) {
        throw new SlayerError(ErrorCode.Conflict, `${target} changed while saving; reload it and save again.`);
      }
    } else {
      // A plain save replaces whatever is there; synchronous like the patch's rename, so its order is well defined.
      renameSync(temp, target);
    }
  } finally {
    await removeQuietly(temp);
  }
  await fsyncDirectory(path.dirname(target));
}
