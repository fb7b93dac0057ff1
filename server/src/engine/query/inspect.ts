import type { ColumnDef, ModelDef, QueryDef } from '../schema/types';
import { TIME_TYPES } from '../vocabulary';
import { executeQuery, stageCatalogFor, type EngineHost, type ExecuteOptions } from './execute';
import { lookupModel } from './stages';
import { modelNotFound } from './errors';

/** SLayer's profiling limits: the top values shown, kept, and fetched to detect overflow. */
const SHOWN_VALUES = 20;
const KEPT_VALUES = 50;
const FETCHED_VALUES = KEPT_VALUES + 2;

export interface ColumnProfile {
  name: string;
  type: ColumnDef['type'];
  primary_key: boolean;
  label?: string;
  description?: string;
  allowed_aggregations?: string[];
  /** SLayer's one-line sample: `a, b, c`, `a ... (50+ distinct)` or `min .. max`; null for keys and hidden columns. */
  sampled: string | null;
  sampled_values: string[] | null;
  distinct_count: number | null;
}

export interface ModelInspection {
  model_name: string;
  description?: string;
  data_source: string;
  source_type: 'table' | 'sql' | 'query';
  sql_table?: string;
  sql?: string;
  default_time_dimension?: string;
  row_count: number;
  filters: string[];
  columns: ColumnProfile[];
  measures: { name?: string; formula: string; label?: string; description?: string }[];
  aggregations: { name: string; params: { name: string }[]; description?: string }[];
  joins: { target_model: string; join_pairs: [string, string][] }[];
}

function query(model: ModelDef, fields: Partial<QueryDef>): QueryDef[] {
  return [
    {
      version: 3,
      source_model: { kind: 'name', name: model.name },
      whole_periods_only: false,
      distinct_dimension_values: true,
      ...fields,
    },
  ];
}

/** Python's str() of a sampled value, which is how SLayer writes them. */
export function pythonText(value: unknown, column: ColumnDef): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' && column.type === 'DOUBLE' && Number.isInteger(value)) return `${value}.0`;
  if (typeof value === 'string' && column.type === 'TIMESTAMP') return value.replace('T', ' ');
  return String(value);
}

function isRanged(column: ColumnDef): boolean {
  return column.type === 'INT' || column.type === 'DOUBLE' || TIME_TYPES.has(column.type);
}

/**
 * A model's shape plus a profile of its data: the row count, the top values
 * of categorical columns and the range of numeric and time columns, each
 * through the engine, so derived columns profile the way they query.
 */
export async function inspectModel(
  name: string,
  host: EngineHost,
  given: ExecuteOptions = {},
): Promise<ModelInspection> {
  const stored = lookupModel(host.catalog, name, given.preferDataSource);
  if (!stored) throw modelNotFound(name, host.catalog.modelNames());
  const options: ExecuteOptions = { ...given, preferDataSource: stored.data_source || undefined };
  // A query-backed model is profiled through its virtual columns, whatever its cache says.
  const model = stored.source_queries ? stageCatalogFor(stored, host.catalog).virtualize(stored) : stored;
  const count = await executeQuery(query(model, { measures: [{ formula: '*:count' }] }), host, options);
  const rowCount = Number(count.data[0]?.[`${model.name}._count`] ?? 0);
  const ranges = await rangeSamples(model, model.columns, host, options);
  const columns: ColumnProfile[] = [];
  for (const column of model.columns) {
    const sample =
      column.primary_key || column.hidden
        ? undefined
        : (ranges.get(column.name) ?? (await topValues(model, column, host, options)));
    columns.push(profileOf(column, sample));
  }
  return {
    model_name: model.name,
    ...(model.description ? { description: model.description } : {}),
    data_source: model.data_source,
    source_type: stored.sql_table ? 'table' : stored.sql ? 'sql' : 'query',
    ...(stored.sql_table ? { sql_table: stored.sql_table } : {}),
    ...(stored.sql ? { sql: stored.sql } : {}),
    ...(model.default_time_dimension ? { default_time_dimension: model.default_time_dimension } : {}),
    row_count: rowCount,
    filters: model.filters,
    columns,
    measures: model.measures.map((m) => ({
      formula: m.formula,
      ...(m.name ? { name: m.name } : {}),
      ...(m.label ? { label: m.label } : {}),
      ...(m.description ? { description: m.description } : {}),
    })),
    aggregations: model.aggregations.map((a) => ({
      name: a.name,
      params: a.params.map((p) => ({ name: p.name })),
      ...(a.description ? { description: a.description } : {}),
    })),
    joins: model.joins.map((j) => ({ target_model: j.target_model, join_pairs: j.join_pairs })),
  };
}

