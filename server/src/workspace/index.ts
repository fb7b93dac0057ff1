import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { DiagnosticCode } from '../../../shared/src/diagnostics';
import type { ModelCatalog } from '../engine/catalog';
import { checkSlayerDocument, parseSlayerDocument, type ParsedDocument } from '../engine/document';
import { addTo, removeFrom } from '../engine/multimap';
import { ANY_NAME, CatalogsByRoot, PRIORITY, RecordingCatalog, type LiveCatalog } from '../engine/live-catalog';
import type { Problem } from '../engine/schema/problems';
import type { ModelDef } from '../engine/schema/types';
import { classifyPath, isPriorityFile, PRIORITY_FILE, type Classified } from './classify';
import { readAhead } from './read-ahead';
import { parse as parseYaml } from 'yaml';
import { stripBom } from '../engine/schema/source';

export interface IndexOptions {
  warnOnUnknownFields: boolean;
}

export interface FileState {
  path: string;
  classified: Classified;
  root: string | undefined;
  text: string;
  fromEditor: boolean;
  parsed: ParsedDocument;
  problems: Problem[];
  /** The names this file's last check looked up; a change to any of them re-checks this file. */
  reads: ReadonlySet<string>;
}

export type FileReader = (file: string) => string | Promise<string>;

/** Reports start-up progress: files done of the total, and what is being done. */
export type LoadProgress = (done: number, total: number, stage: 'reading' | 'checking') => void;

/**
 * Model files are small, and reading one synchronously costs a tenth of the
 * promise API's round trips (10,000 files: ~0.15 s against ~1.5 s of
 * main-thread time). Start-up reads with readAhead's worker instead, which
 * leaves the main thread only the parsing.
 */
const readUtf8: FileReader = (file) => readFileSync(file, 'utf8');

/** Files a custom reader reads at once at start-up: enough to keep the disk busy, few enough not to exhaust descriptors. */
const READ_CONCURRENCY = 32;
/** Start-up work runs in slices this long, so requests are answered while a large workspace loads. */
const SLICE_MS = 15;

/**
 * Every SLayer file of the workspace, parsed and checked. Open editor buffers
 * (overlays) win over disk. A change re-parses the changed files and
 * re-checks them and the files whose last check looked up a name they
 * declare (a dependency graph at the granularity of names), never the whole
 * workspace; the catalog of each storage root is updated in place.
 */
export class WorkspaceIndex {
  private readonly files = new Map<string, FileState>();
  private readonly overlays = new Map<string, string>();
  private roots: string[] = [];
  private readonly catalogs = new CatalogsByRoot();
  /** For each name, the files whose last check looked it up. */
  private readonly readers = new Map<string, Set<string>>();
  /** For each model declaration key (root, data source, name), the files declaring it. */
  private readonly declarers = new Map<string, Set<string>>();

  constructor(
    private options: IndexOptions,
    private readonly read: FileReader = readUtf8,
  ) {}

  /**
   * Replaces the whole index; used at start-up and when settings change.
   * Reading and checking run in slices that give the event loop back, so
   * the server answers requests (from what is loaded so far) meanwhile.
   */
  async load(roots: readonly string[], files: readonly string[], progress?: LoadProgress): Promise<void> {
    this.roots = [...roots].sort((a, b) => b.length - a.length);
    this.files.clear();
    this.catalogs.clear();
    this.readers.clear();
    this.declarers.clear();
    for (const root of this.roots) this.readPriority(root);
    const keys = files.map((file) => path.resolve(file));
    let stored = 0;
    for await (const texts of this.readAll(keys)) {
      for (const text of texts) {
        const key = keys[stored++] ?? '';
        this.store(key, this.overlays.get(key) ?? text);
      }
      progress?.(stored, keys.length, 'reading');
    }
    let sliceStart = performance.now();
    let done = 0;
    for (const state of [...this.files.values()]) {
      this.check(state);
      done++;
      if (performance.now() - sliceStart > SLICE_MS) {
        progress?.(done, this.files.size, 'checking');
        await yieldToLoop();
        sliceStart = performance.now();
      }
    }
  }

  /** The texts of `keys` on disk, in order, in batches; undefined for a file that cannot be read. */
  private async *readAll(keys: readonly string[]): AsyncGenerator<(string | undefined)[]> {
    if (this.read === readUtf8) {
      yield* readAhead(keys);
      return;
    }
    for (let at = 0; at < keys.length; at += READ_CONCURRENCY) {
      yield await Promise.all(keys.slice(at, at + READ_CONCURRENCY).map((key) => this.readOrUndefined(key)));
    }
  }

