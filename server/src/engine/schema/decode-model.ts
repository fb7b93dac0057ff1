import { type Node as YamlNode } from 'yaml';
import { isScalar } from './yaml-kinds';
import { DiagnosticCode } from '../../../../shared/src/diagnostics';
import { LEGACY_TYPE_ALIASES, normalizeAggregationName } from '../vocabulary';
import { bool, enumOf, int, label, listOf, record, str, type DecodeContext, type Decoder, type Path } from './decode';
import {
  aggregationNameProblem,
  columnNameProblem,
  dataSourceNameProblem,
  identifierProblem,
  measureNameProblem,
  modelNameProblem,
} from './names';
import {
  DATA_TYPES,
  type AggregationDef,
  type AggregationParamDef,
  type ColumnDef,
  type DataType,
  type JoinDef,
  type MeasureDef,
  type ModelDef,
  type NumberFormat,
  type QueryDef,
} from './types';
import { spanOfNode } from './yaml-source';

/** Injected to break the model <-> query cycle: models hold queries (source_queries), queries hold inline models. */
export type QueryDecoder = Decoder<QueryDef>;

/** Applies a naming rule to a decoded string and reports the rule's wording at the value. */
export function named(
  check: (name: string) => string | undefined,
  code: DiagnosticCode = DiagnosticCode.InvalidName,
): Decoder<string> {
  return (node, ctx, path) => {
    const value = str(node, ctx, path);
    if (value === undefined) return undefined;
    const problem = check(value);
    if (problem) ctx.sink.error(code, spanOfNode(node), problem);
    return value;
  };
}

/** Shape problems are invalid names; a transform's name is a reserved one, reported as such. */
const measureName: Decoder<string> = (node, ctx, path) => {
  const value = named((n) => identifierProblem(n, 'Measure name'))(node, ctx, path);
  if (value !== undefined && identifierProblem(value, 'Measure name') === undefined) {
    const reserved = measureNameProblem(value);
    if (reserved) ctx.sink.error(DiagnosticCode.ReservedName, spanOfNode(node), reserved);
  }
  return value;
};

export const MODEL_FIELDS = new Set([
  'version',
  'name',
  'sql_table',
  'sql',
  'source_queries',
  'query_variables',
  'backing_query_sql',
  'data_source',
  'columns',
  'measures',
  'aggregations',
  'joins',
  'filters',
  'default_time_dimension',
  'description',
  'hidden',
  'meta',
]);

export const COLUMN_FIELDS = new Set([
  'name',
  'sql',
  'type',
  'primary_key',
  'description',
  'label',
  'hidden',
  'format',
  'allowed_aggregations',
  'filter',
  'meta',
  'sampled',
  'sampled_values',
  'distinct_count',
]);

export const MEASURE_FIELDS = new Set(['formula', 'name', 'label', 'description', 'type', 'meta']);
export const AGGREGATION_FIELDS = new Set(['name', 'formula', 'params', 'description', 'meta']);
export const JOIN_FIELDS = new Set(['target_model', 'join_pairs', 'join_type', 'description', 'meta']);
export const FORMAT_FIELDS = new Set(['type', 'precision', 'symbol']);

export function decodeModel(
  node: YamlNode,
  ctx: DecodeContext,
  path: Path,
  decodeQuery: QueryDecoder,
): ModelDef | undefined {
  const map = ctx.expectMap(node, path, 'a model');
  if (!map) return undefined;
  const f = ctx.fields(map, path, MODEL_FIELDS, { what: 'model', unknown: 'warn' });
  return {
    version: f.optional('version', int) ?? 7,
    name:
      f.required(
        'name',
        named((n) => modelNameProblem(n)),
      ) ?? '',
    sql_table: f.optional('sql_table', str),
    sql: f.optional('sql', str),
    source_queries: f.optional('source_queries', listOf(decodeQuery, 'source_queries')),
    query_variables: f.optional('query_variables', record) ?? {},
    backing_query_sql: f.optional('backing_query_sql', str),
    data_source: f.optional('data_source', named(dataSourceFieldProblem)) ?? '',
    columns: f.optional('columns', listOf(decodeColumn, 'columns')) ?? [],
    measures: f.optional('measures', listOf(decodeMeasure, 'measures')) ?? [],
    aggregations: f.optional('aggregations', listOf(decodeAggregation, 'aggregations')) ?? [],
    joins: f.optional('joins', listOf(decodeJoin, 'joins')) ?? [],
    filters: f.optional('filters', listOf(str, 'filters')) ?? [],
    default_time_dimension: f.optional('default_time_dimension', str),
    description: f.optional('description', str),
    hidden: f.optional('hidden', bool) ?? false,
    meta: f.optional('meta', record),
  };
}

