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
