import type { ModelCatalog } from './catalog';
import type { DatasourceDef, ModelDef } from './schema/types';

/**
 * The models and datasources of one storage root, kept up to date one file
 * at a time: an edit swaps one file's declarations instead of rebuilding the
 * catalog. A model of the asked data source wins over same-named others.
 */
export class LiveCatalog implements ModelCatalog {
  private readonly models = new Map<string, ModelDef[]>();
  private readonly datasources = new Map<string, DatasourceDef[]>();
  private priority: readonly string[] = [];

  /** The storage root's `priority.yaml` list (empty when it has none). */
  setDataSourcePriority(priority: readonly string[]): void {
    this.priority = [...priority];
  }

  dataSourcePriority(): readonly string[] {
    return this.priority;
  }

  add(declared: { model?: ModelDef | undefined; datasource?: DatasourceDef | undefined }): void {
    const { model, datasource } = declared;
    if (model?.name) push(this.models, model.name, model);
    if (datasource?.name) push(this.datasources, datasource.name, datasource);
  }

  remove(declared: { model?: ModelDef | undefined; datasource?: DatasourceDef | undefined }): void {
    const { model, datasource } = declared;
    if (model?.name) pull(this.models, model.name, model);
    if (datasource?.name) pull(this.datasources, datasource.name, datasource);
  }

  /**
   * A file's new declarations in place of its old ones. A model keeps its
   * place among same-named models (of other data sources), so which one a
   * lookup without a data source finds does not change because one was edited.
   */
  replace(
    before: { model?: ModelDef | undefined; datasource?: DatasourceDef | undefined },
    after: { model?: ModelDef | undefined; datasource?: DatasourceDef | undefined },
  ): void {
    swap(this.models, before.model, after.model);
    swap(this.datasources, before.datasource, after.datasource);
  }

  getModel(name: string, dataSource?: string): ModelDef | undefined {
    const matches = this.models.get(name) ?? [];
    return matches.find((model) => model.data_source === dataSource) ?? matches[0];
  }

  modelNames(): Iterable<string> {
    return this.models.keys();
  }

  modelsNamed(name: string): readonly ModelDef[] {
    return this.models.get(name) ?? [];
  }

  getDatasource(name: string): DatasourceDef | undefined {
    return this.datasources.get(name)?.[0];
  }

  dataSourceNames(): Iterable<string> {
    return this.datasources.keys();
  }
}

/** One LiveCatalog per storage root (undefined: files outside any root), made on first use. */
export class CatalogsByRoot {
  private readonly catalogs = new Map<string, LiveCatalog>();

  of(root: string | undefined): LiveCatalog {
    const key = root ?? '';
    let catalog = this.catalogs.get(key);
    if (!catalog) {
      catalog = new LiveCatalog();
      this.catalogs.set(key, catalog);
    }
    return catalog;
  }

  /** The catalog of `root` when it has ever been made; it is not made by asking. */
  existing(root: string | undefined): LiveCatalog | undefined {
    return this.catalogs.get(root ?? '');
  }

  clear(): void {
    this.catalogs.clear();
  }
}

function swap<T extends { name: string }>(map: Map<string, T[]>, before: T | undefined, after: T | undefined): void {
  const list = before?.name ? map.get(before.name) : undefined;
  const at = before && list ? list.indexOf(before) : -1;
  if (list && after && at >= 0 && after.name === before?.name) {
    map.set(
      after.name,
      list.map((entry, i) => (i === at ? after : entry)),
    );
    return;
  }
  if (before?.name) pull(map, before.name, before);
  if (after?.name) push(map, after.name, after);
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  map.set(key, [...(map.get(key) ?? []), value]);
}

function pull<T>(map: Map<string, T[]>, key: string, value: T): void {
  const rest = (map.get(key) ?? []).filter((entry) => entry !== value);
  if (rest.length > 0) map.set(key, rest);
  else map.delete(key);
}

/**
 * A catalog that notes every name a check asks it for, so a later change to
 * one of those names re-checks exactly the files that read it. Asking for
 * the list of names (for "did you mean") is noted as ANY_NAME.
 */
export class RecordingCatalog implements ModelCatalog {
  readonly read = new Set<string>();

  constructor(private readonly inner: ModelCatalog) {}

  getModel(name: string, dataSource?: string): ModelDef | undefined {
    this.read.add(name);
    return this.inner.getModel(name, dataSource);
  }

  modelNames(): Iterable<string> {
    this.read.add(ANY_NAME);
    return this.inner.modelNames();
  }

  modelsNamed(name: string): readonly ModelDef[] {
    this.read.add(name);
    return this.inner.modelsNamed?.(name) ?? [];
  }

  dataSourcePriority(): readonly string[] {
    this.read.add(PRIORITY);
    return this.inner.dataSourcePriority?.() ?? [];
  }

  getDatasource(name: string): DatasourceDef | undefined {
    this.read.add(name);
    return this.inner.getDatasource(name);
  }

  dataSourceNames(): Iterable<string> {
    this.read.add(ANY_NAME);
    return this.inner.dataSourceNames();
  }
}

/** Read by a check that listed every name: any name appearing or disappearing concerns it. */
export const ANY_NAME = '\u0000any';

/** Read by a check that consulted the storage root's priority.yaml. */
export const PRIORITY = '\u0000priority';
