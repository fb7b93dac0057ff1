import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Hover } from 'vscode-languageserver';
import { ErrorCode, SlayerError, toSlayerError } from '../../../shared/src/errors';
import type { FieldFormat, InspectResult, QueryResult, SaveQueryAsModelResult } from '../../../shared/src/protocol';
import type { SlayerSettings } from '../../../shared/src/settings';
import { dataState, openDriver } from '../engine/drivers/connect';
import { DriverPool } from '../engine/drivers/pool';
import { stageCatalogFor, type EngineHost } from '../engine/query/execute';
import { referencedNames } from '../engine/query/stages';
import { inspectModel, type ModelInspection } from '../engine/query/inspect';
import { modelDef, type ModelDef, type QueryDef } from '../engine/schema/types';
import { YamlStorage } from '../storage/yaml-storage';
import type { FileState, WorkspaceIndex } from '../workspace/index';
import { CacheRefresher } from './cache-refresh';
import { hoverDeclaration, hoverModelFile, type HoverAnswer, type HoverOptions } from './hover';
import { LiveCache } from './live-cache';
import { revisionOf } from '../storage/revision';
import type { Declaration } from '../engine/names/model';
import { latestValue, previewModelFile, runMeasureFile, runQueryFile, type RunQueryRequest } from './run-query';
import { ResultStore } from './result-store';
import { stripBom } from '../engine/schema/source';

export interface EngineRequestHost {
  index: WorkspaceIndex;
  settings(): SlayerSettings;
  /** The editor's text of an open file, if it is open. */
  openText(file: string): string | undefined;
  /** False in VS Code's Restricted Mode: no database is reached and no file is written. */
  trusted(): boolean;
  /** The declaration a name used at `offset` means (not a declaration itself: that file hovers its own). */
  usedNameAt(file: string, offset: number): Declaration | undefined;
  log(message: string): void;
}

export interface RunOptions {
  dryRun: boolean;
  signal: AbortSignal;
  stage?: number | undefined;
  pageSize?: number | undefined;
}

export interface MeasureValue {
  value: unknown;
  /** Epoch milliseconds. */
  at: number;
  /** The measure's SLayer format, so the lens reads `$3,860.46` as the grid does. */
  format?: FieldFormat;
}

function measureKey(file: string, measure: string): string {
  return `${file}\0${measure}`;
}

const RESTRICTED_REASON = 'Restricted Mode (this workspace is not trusted), so no database is reached';

/** How long after a hover its samples are written back into the file (see refreshSoonAfterHover). */
const HOVER_WRITE_DELAY_MS = 1500;

/**
 * The engine behind the editor: run, inspect, hover and "save as model",
 * each followed by the cache refresh it implies. Thin on purpose: the engine
 * does the work, the storage does the writing, this decides what and when.
 */
export class EngineRequests {
  private readonly storages = new Map<string, YamlStorage>();
  readonly refresher: CacheRefresher;

  constructor(private readonly host: EngineRequestHost) {
    this.refresher = new CacheRefresher({
      storageFor: (root) => this.storageFor(root),
      engineFor: (root) => this.engineFor(root),
      catalogFor: (root) => host.index.catalogFor(root),
      isDirty: (file) => this.isDirty(file),
      writeBackEnabled: () => host.settings().writeBack && host.trusted(),
      log: (message) => host.log(message),
    });
  }

  private readonly pools = new Map<string, DriverPool>();
  /** Write-backs scheduled after hovers, cancelled when the server stops. */
  private readonly pendingWrites = new Set<NodeJS.Timeout>();
  /** Hovers' live values, so a hover on unchanged data never waits for the database. */
  private readonly liveValues = new LiveCache();
  /** Rows of recent runs, for the results view's paging, sorting and export. */
  readonly results = new ResultStore();
  private readonly measureValues = new Map<string, MeasureValue>();

