import type { SlayerError } from '../../../../shared/src/errors';
import { resolveModelName, type ModelCatalog } from '../catalog';
import {
  modelDef,
  type ColumnDef,
  type DataType,
  type DatasourceDef,
  type ModelDef,
  type QueryDef,
} from '../schema/types';
import type { SqlDialect } from '../sql/dialect';
import { ambiguousModel, dagRootReferencedMessage, invalidQuery, modelNotFound, pyList, unsupported } from './errors';
import { planQuery, sourceModel, type PlannedField } from './plan';
import { mergeVariables, type Variables } from './variables';

/**
 * Query-backed models and query lists. A stage's result becomes a virtual
 * model: its SQL wrapped so each `model.key` column gets SLayer's plain name
 * (`customers.name` -> `customers__name`, `*:count` -> `_count`), which later
 * stages and other queries read like any table. The planner never knows: it
 * asks a catalog for models, and this catalog answers with virtual ones.
 */

/** What a refresh writes back into a query-backed model file. */
export interface QueryBackedCache {
  columns: ColumnDef[];
  backing_query_sql: string;
  data_source: string;
}

/** SLayer's virtual column name for a stage result key. */
export function virtualColumnName(key: string, keyRoot: string): string {
  const local = key.startsWith(`${keyRoot}.`) ? key.slice(keyRoot.length + 1) : key;
  return local.replace(/\./g, '__');
}

function columnType(field: PlannedField): DataType {
  if (field.kind === 'measure') return 'DOUBLE';
  return field.type ?? 'TEXT';
}

/** The engine-managed column list of a stage, in SLayer's shape (name, sql, type, label, format). */
function virtualColumns(fields: readonly PlannedField[], keyRoot: string): ColumnDef[] {
  return fields.map((field) => {
    const name = virtualColumnName(field.key, keyRoot);
    return {
      name,
      sql: name,
      type: columnType(field),
      primary_key: false,
      hidden: false,
      ...(field.label === undefined ? {} : { label: field.label }),
      ...(field.format === undefined ? {} : { format: field.format }),
    };
  });
}

interface VirtualStage {
  model: ModelDef;
  cache: QueryBackedCache;
}

/** Variables every stage of one execution sees, lowest precedence first is applied by `mergeVariables`. */
export interface StageVariables {
  runtime?: Variables;
  /** An outer query's own variables, when it reads a query-backed model. */
  outer?: Variables;
}

/**
 * A catalog in which named stages and query-backed models resolve to virtual
 * models. Stages win over stored models of the same name, as in SLayer.
 */
export class StageCatalog implements ModelCatalog {
  private readonly built = new Map<string, VirtualStage>();

  constructor(
    private readonly base: ModelCatalog,
    private readonly dialect: SqlDialect,
    private readonly variables: StageVariables,
    private readonly stages: ReadonlyMap<string, QueryDef> = new Map(),
    private readonly visiting: readonly string[] = [],
    /** The query-backed model's query_variables, which its named stages fall back to. */
    private readonly stageDefaults: Variables = {},
    /** The data source a bare model name prefers: the query-backed model's own, whose stages these are. */
    private readonly prefer?: string,
  ) {}

  getModel(name: string, dataSource?: string): ModelDef | undefined {
    const stage = this.stages.get(name);
    if (stage) return this.virtualStage(name, [stage], this.stageDefaults, this.stages).model;
    const model = lookupModel(this.base, name, dataSource ?? this.prefer);
    if (!model?.source_queries) return model;
    // A stored model's stages never see an outer query list's stage names.
    return this.virtualStage(name, model.source_queries, model.query_variables, new Map(), model.data_source).model;
  }

  modelNames(): Iterable<string> {
    return new Set([...this.stages.keys(), ...this.base.modelNames()]);
  }

  modelsNamed(name: string): readonly ModelDef[] {
    return this.stages.has(name) ? [] : (this.base.modelsNamed?.(name) ?? []);
  }

  dataSourcePriority(): readonly string[] {
    return this.base.dataSourcePriority?.() ?? [];
  }

  getDatasource(name: string): DatasourceDef | undefined {
    return this.base.getDatasource(name);
  }

  dataSourceNames(): Iterable<string> {
    return this.base.dataSourceNames();
  }

  virtualize(model: ModelDef): ModelDef {
    if (!model.source_queries) return model;
    return this.virtualStage(model.name, model.source_queries, model.query_variables, new Map(), model.data_source)
      .model;
  }

