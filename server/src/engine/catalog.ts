import { LiveCatalog } from './live-catalog';
import type { ColumnDef, DatasourceDef, MeasureDef, ModelDef } from './schema/types';

/**
 * What the engine needs to know about the rest of the workspace. The
 * workspace index implements it; tests implement it with plain maps.
 */
export interface ModelCatalog {
  /** A model by name; with `dataSource`, a model of that data source wins over same-named others. */
  getModel(name: string, dataSource?: string): ModelDef | undefined;
  modelNames(): Iterable<string>;
  getDatasource(name: string): DatasourceDef | undefined;
  dataSourceNames(): Iterable<string>;
  /** An inline query-backed model as a readable one; catalogs that plan stages provide it. */
  virtualize?(model: ModelDef): ModelDef;
  /** Every model of this name, one per data source; catalogs that can hold several provide it. */
  modelsNamed?(name: string): readonly ModelDef[];
  /** SLayer's `priority.yaml`: data sources, most preferred first, for a bare name found in several. */
  dataSourcePriority?(): readonly string[];
}

/**
 * SLayer's rule for a bare model name (its `resolve_model_identity`): the
 * only model of that name; of several (one per data source), the one in
 * `prefer`'s data source (a query-backed model's own, a join's parent's),
 * else the first in the storage root's `priority.yaml`; else ambiguous,
 * with the data sources that have it. Never a guess: they may read
 * different databases.
 */
export function resolveModelName(
  catalog: ModelCatalog,
  name: string,
  prefer: string | undefined,
): { model: ModelDef | undefined } | { ambiguous: string[] } {
  const candidates = catalog.modelsNamed?.(name) ?? [];
  if (candidates.length <= 1) return { model: catalog.getModel(name, prefer) };
  const sources = candidates.map((model) => model.data_source);
  const chosen = [prefer, ...(catalog.dataSourcePriority?.() ?? [])].find(
    (dataSource) => dataSource !== undefined && sources.includes(dataSource),
  );
  return chosen === undefined ? { ambiguous: sources } : { model: catalog.getModel(name, chosen) };
}

export type ResolvedName =
  { kind: 'column'; model: ModelDef; column: ColumnDef } | { kind: 'measure'; model: ModelDef; measure: MeasureDef };

export type PathResolution =
  | { ok: true; model: ModelDef; via: ModelDef[] }
  | { ok: false; message: string; failedAt: number; suggestions: string[] };

/**
 * Walks a dotted join path (`customers.regions`) from `start` through each
 * model's `joins`, as SLayer's dotted references do.
 */
export function resolveJoinPath(start: ModelDef, path: readonly string[], catalog: ModelCatalog): PathResolution {
  let current = start;
  const via: ModelDef[] = [];
  for (const [i, step] of path.entries()) {
    const join = current.joins.find((candidate) => candidate.target_model === step);
    if (!join) {
      return {
        ok: false,
        message: `Model '${current.name}' has no join to '${step}'.`,
        failedAt: i,
        suggestions: current.joins.map((candidate) => candidate.target_model),
      };
    }
    const target = catalog.getModel(step, current.data_source || undefined);
    if (!target) {
      return { ok: false, message: `Model '${step}' not found.`, failedAt: i, suggestions: [...catalog.modelNames()] };
    }
    via.push(target);
    current = target;
  }
  return { ok: true, model: current, via };
}

export function findName(model: ModelDef, name: string): ResolvedName | undefined {
  const column = model.columns.find((candidate) => candidate.name === name);
  if (column) return { kind: 'column', model, column };
  const measure = model.measures.find((candidate) => candidate.name === name);
  if (measure) return { kind: 'measure', model, measure };
  return undefined;
}

export function namesOf(model: ModelDef): string[] {
  return [...model.columns.map((c) => c.name), ...model.measures.flatMap((m) => (m.name ? [m.name] : []))];
}

/** A catalog over fixed lists, for tests and the headless CLI's single-shot runs. */
export class StaticCatalog extends LiveCatalog {
  constructor(models: readonly ModelDef[], datasources: readonly DatasourceDef[] = []) {
    super();
    for (const model of models) this.add({ model });
    for (const datasource of datasources) this.add({ datasource });
  }
}