  engineFor(root: string): EngineHost {
    let pool = this.pools.get(root);
    if (!pool) {
      pool = new DriverPool((datasource) => openDriver(datasource, { baseDir: root }));
      this.pools.set(root, pool);
    }
    const drivers = pool;
    return {
      catalog: this.host.index.catalogFor(root),
      openDriver: (ds) => {
        this.requireTrust('Running a query');
        return drivers.get(ds);
      },
    };
  }

  /** The one gate every database open and every explicit write passes in Restricted Mode. */
  private requireTrust(what: string): void {
    if (this.host.trusted()) return;
    throw new SlayerError(
      ErrorCode.Restricted,
      `${what} is off in Restricted Mode: this workspace is not trusted. Trust it (Manage Workspace Trust) to turn data features on.`,
    );
  }

  async dispose(): Promise<void> {
    for (const timer of this.pendingWrites) clearTimeout(timer);
    this.pendingWrites.clear();
    await Promise.all([...this.pools.values()].map((pool) => pool.dispose()));
    this.pools.clear();
  }

  private storageFor(root: string): YamlStorage {
    let storage = this.storages.get(root);
    if (!storage) {
      storage = new YamlStorage(root);
      this.storages.set(root, storage);
    }
    return storage;
  }

  /** Unsaved edits: the editor holds the file and its text differs from the bytes on disk. */
  private isDirty(file: string): boolean {
    const text = this.host.openText(file);
    if (text === undefined) return false;
    try {
      return stripBom(readFileSync(file, 'utf8')) !== stripBom(text);
    } catch {
      return true;
    }
  }

  async runQuery(file: string, options: RunOptions): Promise<QueryResult> {
    const result = await runQueryFile(this.host.index, (root) => this.engineFor(root), this.runRequest(file, options));
    const state = this.host.index.get(file);
    if (!options.dryRun && state?.root) await this.refreshAfterQuery(state.root, state.parsed.queries ?? []);
    return this.paged(result, options.pageSize);
  }

  /** A model file's first rows (see previewModelFile), capped like a query run. */
  async previewModel(file: string, options: RunOptions): Promise<QueryResult> {
    const result = await previewModelFile(
      this.host.index,
      (root) => this.engineFor(root),
      this.runRequest(file, options),
    );
    return this.paged(result, options.pageSize);
  }

  /** A saved measure by its model's default time dimension; its lens then shows the latest value. */
  async runMeasure(file: string, measure: string, options: RunOptions): Promise<QueryResult> {
    const result = await runMeasureFile(this.host.index, (root) => this.engineFor(root), {
      ...this.runRequest(file, options),
      measure,
      granularity: this.host.settings().measureLens.granularity,
    });
    this.measureValues.set(measureKey(file, measure), { ...latestValue(result), at: Date.now() });
    return this.paged(result, options.pageSize);
  }

  /** The value a measure's lens last showed, and when it was computed. */
  lastMeasureValue(file: string, measure: string): MeasureValue | undefined {
    return this.measureValues.get(measureKey(file, measure));
  }

  private runRequest(file: string, options: RunOptions): RunQueryRequest {
    return {
      file,
      dryRun: options.dryRun,
      signal: options.signal,
      stage: options.stage,
      maxRows: this.host.settings().previewMaxRows,
    };
  }

  /** With a page size, the rows stay here (see ResultStore) and the reply carries the first page. */
  private paged(result: QueryResult, pageSize: number | undefined): QueryResult {
    if (pageSize === undefined || result.data.length === 0) return result;
    const resultId = this.results.keep(result);
    return { ...result, data: result.data.slice(0, pageSize), result_id: resultId };
  }

  /** Running a query reads its query-backed sources: their caches are refreshed, as SLayer does. */
  async refreshAfterQuery(root: string, stages: readonly QueryDef[]): Promise<void> {
    for (const name of new Set(stages.flatMap((stage) => referencedNames(stage)))) await this.refreshModel(root, name);
  }

