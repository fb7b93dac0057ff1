import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { isWatchedFile } from './classify';
import type { PathMatcher } from './glob';

export interface WatchEvents {
  changed(file: string): void;
  deleted(file: string): void;
}

export interface WorkspaceWatcher {
  close(): void;
  /** Resolves once every folder present at start is watched. */
  readonly ready: Promise<void>;
}

/** As deep as discovery looks for storage roots and query files. */
const MAX_DEPTH = 12;

/**
 * A quick second write to a file can arrive as one inotify event, or be
 * read before the writer finished; every change is therefore reported again
 * once the file has been quiet this long. The index ignores a report whose
 * bytes it already has.
 */
const SETTLE_MS = 120;

/**
 * Watches storage roots and workspace folders for SLayer files changed
 * outside the editor (git checkout, SLayer writing). It watches folders, one
 * inotify watch each, never single files: 10,000 models in 100 folders take
 * about 100 watches, far inside Linux's default limit of 8,192. Only files
 * the index would track are reported; hidden and excluded folders are never
 * entered.
 */
export function watchWorkspace(
  folders: readonly string[],
  exclude: PathMatcher,
  events: WatchEvents,
): WorkspaceWatcher {
  const watcher = new FolderWatcher(exclude, events);
  const ready = (async (): Promise<void> => {
    for (const folder of folders) await watcher.add(path.resolve(folder), 0);
  })();
  return { close: () => watcher.close(), ready };
}

class FolderWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  /** Tracked files seen in each watched folder, so a deleted folder reports its files deleted. */
  private readonly files = new Map<string, Set<string>>();
  private readonly settleTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly exclude: PathMatcher,
    private readonly events: WatchEvents,
  ) {}

  /** Watches `dir` and the folders under it; with `announce`, reports the tracked files found (a folder that appeared). */
  async add(dir: string, depth: number, announce = false): Promise<void> {
    if (this.closed || depth > MAX_DEPTH || this.watchers.has(dir)) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
      // Another walk may have reached the folder meanwhile (a folder created during start-up).
      if (this.closed || this.watchers.has(dir)) return;
      this.watchers.set(dir, this.watchFolder(dir, depth));
    } catch {
      return; // Gone or unreadable: nothing to watch.
    }
    const seen = new Set<string>();
    this.files.set(dir, seen);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && this.enters(full)) await this.add(full, depth + 1, announce);
      else if (entry.isFile() && isWatchedFile(full)) {
        seen.add(full);
        if (announce) this.changed(full);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    for (const timer of this.settleTimers.values()) clearTimeout(timer);
    this.settleTimers.clear();
  }

  private watchFolder(dir: string, depth: number): FSWatcher {
    const watcher = watch(dir, { persistent: true }, (_event, name) => {
      if (name) void this.onEntry(dir, path.join(dir, name.toString()), depth);
    });
    watcher.on('error', () => this.removeFolder(dir));
    return watcher;
  }

  private async onEntry(dir: string, full: string, depth: number): Promise<void> {
    const stats = await stat(full).catch(() => undefined);
    if (this.closed) return;
    if (stats?.isDirectory()) {
      if (this.enters(full)) await this.add(full, depth + 1, true);
      return;
    }
    if (stats?.isFile()) {
      if (!isWatchedFile(full)) return;
      this.files.get(dir)?.add(full);
      this.changed(full);
      return;
    }
    if (this.watchers.has(full)) this.removeFolder(full);
    else if (this.files.get(dir)?.delete(full) || isWatchedFile(full)) this.events.deleted(full);
  }

  /** A folder that disappeared: stop watching it and what was under it, and report its files deleted. */
  private removeFolder(dir: string): void {
    for (const [watched, watcher] of [...this.watchers]) {
      if (watched !== dir && !watched.startsWith(dir + path.sep)) continue;
      watcher.close();
      this.watchers.delete(watched);
      for (const file of this.files.get(watched) ?? []) this.events.deleted(file);
      this.files.delete(watched);
    }
  }

  private enters(dir: string): boolean {
    return !path.basename(dir).startsWith('.') && !this.exclude.matches(dir);
  }

  private changed(file: string): void {
    this.events.changed(file);
    clearTimeout(this.settleTimers.get(file));
    this.settleTimers.set(
      file,
      setTimeout(() => {
        this.settleTimers.delete(file);
        if (!this.closed) this.events.changed(file);
      }, SETTLE_MS).unref(),
    );
  }
}