  /** The cache a query-backed model's file should hold, computed from its current definition. */
  cacheOf(model: ModelDef): QueryBackedCache {
    if (!model.source_queries) throw invalidQuery(`Model '${model.name}' is not query-backed.`);
    return this.virtualStage(model.name, model.source_queries, model.query_variables, new Map(), model.data_source)
      .cache;
  }

  private virtualStage(
    name: string,
    stages: readonly QueryDef[],
    defaults: Variables,
    inherited: ReadonlyMap<string, QueryDef>,
    prefer: string | undefined = this.prefer,
  ): VirtualStage {
    const known = this.built.get(name);
    if (known) return known;
    if (this.visiting.includes(name)) throw circularReference(name, this.visiting);
    const built = this.buildStages(name, stages, defaults, inherited, prefer);
    this.built.set(name, built);
    return built;
  }

  /** Stored `source_queries` read top to bottom: a stage sees only the named stages before it. */
  private buildStages(
    name: string,
    stages: readonly QueryDef[],
    defaults: Variables,
    inherited: ReadonlyMap<string, QueryDef>,
    prefer: string | undefined,
  ): VirtualStage {
    const earlier = new Map(inherited);
    let last: VirtualStage | undefined;
    for (const [index, stage] of stages.entries()) {
      const scope = new StageCatalog(
        this.base,
        this.dialect,
        this.variables,
        earlier,
        [...this.visiting, name],
        defaults,
        prefer,
      );
      checkNoForwardReference(stage, stages.slice(index), name);
      last = scope.planStage(stage, stage.name ?? name, defaults);
      if (stage.name) earlier.set(stage.name, stage);
    }
    if (!last) throw invalidQuery(`Model '${name}': source_queries cannot be an empty list.`);
    return { model: { ...last.model, name }, cache: last.cache };
  }

  private planStage(stage: QueryDef, name: string, defaults: Variables): VirtualStage {
    const source = sourceModel(stage, this);
    const plan = planQuery(stage, this, {
      dialect: this.dialect,
      ...(this.variables.runtime ? { variables: this.variables.runtime } : {}),
      fallbackVariables: mergeVariables(this.variables.outer, defaults),
    });
    const keyRoot = stage.source_model.kind === 'name' ? stage.source_model.name : source.name;
    const columns = virtualColumns(plan.fields, keyRoot);
    const q = (text: string): string => this.dialect.quoteIdentifier(text);
    const renames = plan.fields.map((field, i) => `${q(field.key)} AS ${q(columns[i]?.name ?? field.key)}`);
    if (!this.dialect.nestsWith && /^WITH\b/.test(plan.sql)) throw stageNeedsCtes(name);
    const backing = `SELECT ${renames.join(', ')} FROM (${plan.sql}) AS _inner`;
    const model = modelDef(name, { data_source: source.data_source, sql: backing, columns });
    return { model, cache: { columns, backing_query_sql: backing, data_source: source.data_source } };
  }
}

function stageNeedsCtes(name: string): SlayerError {
  return unsupported(
    `Stage '${name}' needs WITH (its transforms or windows), and on this database a sub-query cannot begin with ` +
      'WITH, so another stage cannot read it. Run it as the last stage, or compute the transform in the stage that reads it.',
  );
}

/** The model whose table a query finally reads, and the data source that model names. */
export interface BaseSource {
  model: string;
  dataSource: string;
}

/**
 * Where a query's rows come from, found by following source names through
 * named stages and query-backed models down to a table model; nothing is
 * planned. The data source picks the dialect every stage is planned in.
 */
export function baseSourceOfQuery(
  query: QueryDef,
  catalog: ModelCatalog,
  named: ReadonlyMap<string, QueryDef> = new Map(),
  seen: readonly string[] = [],
  prefer?: string,
  /** `named` are the stages of a runtime query list (not of a stored model's source_queries). */
  listStages = true,
): BaseSource {
  const source = query.source_model;
  if (source.kind === 'inline') return baseSourceOfModel(source.model, catalog, seen);
  const name = source.kind === 'name' ? source.name : source.extension.source_name;
  if (seen.includes(name)) {
    const cycle = seen.slice(seen.indexOf(name));
    // Among the stages of one query list, SLayer's topological sort reports the cycle; elsewhere its model resolver.
    if (listStages && cycle.every((stage) => named.has(stage))) throw listCycle(cycle);
    throw circularReference(name, seen);
  }
  const stage = named.get(name);
  if (stage) return baseSourceOfQuery(stage, catalog, named, [...seen, name], prefer, listStages);
  const model = lookupModel(catalog, name, prefer);
  if (!model) throw modelNotFound(name, catalog.modelNames());
  return baseSourceOfModel(model, catalog, [...seen, name]);
}