  /** Refreshes a query-backed model's cache; any other model is left alone. */
  async refreshModel(root: string, name: string): Promise<void> {
    const model = this.modelFile(root, name);
    if (model?.parsed.model?.source_queries) await this.refresher.refreshQueryBacked(model.path, root);
  }

  async inspect(file: string, modelName: string | undefined): Promise<InspectResult> {
    const state = this.requireState(file);
    const name = modelName ?? state.parsed.model?.name;
    if (!name) throw new SlayerError(ErrorCode.InvalidInput, `${file} does not define a model; name one to inspect.`);
    // The file's own model is meant, even when another data source has a model of the same name.
    const dataSource = modelName === undefined ? state.parsed.model?.data_source : undefined;
    return this.inspectByName(state.root ?? '', name, dataSource || undefined);
  }

  /** Profiles a model and refreshes its cache: samples for a table model, columns for a query-backed one. */
  async inspectByName(root: string, name: string, dataSource?: string): Promise<ModelInspection> {
    const inspection = await inspectModel(
      name,
      this.engineFor(root),
      dataSource ? { preferDataSource: dataSource } : {},
    );
    const modelFile = this.modelFile(root, name);
    if (modelFile) {
      const based = this.host.openText(modelFile.path) ?? (await readFile(modelFile.path, 'utf8'));
      if (modelFile.parsed.model?.source_queries) await this.refresher.refreshQueryBacked(modelFile.path, root);
      else await this.refresher.refreshSamples(modelFile.path, root, inspection.columns, stripBom(based));
    }
    return inspection;
  }

  async hover(file: string, offset: number): Promise<Hover | null> {
    const state = this.host.index.get(file);
    if (!state?.root) return null;
    const engine = this.engineFor(state.root);
    // A model file's own entries (columns, measures, joins, its name) hover as themselves first.
    if (state.classified.kind === 'model') {
      const own = await hoverModelFile(state, offset, engine, this.hoverOptions(state.root, state));
      if (own.hover) {
        this.refreshSoonAfterHover(file, state.root, own);
        return own.hover;
      }
    }
    const used = this.host.usedNameAt(file, offset);
    const owner = used ? this.host.index.get(used.file) : undefined;
    if (!used || !owner) return null;
    const answer = await hoverDeclaration(used, owner, engine, this.hoverOptions(state.root, owner));
    this.refreshSoonAfterHover(owner.path, state.root, answer);
    return answer.hover;
  }

  /** The time limit, Restricted Mode, and where the live values of `owner`'s model are cached. */
  private hoverOptions(root: string, owner: FileState): HoverOptions {
    const settings = this.host.settings().hover;
    if (!this.host.trusted()) return { timeLimitMs: settings.timeLimitMs, offline: RESTRICTED_REASON };
    const model = owner.parsed.model;
    const datasource = model ? this.host.index.catalogFor(root).getDatasource(model.data_source) : undefined;
    const data = datasource
      ? dataState(datasource, { baseDir: root, ttlMs: settings.cacheTtlSeconds * 1000 })
      : { identity: 'no datasource' };
    if (data.missingFile) {
      return {
        timeLimitMs: settings.timeLimitMs,
        offline: `no database file at ${path.relative(root, data.missingFile)}`,
      };
    }
    const identity = data.identity;
    return {
      timeLimitMs: settings.timeLimitMs,
      live: { cache: this.liveValues, slot: `${owner.path}#${revisionOf(Buffer.from(owner.parsed.text))}`, identity },
    };
  }

  /**
   * A hover's samples are written back a moment after it is answered: the
   * write changes the file under the editor, which closes the hover, so it
   * waits until the user had the time to read it.
   */
  private refreshSoonAfterHover(file: string, root: string, answer: HoverAnswer): void {
    if (answer.subject.kind === 'other') return;
    const timer = setTimeout(() => {
      this.pendingWrites.delete(timer);
      this.refreshAfterHover(file, root, answer).catch((error: unknown) => {
        this.host.log(`SLayer: refreshing ${file} after a hover failed: ${toSlayerError(error).message}`);
      });
    }, HOVER_WRITE_DELAY_MS);
    this.pendingWrites.add(timer);
  }

