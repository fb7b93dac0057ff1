import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DiagnosticCode } from '../../../shared/src/diagnostics';
import { StaticCatalog, type ModelCatalog } from '../engine/catalog';
import { checkSlayerDocument, parseSlayerDocument, type ParsedDocument } from '../engine/document';
import type { Problem } from '../engine/schema/problems';
import type { DatasourceDef, ModelDef, QueryDef } from '../engine/schema/types';
import { classifyPath, type Classified } from './classify';
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
  /** Model and datasource names this file's checks read; a change to any of them re-checks this file. */
  references: Set<string>;
}

export type FileReader = (file: string) => Promise<string>;

const readUtf8: FileReader = (file) => fs.readFile(file, 'utf8');

/**
 * Every SLayer file of the workspace, parsed and checked. Open editor buffers
 * (overlays) win over disk. A change re-parses one file and re-checks it and
 * the files that depend on it, never the whole workspace.
 */
export class WorkspaceIndex {
  private readonly files = new Map<string, FileState>();
  private readonly overlays = new Map<string, string>();
  private roots: string[] = [];
  private readonly catalogs = new Map<string, ModelCatalog>();

  constructor(
    private options: IndexOptions,
    private readonly read: FileReader = readUtf8,
  ) {}

  /** Replaces the whole index; used at start-up and when settings change. */
  async load(roots: readonly string[], files: readonly string[]): Promise<void> {
    this.roots = [...roots].sort((a, b) => b.length - a.length);
    this.files.clear();
    this.catalogs.clear();
    this.modelDeclarations = undefined;
    for (const file of files) await this.parseInto(file);
    for (const state of this.files.values()) this.check(state);
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
    return this.update(key);
  }

  async clearOverlay(file: string): Promise<string[]> {
    const key = path.resolve(file);
    this.overlays.delete(key);
    return this.update(key);
  }

  hasOverlay(file: string): boolean {
    return this.overlays.has(path.resolve(file));
  }

  /** A file changed on disk (git checkout, SLayer writing). Ignored while the editor owns the file. */
  async fileChangedOnDisk(file: string): Promise<string[]> {
    const key = path.resolve(file);
    if (this.overlays.has(key)) return [];
    const known = this.files.get(key);
    if (known && !known.fromEditor && (await this.readOrUndefined(key)) === known.text) return [];
    return this.update(key);
  }

  fileDeleted(file: string): string[] {
    const key = path.resolve(file);
    if (this.overlays.has(key)) return [];
    const previous = this.files.get(key);
    if (!previous) return [];
    this.files.delete(key);
    this.invalidateCatalog(previous.root);
    return [key, ...this.recheckDependents(declaredNames(previous), key)];
  }

  problems(file: string): Problem[] {
    return this.files.get(path.resolve(file))?.problems ?? [];
  }

  catalogFor(root: string | undefined): ModelCatalog {
    const key = root ?? '';
    let catalog = this.catalogs.get(key);
    if (!catalog) {
      catalog = this.buildCatalog(root);
      this.catalogs.set(key, catalog);
    }
    return catalog;
  }

  private async update(file: string): Promise<string[]> {
    const previous = this.files.get(file);
    const before = previous ? declaredNames(previous) : [];
    const state = await this.parseInto(file);
    if (!state && !previous) return [];
    this.invalidateCatalog(previous?.root ?? state?.root);
    if (state) this.check(state);
    const after = state ? declaredNames(state) : [];
    return [file, ...this.recheckDependents([...before, ...after], file)];
  }

  private async parseInto(file: string): Promise<FileState | undefined> {
    const key = path.resolve(file);
    const classified = classifyPath(key);
    if (!classified) return undefined;
    const overlay = this.overlays.get(key);
    const text = overlay ?? (await this.readOrUndefined(key));
    if (text === undefined) {
      this.files.delete(key);
      return undefined;
    }
    const parsed = parseSlayerDocument(classified.kind, stripBom(text), this.options);
    const state: FileState = {
      path: key,
      classified,
      root: classified.root ?? this.nearestRoot(key),
      text,
      fromEditor: overlay !== undefined,
      parsed,
      problems: parsed.parseProblems,
      references: referencedNames(parsed),
    };
    this.files.set(key, state);
    return state;
  }