export function baseSourceOfModel(model: ModelDef, catalog: ModelCatalog, seen: readonly string[] = []): BaseSource {
  const stages = model.source_queries ?? [];
  const last = stages[stages.length - 1];
  if (!last) return { model: model.name, dataSource: model.data_source };
  const named = new Map(stages.flatMap((stage) => (stage.name ? [[stage.name, stage] as const] : [])));
  return baseSourceOfQuery(last, catalog, named, seen, model.data_source || undefined, false);
}

/** SLayer's words for a model that, through its stages, reads itself. */
function circularReference(name: string, chain: readonly string[]): SlayerError {
  return invalidQuery(
    `Circular reference detected: '${name}' references itself (resolution chain: ${[...chain, name].join(' → ')}).`,
  );
}

/** SLayer's words for named stages of one query list that read each other in a ring. */
function listCycle(stages: readonly string[]): SlayerError {
  return invalidQuery(
    `Cycle in query list: stages ${pyList([...new Set(stages)].sort())} form a cyclic dependency. ` +
      `The reference graph must be acyclic (${[...stages, stages[0] ?? ''].join(' → ')}).`,
  );
}

/** A stored stage may only read stages defined above it: not itself, not one below. */
function checkNoForwardReference(stage: QueryDef, rest: readonly QueryDef[], model: string): void {
  const later = new Set(rest.flatMap((s) => (s.name ? [s.name] : [])));
  const offender = stage.name ?? '(last)';
  const rule = `stage may only resolve to prior named stages in the same source_queries list (of model '${model}').`;
  for (const reference of referencedNames(stage)) {
    if (!later.has(reference)) continue;
    if (reference === stage.name) {
      throw invalidQuery(
        `Stage '${offender}' cannot reference itself via 'joins.target_model' (or as 'source_model'); a ${rule}`,
      );
    }
    throw invalidQuery(
      `Stage '${offender}' cannot reference stage '${reference}': forward references are not allowed. A ${rule}`,
    );
  }
}

/** Names a stage reads: its source model and join targets of an extension. */
export function referencedNames(stage: QueryDef): string[] {
  const source = stage.source_model;
  if (source.kind === 'name') return [source.name];
  if (source.kind === 'extension')
    return [source.extension.source_name, ...(source.extension.joins ?? []).map((j) => j.target_model)];
  return source.model.joins.map((j) => j.target_model);
}

/**
 * A runtime query list: the last entry is the root; the others are named
 * stages in any order (SLayer sorts them), and a cycle is an error.
 */
export function orderQueryList(stages: readonly QueryDef[]): { root: QueryDef; named: Map<string, QueryDef> } {
  const root = stages[stages.length - 1];
  if (!root) throw invalidQuery('The query list is empty.');
  const named = new Map<string, QueryDef>();
  for (const stage of stages.slice(0, -1)) {
    if (!stage.name) {
      throw invalidQuery(
        "Every non-final entry in a query list must have a 'name' (siblings reference each other by name).",
      );
    }
    if (named.has(stage.name)) throw invalidQuery(`Duplicate stage name '${stage.name}' in query list.`);
    named.set(stage.name, stage);
  }
  if (root.name && named.has(root.name)) {
    throw invalidQuery(`Stage name '${root.name}' is duplicated: the final entry shares a name with an earlier entry.`);
  }
  for (const stage of stages) {
    if (stage.name && referencedNames(stage).includes(stage.name)) {
      throw invalidQuery(`Stage '${stage.name}' references itself — self-references are not allowed.`);
    }
  }
  rejectReferencesToRoot(root, named);
  return { root, named };
}

/** The last entry is what the list returns; a stage that read it would make the list a cycle in disguise. */
function rejectReferencesToRoot(root: QueryDef, named: ReadonlyMap<string, QueryDef>): void {
  if (!root.name) return;
  const rootName = root.name;
  const referrers = [...named.values()]
    .filter((stage) => referencedNames(stage).includes(rootName))
    .map((stage) => stage.name ?? '')
    .sort();
  if (referrers.length === 0) return;
  throw invalidQuery(dagRootReferencedMessage(rootName, referrers));
}

/** A bare model name resolved by SLayer's rule (resolveModelName); ambiguous is an error, never a guess. */
export function lookupModel(catalog: ModelCatalog, name: string, prefer: string | undefined): ModelDef | undefined {
  const resolved = resolveModelName(catalog, name, prefer);
  if ('ambiguous' in resolved) throw ambiguousModel(name, resolved.ambiguous);
  return resolved.model;
}
