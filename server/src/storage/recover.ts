/**
 * What a crashed writer can leave behind, removed on the next start: temp
 * files (`.<name>.yaml.slayer-tmp-<pid>-<random>`), lock directories
 * (`<name>.yaml.lock`) and lock intents (`.<name>.yaml.slayer-lock-<pid>-...`).
 * Litter of a live process is left alone (its pid answers signal 0), so a
 * second server starting next to a running one breaks nothing. Anything older
 * than the stale time goes regardless, as proper-lockfile itself would.
 */
import { readdir, realpath, rmdir, stat, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { TEMP_MARKER } from './atomic-write';
import { INTENT_MARKER, LOCK_STALE_MS } from './file-lock';

export interface RecoveryReport {
  tempFiles: string[];
  locks: string[];
  intents: string[];
}

const TEMP_FILE = new RegExp(`^\\.(.+)${escape(TEMP_MARKER)}(\\d+)-[0-9a-f]+$`);
const INTENT_FILE = new RegExp(`^\\.(.+)${escape(INTENT_MARKER)}(\\d+)-[0-9a-f]+$`);
const LOCK_DIR = /^(.+\.ya?ml)\.lock$/;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it just is not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ageMs(file: string): Promise<number> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

export async function recoverStorage(root: string, options: { staleMs?: number } = {}): Promise<RecoveryReport> {
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const report: RecoveryReport = { tempFiles: [], locks: [], intents: [] };
  for (const dir of await litterFolders(path.join(root, 'models'))) await recoverFolder(dir, staleMs, report);
  return report;
}

/** models/, its sub-folders, and the folders symlinked models point into (their litter sits by the target). */
async function litterFolders(modelsDir: string): Promise<string[]> {
  const folders = new Set<string>();
  const visit = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    folders.add(dir);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth === 0 && !LOCK_DIR.test(entry.name)) await visit(full, 1);
      if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => undefined);
        if (target) folders.add(path.dirname(target));
      }
    }
  };
  await visit(modelsDir, 0);
  return [...folders];
}

async function recoverFolder(dir: string, staleMs: number, report: RecoveryReport): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const intents = new Map<string, { file: string; alive: boolean }[]>();
  for (const name of names) {
    const intent = INTENT_FILE.exec(name);
    if (!intent?.[1] || !intent[2]) continue;
    const list = intents.get(intent[1]) ?? [];
    list.push({ file: path.join(dir, name), alive: isProcessAlive(Number(intent[2])) });
    intents.set(intent[1], list);
  }
  for (const name of names) {
    const full = path.join(dir, name);
    const temp = TEMP_FILE.exec(name);
    if (temp?.[2] && (!isProcessAlive(Number(temp[2])) || (await ageMs(full)) > staleMs)) {
      if (await removed(() => unlink(full))) report.tempFiles.push(full);
      continue;
    }
    const lock = LOCK_DIR.exec(name);
    if (lock?.[1] && (await lockIsAbandoned(full, intents.get(lock[1]) ?? [], staleMs))) {
      if (await removed(() => rmdir(full))) report.locks.push(full);
    }
  }
  for (const list of intents.values()) {
    for (const intent of list) {
      if (!intent.alive && (await removed(() => unlink(intent.file)))) report.intents.push(intent.file);
    }
  }
}

/** Stale by age, or held only by processes that are gone. */
async function lockIsAbandoned(lockDir: string, intents: { alive: boolean }[], staleMs: number): Promise<boolean> {
  if ((await ageMs(lockDir)) > staleMs) return true;
  return intents.length > 0 && intents.every((intent) => !intent.alive);
}

async function removed(remove: () => Promise<void>): Promise<boolean> {
  try {
    await remove();
    return true;
  } catch {
    return false;
  }
}