  setOptions(options: IndexOptions): void {
    this.options = options;
  }

  storageRoots(): readonly string[] {
    return this.roots;
  }

  allFiles(): IterableIterator<FileState> {
    return this.files.values();
  }

  get(file: string): FileState | undefined {
    return this.files.get(path.resolve(file));
  }

  isTracked(file: string): boolean {
    return classifyPath(file) !== undefined;
  }

  /** The editor's text for an open file; returns the files whose problems must be re-published. */
  async setOverlay(file: string, text: string): Promise<string[]> {
    const key = path.resolve(file);
    this.overlays.set(key, text);
    return this.update([key]);
  }

  async clearOverlay(file: string): Promise<string[]> {
    const key = path.resolve(file);
    this.overlays.delete(key);
    return this.update([key]);
  }

  hasOverlay(file: string): boolean {
    return this.overlays.has(path.resolve(file));
  }

  /**
   * Files changed or deleted on disk, as one batch (a `git checkout`, SLayer
   * writing): each is re-read once, and each file affected is re-checked
   * once, however many of the changes it depends on. Files the editor owns
   * are skipped, and so are reports whose bytes the index already has.
   */
  async filesChangedOnDisk(changed: readonly string[]): Promise<string[]> {
    const resolved = [...new Set(changed.map((file) => path.resolve(file)))];
    const prioritized = this.roots.filter((root) => resolved.includes(path.join(root, PRIORITY_FILE)));
    for (const root of prioritized) this.readPriority(root);
    // A changed priority list re-checks the files whose check consulted it (ambiguous model names).
    const rechecked = prioritized.length > 0 ? this.recheckReaders([PRIORITY], new Set()) : [];
    const keys = resolved.filter((key) => !this.overlays.has(key) && !isPriorityFile(key));
    const texts = await Promise.all(keys.map((key) => this.readOrUndefined(key)));
    const really = keys.filter((key, i) => {
      const known = this.files.get(key);
      return !known || known.fromEditor || texts[i] !== known.text;
    });
    const updated = await this.update(really, new Map(keys.map((key, i) => [key, texts[i]])));
    return [...new Set([...rechecked, ...updated])];
  }

  problems(file: string): Problem[] {
    return this.files.get(path.resolve(file))?.problems ?? [];
  }

  catalogFor(root: string | undefined): ModelCatalog {
    return this.liveCatalog(root);
  }

  /** Re-parses `keys` (with `texts` when already read) and re-checks them and their readers. */
  private async update(keys: readonly string[], texts?: ReadonlyMap<string, string | undefined>): Promise<string[]> {
    const names = new Set<string>();
    const changed = new Set<string>();
    for (const key of keys) {
      const before = this.files.get(key);
      const text = texts?.has(key) ? texts.get(key) : await this.textOf(key);
      if (!before && text === undefined) continue;
      const after = this.store(key, text);
      changed.add(key);
      const namesBefore = this.declaredNamesOf(before);
      const namesAfter = this.declaredNamesOf(after);
      for (const name of [...namesBefore, ...namesAfter]) names.add(name);
      if (!sameNames(namesBefore, namesAfter)) names.add(ANY_NAME);
    }
    for (const key of changed) {
      const state = this.files.get(key);
      if (state) this.check(state);
    }
    return [...changed, ...this.recheckReaders(names, changed)];
  }

  /** The editor's text when the file is open, else the disk's; undefined when neither has it. */
  private async textOf(key: string): Promise<string | undefined> {
    return this.overlays.get(key) ?? (await this.readOrUndefined(key));
  }

  /** Parses `text` as the file's new content (or forgets the file) and updates the catalog; checks nothing. */
  private store(key: string, text: string | undefined): FileState | undefined {
    const classified = classifyPath(key);
    if (!classified || text === undefined) {
      this.forget(key);
      return undefined;
    }
    const parsed = parseSlayerDocument(classified.kind, stripBom(text), this.options);
    const state: FileState = {
      path: key,
      classified,
      root: classified.root ?? this.nearestRoot(key),
      text,
      fromEditor: this.overlays.has(key),
      parsed,
      problems: parsed.parseProblems,
      reads: new Set(),
    };
    const previous = this.files.get(key);
    if (previous) this.unlink(previous);
    // Set in place: the file keeps its position, and its model its place in the catalog.
    this.files.set(key, state);
    if (previous && previous.root === state.root) this.liveCatalog(state.root).replace(previous.parsed, parsed);
    else {
      if (previous) this.liveCatalog(previous.root).remove(previous.parsed);
      this.liveCatalog(state.root).add(parsed);
    }
    const declared = declarationKeyOf(state);
    if (declared) addTo(this.declarers, declared, key);
    return state;
  }

