import { watch, type FSWatcher } from 'chokidar';
import * as path from 'node:path';
import { classifyPath } from './classify';
import type { PathMatcher } from './glob';

export interface WatchEvents {
  changed(file: string): void;
  deleted(file: string): void;
}

/**
 * chokidar drops a second 'change' for the same file within 50 ms (its throttle
 * has no trailing event), so a quick second write (git, a tool writing twice)
 * would go unseen. Every change is therefore reported again once the file has
 * been quiet for this long; the index ignores a report whose bytes it has.
 */
const SETTLE_MS = 120;

/**
 * Watches storage roots and workspace folders for SLayer files changed outside
 * the editor (git checkout, SLayer writing). Only files the index would track
 * are reported, and excluded folders are never descended into.
 */
export function watchWorkspace(folders: readonly string[], exclude: PathMatcher, events: WatchEvents): FSWatcher {
  const roots = new Set(folders.map((folder) => path.resolve(folder)));
  const watcher = watch([...roots], {
    ignoreInitial: true,
    persistent: true,
    depth: 12,
    ignored: (file, stats) => {
      const resolved = path.resolve(file);
      if (roots.has(resolved)) return false;
      if (path.basename(resolved).startsWith('.') || exclude.matches(resolved)) return true;
      return stats?.isFile() === true && classifyPath(resolved) === undefined;
    },
  });
  const settleTimers = new Map<string, NodeJS.Timeout>();
  const changed = (file: string): void => {
    const resolved = path.resolve(file);
    events.changed(resolved);
    clearTimeout(settleTimers.get(resolved));
    settleTimers.set(
      resolved,
      setTimeout(() => {
        settleTimers.delete(resolved);
        events.changed(resolved);
      }, SETTLE_MS).unref(),
    );
  };
  watcher.on('add', changed);
  watcher.on('change', changed);
  watcher.on('unlink', (file) => events.deleted(path.resolve(file)));
  return watcher;
}