function dataSourceFieldProblem(name: string): string | undefined {
  // An empty data_source is allowed on query-backed models; the cache fills it.
  return name === '' ? undefined : dataSourceNameProblem(name, "Model 'data_source'");
}

/** SLayer still reads old lower-case type names; pseudo-types like `sum` are dropped and TEXT applies. */
export const dataType: Decoder<DataType | null> = (node, ctx, path) => {
  const text = str(node, ctx, path);
  if (text === undefined) return undefined;
  if ((DATA_TYPES as readonly string[]).includes(text)) return text as DataType;
  if (Object.hasOwn(LEGACY_TYPE_ALIASES, text)) {
    const mapped = LEGACY_TYPE_ALIASES[text] ?? null;
    const meaning = mapped ? `means ${mapped}` : 'is ignored and the default applies';
    ctx.sink.info(
      DiagnosticCode.LegacyType,
      spanOfNode(node),
      `Legacy type '${text}' ${meaning}; SLayer rewrites it on save.${mapped ? ` Write '${mapped}'.` : ''}`,
      mapped ? { wrong: text, replacements: [mapped] } : undefined,
    );
    return mapped;
  }
  return enumOf(DATA_TYPES)(node, ctx, path) ?? null;
};

export const decodeColumn: Decoder<ColumnDef> = (node, ctx, path) => {
  const map = ctx.expectMap(node, path, 'a column');
  if (!map) return undefined;
  const f = ctx.fields(map, path, COLUMN_FIELDS, { what: 'column', unknown: 'warn' });
  return {
    name: f.required('name', named(columnNameProblem)) ?? '',
    sql: f.optional('sql', str),
    type: f.optional('type', dataType) ?? 'TEXT',
    primary_key: f.optional('primary_key', bool) ?? false,
    description: f.optional('description', str),
    label: f.optional('label', str),
    hidden: f.optional('hidden', bool) ?? false,
    format: f.optional('format', decodeFormat),
    allowed_aggregations: f.optional('allowed_aggregations', listOf(aggregationNameRef, 'allowed_aggregations')),
    filter: f.optional('filter', str),
    meta: f.optional('meta', record),
    sampled: f.optional('sampled', str),
    sampled_values: f.optional('sampled_values', listOf(str, 'sampled_values')),
    distinct_count: f.optional('distinct_count', int),
  };
};

const aggregationNameRef: Decoder<string> = (node, ctx, path) => {
  const value = str(node, ctx, path);
  return value === undefined ? undefined : normalizeAggregationName(value);
};

const decodeFormat: Decoder<NumberFormat> = (node, ctx, path) => {
  const map = ctx.expectMap(node, path, 'a number format');
  if (!map) return undefined;
  const f = ctx.fields(map, path, FORMAT_FIELDS, { what: 'format', unknown: 'warn' });
  const type = f.optional('type', enumOf(['percent', 'currency', 'integer', 'float'] as const)) ?? 'float';
  const precision = f.optional('precision', int);
  const symbol = f.optional('symbol', str);
  if (precision !== undefined && precision < 0) {
    ctx.sink.error(
      DiagnosticCode.InvalidValue,
      ctx.sources.best([...path, 'precision']),
      'format.precision must be 0 or more.',
    );
  }
  if (symbol !== undefined && type !== 'currency') {
    ctx.sink.error(
      DiagnosticCode.InvalidValue,
      ctx.sources.best([...path, 'symbol']),
      `format.symbol is only allowed when type is currency (type is ${type}).`,
    );
  }
  const format: NumberFormat = { type };
  if (precision !== undefined) format.precision = precision;
  if (symbol !== undefined || type === 'currency') format.symbol = symbol ?? '$';
  return format;
};