  private forget(key: string): void {
    const previous = this.files.get(key);
    if (!previous) return;
    this.files.delete(key);
    this.liveCatalog(previous.root).remove(previous.parsed);
    this.unlink(previous);
  }

  /** Drops what the index keeps about `state` besides the file itself and its catalog entry. */
  private unlink(state: FileState): void {
    const declared = declarationKeyOf(state);
    if (declared) removeFrom(this.declarers, declared, state.path);
    for (const name of state.reads) removeFrom(this.readers, name, state.path);
  }

  /** Reads `root`'s priority.yaml (`priority: [a, b]`); none, or one that does not read as a list, is no priority. */
  private readPriority(root: string): void {
    let list: string[] = [];
    try {
      const value: unknown = parseYaml(readFileSync(path.join(root, PRIORITY_FILE), 'utf8'));
      const priority: unknown =
        typeof value === 'object' && value !== null ? Reflect.get(value, 'priority') : undefined;
      if (Array.isArray(priority)) list = priority.map(String);
    } catch {
      // No priority.yaml, or not YAML: SLayer then has no priority either.
    }
    this.catalogs.of(root).setDataSourcePriority(list);
  }

  private async readOrUndefined(file: string): Promise<string | undefined> {
    try {
      return await this.read(file);
    } catch {
      return undefined;
    }
  }

  private check(state: FileState): void {
    const catalog = new RecordingCatalog(this.liveCatalog(state.root));
    const semantic = checkSlayerDocument(state.parsed, catalog, state.classified.location);
    const duplicates = this.duplicateModelProblems(state);
    // A file reads its own model's name too: another file declaring it makes both ambiguous.
    if (state.parsed.model?.name) catalog.read.add(state.parsed.model.name);
    for (const name of state.reads) if (!catalog.read.has(name)) removeFrom(this.readers, name, state.path);
    for (const name of catalog.read) addTo(this.readers, name, state.path);
    state.reads = catalog.read;
    state.problems = [...state.parsed.parseProblems, ...semantic, ...duplicates];
  }

  /** Two files in one root declaring the same model for the same data source: SLayer would load only one. */
  private duplicateModelProblems(state: FileState): Problem[] {
    const model = state.parsed.model;
    const key = declarationKeyOf(state);
    if (!model || !key) return [];
    const others = [...(this.declarers.get(key) ?? [])].filter((other) => other !== state.path);
    if (others.length === 0) return [];
    const where = others.map((other) => path.relative(state.root ?? '', other)).join(', ');
    return [
      {
        span: state.parsed.sources.best(['name']),
        severity: 'error',
        code: DiagnosticCode.AmbiguousModel,
        message: `Model '${model.name}' is also declared in ${where}; SLayer would load only one of them.`,
      },
    ];
  }

  /** Re-checks every file whose last check read one of `names`, except `skip`; returns their paths. */
  private recheckReaders(names: ReadonlySet<string> | readonly string[], skip: ReadonlySet<string>): string[] {
    const touched = new Set<string>();
    for (const name of names) {
      for (const reader of this.readers.get(name) ?? []) {
        if (!skip.has(reader)) touched.add(reader);
      }
    }
    for (const file of touched) {
      const state = this.files.get(file);
      if (state) this.check(state);
    }
    return [...touched];
  }

  private declaredNamesOf(state: FileState | undefined): string[] {
    return state ? declaredNames(state) : [];
  }

  private liveCatalog(root: string | undefined): LiveCatalog {
    return this.catalogs.of(root);
  }

  private nearestRoot(file: string): string | undefined {
    return this.roots.find((root) => file.startsWith(root + path.sep)) ?? this.roots[this.roots.length - 1];
  }
}

function declarationKeyOf(state: FileState): string | undefined {
  const model: ModelDef | undefined = state.parsed.model;
  return model?.name ? `${state.root ?? ''}\u0000${model.data_source}\u0000${model.name}` : undefined;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/** Names other files may refer to: a model's name, a datasource's name, a query file's stage names. */
function declaredNames(state: FileState): string[] {
  const { model, datasource, queries } = state.parsed;
  const names: string[] = [];
  if (model?.name) names.push(model.name);
  if (datasource?.name) names.push(datasource.name);
  for (const query of queries ?? []) if (query.name) names.push(query.name);
  return names;
}