  private async refreshAfterHover(file: string, root: string, answer: HoverAnswer): Promise<void> {
    if (answer.subject.kind === 'column') {
      const text = this.host.index.get(file)?.parsed.text ?? '';
      await this.refresher.refreshSamples(file, root, [answer.subject.profile], stripBom(text));
    } else if (answer.subject.kind === 'query-backed') {
      await this.refresher.refreshQueryBacked(file, root);
    }
  }

  /** Writes the query file's stages as a new query-backed model, with its cache already computed. */
  async saveQueryAsModel(file: string, name: string): Promise<SaveQueryAsModelResult> {
    const state = this.requireState(file);
    const stages = state.parsed.queries ?? [];
    const errors = state.parsed.parseProblems.filter((problem) => problem.severity === 'error');
    if (state.classified.kind !== 'query' || stages.length === 0 || errors.length > 0) {
      throw new SlayerError(ErrorCode.InvalidInput, `${file} is not a query file with a valid query.`);
    }
    return this.saveStagesAsModel(state.root ?? '', stages, name);
  }

  async saveStagesAsModel(root: string, stages: readonly QueryDef[], name: string): Promise<SaveQueryAsModelResult> {
    const saved = await this.createModelFromQuery(root, stages, name, { save: true });
    return { file: saved.file ?? '' };
  }

  /** SLayer's create_model_from_query: a new query-backed model over `stages`, never replacing one. */
  createModelFromQuery(
    root: string,
    stages: readonly QueryDef[],
    name: string,
    options: { save: boolean },
  ): Promise<{ model: ModelDef; file?: string }> {
    if (this.host.index.catalogFor(root).getModel(name))
      throw new SlayerError(ErrorCode.InvalidInput, `Model '${name}' already exists in ${root}.`);
    return this.saveModel(root, modelDef(name, { source_queries: [...stages] }), options);
  }

  /**
   * SLayer's save_model: the model validated, a query-backed model's cache
   * (columns, backing SQL, data source) filled from its stages, then, unless
   * `save` is false, written to the storage root (replacing a stored model of
   * that name only if it did not change meanwhile: revision-checked).
   */
  async saveModel(
    root: string,
    model: ModelDef,
    options: { save: boolean },
  ): Promise<{ model: ModelDef; file?: string }> {
    this.requireTrust('Saving a model');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(model.name) || model.name.includes('__')) {
      throw new SlayerError(
        ErrorCode.InvalidInput,
        `'${model.name}' is not a valid model name: letters, digits and single underscores.`,
      );
    }
    const catalog = this.host.index.catalogFor(root);
    // Warm the cache now, so SLayer and the editor both see columns before the first run.
    const filled = model.source_queries ? { ...model, ...stageCatalogFor(model, catalog).cacheOf(model) } : model;
    if (!options.save) return { model: filled };
    const storage = this.storageFor(root);
    const existing = await storage.get(filled.name, filled.data_source || undefined);
    await storage.save(filled, existing ? { expectedRevision: existing.revision } : {});
    const saved = await storage.get(filled.name, filled.data_source || undefined);
    return { model: filled, file: saved?.file ?? path.join(root, 'models', filled.data_source, `${filled.name}.yaml`) };
  }

  private requireState(file: string): FileState {
    const state = this.host.index.get(file);
    if (!state?.root) throw new SlayerError(ErrorCode.NotFound, `${file} is not part of a SLayer storage root.`);
    return state;
  }

  private modelFile(root: string, name: string): FileState | undefined {
    for (const state of this.host.index.allFiles()) {
      if (state.root === root && state.parsed.model?.name === name) return state;
    }
    return undefined;
  }
}
