import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { isQueryFile } from './classify';
import type { PathMatcher } from './glob';

export interface DiscoveredWorkspace {
  roots: string[];
  /** Every SLayer file found: models, datasources and query files. */
  files: string[];
}

const MAX_DEPTH = 12;
const YAML = /\.ya?ml$/i;

/**
 * Finds storage roots (folders holding `models/` with YAML in it, not dbt
 * projects) and query files under the given folders. Reads folders
 * asynchronously and yields between them, so a huge repo never blocks the
 * server.
 */
export async function discoverWorkspace(
  folders: readonly string[],
  exclude: PathMatcher,
): Promise<DiscoveredWorkspace> {
  const roots = new Set<string>();
  const queryFiles: string[] = [];
  for (const folder of folders) await walk(folder, 0, exclude, roots, queryFiles);
  const files: string[] = [...queryFiles];
  for (const root of roots) files.push(...(await listRootFiles(root)));
  return { roots: [...roots].sort(), files: [...new Set(files)].sort() };
}

async function walk(
  folder: string,
  depth: number,
  exclude: PathMatcher,
  roots: Set<string>,
  queryFiles: string[],
): Promise<void> {
  if (depth > MAX_DEPTH) return;
  const entries = await readDir(folder);
  if (await isStorageRoot(folder, entries)) roots.add(folder);
  for (const entry of entries) {
    // Most entries are model files, neither walked nor kept here (listRootFiles lists them): no path for them.
    if (entry.isFile() && isQueryFile(entry.name)) queryFiles.push(path.join(folder, entry.name));
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const full = path.join(folder, entry.name);
    if (!exclude.matches(full)) await walk(full, depth + 1, exclude, roots, queryFiles);
  }
}

async function isStorageRoot(folder: string, entries: readonly Dirent[]): Promise<boolean> {
  const hasModels = entries.some((e) => e.isDirectory() && e.name === 'models');
  if (!hasModels) return false;
  if (entries.some((e) => e.isFile() && e.name === 'dbt_project.yml')) return false;
  if (entries.some((e) => e.isDirectory() && e.name === 'datasources')) return true;
  const modelFiles = await listModelFiles(path.join(folder, 'models'));
  return modelFiles.length > 0;
}

/** An explicitly configured root counts even next to a dbt_project.yml. */
export async function isExplicitRoot(folder: string): Promise<boolean> {
  const entries = await readDir(folder);
  return entries.some((e) => e.isDirectory() && (e.name === 'models' || e.name === 'datasources'));
}

export async function listRootFiles(root: string): Promise<string[]> {
  const models = await listModelFiles(path.join(root, 'models'));
  const datasourceDir = path.join(root, 'datasources');
  const datasources = (await readDir(datasourceDir))
    .filter((e) => e.isFile() && YAML.test(e.name))
    .map((e) => path.join(datasourceDir, e.name));
  return [...models, ...datasources];
}

async function listModelFiles(modelsDir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readDir(modelsDir)) {
    const full = path.join(modelsDir, entry.name);
    if (entry.isFile() && YAML.test(entry.name)) files.push(full);
    if (entry.isDirectory() && !entry.name.startsWith('.')) {
      for (const inner of await readDir(full)) {
        if (inner.isFile() && YAML.test(inner.name)) files.push(path.join(full, inner.name));
      }
    }
  }
  return files;
}

async function readDir(folder: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(folder, { withFileTypes: true });
  } catch {
    return [];
  }
}
