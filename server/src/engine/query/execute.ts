import type { ModelCatalog } from '../catalog';
import type { Driver } from '../drivers/types';
import { dialectOfDatasource, plannedTypeOf, TYPES_WITH_A_DIALECT } from '../schema/datasource-types';
import type { DatasourceDef, ModelDef, QueryDef } from '../schema/types';
import { dialectFor, type DialectName } from '../sql/dialect';
import { withoutDots } from '../sql/dialect-kit';
import { invalidQuery, modelNotFound, unsupported } from './errors';
import { planQuery, type PlannedField } from './plan';
import {
  baseSourceOfModel,
  baseSourceOfQuery,
  lookupModel,
  orderQueryList,
  StageCatalog,
  type BaseSource,
  type StageVariables,
} from './stages';
import { shapeResponse, type SlayerResponse } from './response';
import type { Variables } from './variables';

/** How the engine reaches databases; the server and the CLI each supply one. */
export interface EngineHost {
  catalog: ModelCatalog;
  openDriver(datasource: DatasourceDef): Driver;
}

export interface ExecuteOptions {
  variables?: Variables;
  /** Plan and print the SQL, touch no database. */
  dryRun?: boolean;
  /** Preview cap; the response says `truncated` when rows were cut. */
  maxRows?: number;
  signal?: AbortSignal;
  /** The data source a bare model name prefers when several data sources have it (the model a hover is on). */
  preferDataSource?: string;
}

/** The datasource a query's base model names (see baseSourceOfQuery). */
export function datasourceOf(base: BaseSource, catalog: ModelCatalog): DatasourceDef {
  const datasource = catalog.getDatasource(base.dataSource);
  if (!datasource) {
    throw invalidQuery(
      `Datasource '${base.dataSource}' not found for model '${base.model}': there is no datasources/${base.dataSource}.yaml.`,
    );
  }
  return datasource;
}

/** Stages planned in the dialect of the data source a model finally reads. */
export function stageCatalogFor(model: ModelDef, catalog: ModelCatalog): StageCatalog {
  const datasource = datasourceOf(baseSourceOfModel(model, catalog), catalog);
  return new StageCatalog(
    catalog,
    dialectFor(dialectOf(datasource)),
    {},
    new Map(),
    [],
    {},
    model.data_source || undefined,
  );
}

export function dialectOf(datasource: DatasourceDef): DialectName {
  const dialect = dialectOfDatasource(datasource);
  if (!dialect) {
    const type = plannedTypeOf(datasource);
    throw unsupported(
      `Datasource '${datasource.name}' has type '${type.toLowerCase() || '(none)'}'; this engine speaks ${TYPES_WITH_A_DIALECT.join(', ')}.`,
    );
  }
  return dialect;
}

/** Plans a query (or the root of a query list) for its datasource's dialect and, unless dry, runs it. */
export async function executeQuery(
  stages: readonly QueryDef[],
  host: EngineHost,
  options: ExecuteOptions = {},
): Promise<SlayerResponse> {
  const { root, named } = orderQueryList(stages);
  const prefer = options.preferDataSource;
  const datasource = datasourceOf(baseSourceOfQuery(root, host.catalog, named, [], prefer), host.catalog);
  const dialect = dialectFor(dialectOf(datasource));
  const catalog = new StageCatalog(host.catalog, dialect, stageVariables(options, root), named, [], {}, prefer);
  const plan = planQuery(root, catalog, { dialect, ...(options.variables ? { variables: options.variables } : {}) });
  const ranOn = { data_source: datasource.name };
  if (options.dryRun) return { ...shapeResponse(plan.fields, [], plan.sql, false), ...ranOn };
  const driver = host.openDriver(datasource);
  try {
    const result = await driver.run(plan.sql, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.maxRows !== undefined ? { maxRows: options.maxRows } : {}),
    });
    const rows = keyedByField(plan.fields, result.rows);
    return { ...shapeResponse(plan.fields, rows, plan.sql, result.truncated), ...ranOn };
  } finally {
    await driver.close();
  }
}

/**
 * Rows keyed by each field's own key. BigQuery's and SQL Server's dialects
 * name a column without dots (`orders___revenue`, withoutDots), as SLayer
 * does, so their rows come back under that name and are read back here, as
 * SLayer reads them back.
 */
function keyedByField(fields: readonly PlannedField[], rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const renamed = fields.map((field) => [withoutDots(field.key), field.key] as const).filter(([as, key]) => as !== key);
  if (renamed.length === 0) return rows;
  for (const row of rows) {
    for (const [as, key] of renamed) {
      if (!(as in row) || key in row) continue;
      row[key] = row[as];
      delete row[as];
    }
  }
  return rows;
}

/** SLayer's precedence reaches into stages: runtime variables first, then the outer query's own. */
function stageVariables(options: ExecuteOptions, root: QueryDef): StageVariables {
  return {
    ...(options.variables ? { runtime: options.variables } : {}),
    ...(root.variables ? { outer: root.variables } : {}),
  };
}

/**
 * SLayer's run-by-name: a query-backed model's own stages, run as a query
 * list, and the model's data source, which bare names in them prefer.
 */
export function storedQueryOf(name: string, catalog: ModelCatalog): { stages: QueryDef[]; dataSource?: string } {
  const model = lookupModel(catalog, name, undefined);
  if (!model) throw modelNotFound(name, catalog.modelNames());
  if (!model.source_queries) {
    throw invalidQuery(`Model '${name}' is not query-backed; pass a SlayerQuery with source_model='${name}'.`);
  }
  const stages = modelStages(model);
  return model.data_source ? { stages, dataSource: model.data_source } : { stages };
}

/** A query-backed model's stages as a query list: the model's defaults sit below every stage's own variables. */
export function modelStages(model: ModelDef): QueryDef[] {
  return (model.source_queries ?? []).map((stage) => ({
    ...stage,
    variables: { ...model.query_variables, ...stage.variables },
  }));
}
