/**
 * SLayer's persisted shapes (models, datasources, queries) as the engine sees
 * them after decoding. Property names keep SLayer's snake_case so what the user
 * reads in YAML is what the code says.
 */

import type { FieldFormat } from '../../../../shared/src/protocol';

export const DATA_TYPES = ['TEXT', 'INT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP'] as const;
export type DataType = (typeof DATA_TYPES)[number];

export const TIME_GRANULARITIES = [
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'week_sunday',
  'month',
  'quarter',
  'year',
] as const;
export type TimeGranularity = (typeof TIME_GRANULARITIES)[number];

/** SLayer's `format:`; the protocol declares it, since the results view formats numbers by it. */
export type NumberFormat = FieldFormat;

export interface ColumnDef {
  name: string;
  sql?: string;
  type: DataType;
  primary_key: boolean;
  description?: string;
  label?: string;
  hidden: boolean;
  format?: NumberFormat;
  allowed_aggregations?: string[];
  filter?: string;
  meta?: Record<string, unknown>;
  /** Engine-managed profiling snapshot. */
  sampled?: string;
  sampled_values?: string[];
  distinct_count?: number;
}

export interface MeasureDef {
  formula: string;
  name?: string;
  label?: string;
  description?: string;
  type?: DataType;
  meta?: Record<string, unknown>;
}

export interface AggregationParamDef {
  name: string;
  sql: string;
}

export interface AggregationDef {
  name: string;
  formula?: string;
  params: AggregationParamDef[];
  description?: string;
  meta?: Record<string, unknown>;
}

export interface JoinDef {
  target_model: string;
  join_pairs: [string, string][];
  join_type: 'left' | 'inner';
  description?: string;
  meta?: Record<string, unknown>;
}

export interface ModelDef {
  version: number;
  name: string;
  sql_table?: string;
  sql?: string;
  source_queries?: QueryDef[];
  query_variables: Record<string, unknown>;
  backing_query_sql?: string;
  data_source: string;
  columns: ColumnDef[];
  measures: MeasureDef[];
  aggregations: AggregationDef[];
  joins: JoinDef[];
  filters: string[];
  default_time_dimension?: string;
  description?: string;
  hidden: boolean;
  meta?: Record<string, unknown>;
  /**
   * The first error met while decoding the model's file. Decoding drops what
   * it cannot read (a filter, a column's filter), which would change the
   * model's numbers without a word, so the engine refuses to read it.
   */
  defect?: string;
}

export interface DatasourceDef {
  version: number;
  name: string;
  type?: string;
  host?: string;
  /** A number, or an `${ENV_VAR}` reference. */
  port?: number | string;
  database?: string;
  username?: string;
  password?: string;
  connection_string?: string;
  schema_name?: string;
  postgres_schema?: string;
  description?: string;
  connection_name?: string;
  warehouse?: string;
  role?: string;
  credentials_json?: string;
}

export interface ColumnRefDef {
  /** Leaf column name. */
  name: string;
  /** Dotted join path before the leaf, if any ("customers.regions"). */
  model?: string;
  label?: string;
}

export interface TimeDimensionDef {
  dimension: ColumnRefDef;
  granularity: TimeGranularity;
  date_range?: string[];
  label?: string;
}

export interface OrderItemDef {
  /** The column, measure alias or formula as written. */
  column: string;
  direction: 'asc' | 'desc';
}

export interface ModelExtensionDef {
  source_name: string;
  columns?: ColumnDef[];
  measures?: MeasureDef[];
  joins?: JoinDef[];
}

export type SourceModelDef =
  | { kind: 'name'; name: string }
  | { kind: 'extension'; extension: ModelExtensionDef }
  | { kind: 'inline'; model: ModelDef };

export interface QueryDef {
  version: number;
  name?: string;
  source_model: SourceModelDef;
  measures?: MeasureDef[];
  dimensions?: ColumnRefDef[];
  time_dimensions?: TimeDimensionDef[];
  main_time_dimension?: string;
  filters?: string[];
  variables?: Record<string, unknown>;
  order?: OrderItemDef[];
  limit?: number;
  offset?: number;
  whole_periods_only: boolean;
  distinct_dimension_values: boolean;
}

export const CURRENT_MODEL_VERSION = 7;

/** A model with SLayer's defaults for every list and flag; `fields` set the rest. */
export function modelDef(name: string, fields: Partial<ModelDef> = {}): ModelDef {
  return {
    version: CURRENT_MODEL_VERSION,
    name,
    data_source: '',
    query_variables: {},
    columns: [],
    measures: [],
    aggregations: [],
    joins: [],
    filters: [],
    hidden: false,
    ...fields,
  };
}

/** A column with SLayer's defaults (not a key, not hidden). */
export function columnDef(name: string, type: DataType, fields: Partial<ColumnDef> = {}): ColumnDef {
  return { name, type, primary_key: false, hidden: false, ...fields };
}
export const CURRENT_QUERY_VERSION = 3;
export const CURRENT_DATASOURCE_VERSION = 2;
