import * as path from 'node:path';
import type { FileLocation, SlayerFileKind } from '../engine/document';

export interface Classified {
  kind: SlayerFileKind;
  /** The storage root the file belongs to (the folder holding `models/`), when it is inside one. */
  root?: string;
  location?: FileLocation;
}

const YAML_EXTENSION = /\.ya?ml$/i;
const QUERY_FILE = /\.query\.(ya?ml|json)$/i;

export function isQueryFile(file: string): boolean {
  return QUERY_FILE.test(file);
}

/**
 * Decides what a file is from where it sits, as SLayer's YAML storage does:
 * `<root>/models/<data_source>/<name>.yaml`, the legacy flat
 * `<root>/models/<name>.yaml`, `<root>/datasources/<name>.yaml`, and
 * `*.query.yaml` anywhere.
 */
export function classifyPath(file: string): Classified | undefined {
  if (CLASSIFIED.has(file)) return CLASSIFIED.get(file);
  const classified = classifyUncached(file);
  // The watcher also asks about files that are not SLayer's (temp files, swap files): keep the table bounded.
  if (CLASSIFIED.size >= MAX_CLASSIFIED) CLASSIFIED.clear();
  CLASSIFIED.set(file, classified);
  return classified;
}

/**
 * Each path's class, worked out once: discovery, the watcher and every
 * re-parse ask again, and the path arithmetic cost ~25 ms of a 2,000-file
 * start. The answers are frozen, since every caller shares them.
 */
const CLASSIFIED = new Map<string, Readonly<Classified> | undefined>();
const MAX_CLASSIFIED = 100_000;

function classifyUncached(file: string): Classified | undefined {
  const answer = classifyFresh(file);
  if (answer?.location) Object.freeze(answer.location);
  return answer && Object.freeze(answer);
}

function classifyFresh(file: string): Classified | undefined {
  const base = path.basename(file);
  if (isQueryFile(base)) return { kind: 'query' };
  if (!YAML_EXTENSION.test(base)) return undefined;
  const fileStem = base.replace(YAML_EXTENSION, '');
  const parent = path.dirname(file);
  const grandParent = path.dirname(parent);
  if (path.basename(parent) === 'datasources') {
    return { kind: 'datasource', root: grandParent, location: { fileStem } };
  }
  if (path.basename(parent) === 'models') {
    return { kind: 'model', root: grandParent, location: { fileStem } };
  }
  if (path.basename(grandParent) === 'models') {
    return {
      kind: 'model',
      root: path.dirname(grandParent),
      location: { fileStem, dataSourceFolder: path.basename(parent) },
    };
  }
  return undefined;
}

/**
 * SLayer's `priority.yaml` at a storage root: the data sources a bare model
 * name prefers, in order, when several have a model of that name.
 */
export const PRIORITY_FILE = 'priority.yaml';

export function isPriorityFile(file: string): boolean {
  return path.basename(file) === PRIORITY_FILE;
}

/** Files the watcher reports: SLayer files and priority lists. */
export function isWatchedFile(file: string): boolean {
  return classifyPath(file) !== undefined || isPriorityFile(file);
}