  private async readOrUndefined(file: string): Promise<string | undefined> {
    try {
      return await this.read(file);
    } catch {
      return undefined;
    }
  }

  private check(state: FileState): void {
    const catalog = this.catalogFor(state.root);
    const semantic = checkSlayerDocument(state.parsed, catalog, state.classified.location);
    state.problems = [...state.parsed.parseProblems, ...semantic, ...this.duplicateModelProblems(state)];
  }

  /** Two files in one root declaring the same model for the same data source: SLayer would load only one. */
  private duplicateModelProblems(state: FileState): Problem[] {
    const model = state.parsed.model;
    if (!model?.name) return [];
    const key = declarationKey(state.root, model);
    const others = (this.declarations().get(key) ?? []).filter((other) => other !== state.path);
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

  /** Re-checks every file that (transitively) reads one of `names`; returns their paths. */
  private recheckDependents(names: readonly string[], changed: string): string[] {
    const pending = [...new Set(names)];
    const seenNames = new Set(pending);
    const touched = new Set<string>();
    while (pending.length > 0) {
      const name = pending.pop() ?? '';
      for (const state of this.files.values()) {
        const affected = state.references.has(name) || declaredNames(state).includes(name);
        if (state.path === changed || touched.has(state.path) || !affected) continue;
        this.check(state);
        touched.add(state.path);
        for (const declared of declaredNames(state)) {
          if (!seenNames.has(declared)) {
            seenNames.add(declared);
            pending.push(declared);
          }
        }
      }
    }
    return [...touched];
  }

  private invalidateCatalog(root: string | undefined): void {
    this.catalogs.delete(root ?? '');
    this.modelDeclarations = undefined;
  }

  private modelDeclarations: Map<string, string[]> | undefined;

  private declarations(): Map<string, string[]> {
    if (!this.modelDeclarations) {
      const map = new Map<string, string[]>();
      for (const state of this.files.values()) {
        const model = state.parsed.model;
        if (!model?.name) continue;
        const key = declarationKey(state.root, model);
        map.set(key, [...(map.get(key) ?? []), state.path]);
      }
      this.modelDeclarations = map;
    }
    return this.modelDeclarations;
  }

  private nearestRoot(file: string): string | undefined {
    return this.roots.find((root) => file.startsWith(root + path.sep)) ?? this.roots[this.roots.length - 1];
  }

  private buildCatalog(root: string | undefined): ModelCatalog {
    const models: ModelDef[] = [];
    const datasources: DatasourceDef[] = [];
    for (const state of this.files.values()) {
      if (state.root !== root) continue;
      if (state.parsed.model?.name) models.push(state.parsed.model);
      if (state.parsed.datasource?.name) datasources.push(state.parsed.datasource);
    }
    return new StaticCatalog(models, datasources);
  }
}

function declarationKey(root: string | undefined, model: ModelDef): string {
  return `${root ?? ''}\u0000${model.data_source}\u0000${model.name}`;
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

function referencedNames(parsed: ParsedDocument): Set<string> {
  const names = new Set<string>();
  const addQueries = (queries: readonly QueryDef[] | undefined): void => {
    for (const query of queries ?? []) {
      const source = query.source_model;
      if (source.kind === 'name') names.add(source.name);
      else if (source.kind === 'extension') names.add(source.extension.source_name);
      else addModel(source.model);
    }
  };
  const addModel = (model: ModelDef): void => {
    if (model.data_source) names.add(model.data_source);
    for (const join of model.joins) names.add(join.target_model);
    addQueries(model.source_queries);
  };
  if (parsed.model) addModel(parsed.model);
  addQueries(parsed.queries);
  return names;
}