/** Query measures may be plain formula strings; model measures are mappings. Both decode to MeasureDef. */
export const decodeMeasure: Decoder<MeasureDef> = (node, ctx, path) => {
  if (isScalar(node) && typeof node.value === 'string') {
    ctx.record([...path, 'formula'], node);
    return { formula: node.value };
  }
  const map = ctx.expectMap(node, path, 'a measure');
  if (!map) return undefined;
  const f = ctx.fields(map, path, MEASURE_FIELDS, { what: 'measure', unknown: 'warn' });
  return {
    formula: f.required('formula', str) ?? '',
    name: f.optional('name', measureName),
    label: f.optional('label', str),
    description: f.optional('description', str),
    type: f.optional('type', dataType) ?? undefined,
    meta: f.optional('meta', record),
  };
};

export const AGGREGATION_PARAM_FIELDS = new Set(['name', 'sql']);

const decodeAggregationParam: Decoder<AggregationParamDef> = (node, ctx, path) => {
  const map = ctx.expectMap(node, path, 'an aggregation parameter');
  if (!map) return undefined;
  const f = ctx.fields(map, path, AGGREGATION_PARAM_FIELDS, { what: 'aggregation parameter', unknown: 'warn' });
  return {
    name:
      f.required(
        'name',
        named((n) => identifierProblem(n, 'Parameter name')),
      ) ?? '',
    sql: f.required('sql', str) ?? '',
  };
};

export const decodeAggregation: Decoder<AggregationDef> = (node, ctx, path) => {
  const map = ctx.expectMap(node, path, 'an aggregation');
  if (!map) return undefined;
  const f = ctx.fields(map, path, AGGREGATION_FIELDS, { what: 'aggregation', unknown: 'warn' });
  return {
    name: f.required('name', named(aggregationNameProblem)) ?? '',
    formula: f.optional('formula', str),
    params: f.optional('params', listOf(decodeAggregationParam, 'params')) ?? [],
    description: f.optional('description', str),
    meta: f.optional('meta', record),
  };
};

const joinPair: Decoder<[string, string]> = (node, ctx, path) => {
  const pair = listOf(str, 'a join pair')(node, ctx, path);
  if (!pair) return undefined;
  const [source, target] = pair;
  if (pair.length !== 2 || !source || !target) {
    ctx.sink.error(
      DiagnosticCode.InvalidValue,
      spanOfNode(node),
      `${label(path)} must be [source_column, target_column] with two non-empty names.`,
    );
    return undefined;
  }
  return [source, target];
};

export const decodeJoin: Decoder<JoinDef> = (node, ctx, path) => {
  const map = ctx.expectMap(node, path, 'a join');
  if (!map) return undefined;
  const f = ctx.fields(map, path, JOIN_FIELDS, { what: 'join', unknown: 'warn' });
  const pairs = f.required('join_pairs', listOf(joinPair, 'join_pairs'));
  if (pairs && pairs.length === 0) {
    ctx.sink.error(
      DiagnosticCode.InvalidValue,
      ctx.sources.best([...path, 'join_pairs']),
      'join_pairs must not be empty.',
    );
  }
  return {
    target_model: f.required('target_model', str) ?? '',
    join_pairs: pairs ?? [],
    join_type: f.optional('join_type', enumOf(['left', 'inner'] as const, { caseInsensitive: true })) ?? 'left',
    description: f.optional('description', str),
    meta: f.optional('meta', record),
  };
};