/** One column's profile, as a hover shows it: the same text inspect writes. */
export async function profileColumn(
  model: ModelDef,
  column: ColumnDef,
  host: EngineHost,
  given: ExecuteOptions = {},
): Promise<ColumnProfile> {
  const options: ExecuteOptions = { ...given, preferDataSource: model.data_source || undefined };
  if (column.primary_key || column.hidden) return profileOf(column, undefined);
  if (isRanged(column)) return profileOf(column, (await rangeSamples(model, [column], host, options)).get(column.name));
  return profileOf(column, await topValues(model, column, host, options));
}

interface Sample {
  sampled: string;
  values: string[] | null;
  distinct: number | null;
}

function profileOf(column: ColumnDef, sample: Sample | undefined): ColumnProfile {
  return {
    name: column.name,
    type: column.type,
    primary_key: column.primary_key,
    ...(column.label ? { label: column.label } : {}),
    ...(column.description ? { description: column.description } : {}),
    ...(column.allowed_aggregations ? { allowed_aggregations: column.allowed_aggregations } : {}),
    sampled: sample?.sampled ?? null,
    sampled_values: sample?.values ?? null,
    distinct_count: sample?.distinct ?? null,
  };
}

/** One query for every numeric and time column: `min .. max`. */
async function rangeSamples(
  model: ModelDef,
  columns: readonly ColumnDef[],
  host: EngineHost,
  options: ExecuteOptions,
): Promise<Map<string, Sample>> {
  const ranged = columns.filter((c) => !c.primary_key && !c.hidden && isRanged(c));
  const out = new Map<string, Sample>();
  if (ranged.length === 0) return out;
  const measures = ranged.flatMap((c) => [
    { formula: `${c.name}:min`, name: `${c.name}__min` },
    { formula: `${c.name}:max`, name: `${c.name}__max` },
  ]);
  // Ranges ignore a column's own filter and eligibility rules: they describe the data, not a metric.
  const unrestricted: ModelDef = {
    ...model,
    columns: model.columns.map((c) => ({ ...c, filter: undefined, allowed_aggregations: undefined })),
  };
  const response = await executeQuery(
    [{ ...query(model, { measures })[0]!, source_model: { kind: 'inline', model: unrestricted } }],
    host,
    options,
  );
  const row = response.data[0] ?? {};
  for (const column of ranged) {
    const min = row[`${model.name}.${column.name}__min`];
    const max = row[`${model.name}.${column.name}__max`];
    if (min === null || min === undefined) continue;
    out.set(column.name, {
      sampled: `${pythonText(min, column)} .. ${pythonText(max, column)}`,
      values: null,
      distinct: null,
    });
  }
  return out;
}

/** The most frequent values, ties broken by value, NULLs left out, as SLayer samples categories. */
async function topValues(
  model: ModelDef,
  column: ColumnDef,
  host: EngineHost,
  options: ExecuteOptions,
): Promise<Sample | undefined> {
  const response = await executeQuery(
    query(model, {
      dimensions: [{ name: column.name }],
      measures: [{ formula: '*:count' }],
      order: [
        { column: '*:count', direction: 'desc' },
        { column: column.name, direction: 'asc' },
      ],
      limit: FETCHED_VALUES,
    }),
    host,
    options,
  );
  const values = response.data
    .map((row) => row[`${model.name}.${column.name}`])
    .filter((value) => value !== null && value !== undefined)
    .map((value) => pythonText(value, column));
  if (values.length === 0) return undefined;
  if (values.length > KEPT_VALUES) {
    return {
      sampled: `${values.slice(0, SHOWN_VALUES).join(', ')} ... (${KEPT_VALUES}+ distinct)`,
      values: values.slice(0, KEPT_VALUES),
      distinct: null,
    };
  }
  return { sampled: values.slice(0, SHOWN_VALUES).join(', '), values, distinct: values.length };
}
