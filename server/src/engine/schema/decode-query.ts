import { type Node as YamlNode } from 'yaml';
import { isMap, isScalar } from './yaml-kinds';
import { DiagnosticCode } from '../../../../shared/src/diagnostics';
import {
  bool,
  enumOf,
  int,
  label,
  listOf,
  nonNegativeInt,
  record,
  str,
  type DecodeContext,
  type Decoder,
  type Path,
} from './decode';
import { decodeColumn, decodeJoin, decodeMeasure, decodeModel, named } from './decode-model';
import { identifierProblem, isIdentifier, modelNameProblem } from './names';
import {
  TIME_GRANULARITIES,
  type ColumnRefDef,
  type ModelExtensionDef,
  type OrderItemDef,
  type QueryDef,
  type SourceModelDef,
  type TimeDimensionDef,
} from './types';
import { spanOfNode } from './yaml-source';

export const QUERY_FIELDS = new Set([
  'version',
  'name',
  'source_model',
  'measures',
  'dimensions',
  'time_dimensions',
  'main_time_dimension',
  'filters',
  'variables',
  'order',
  'limit',
  'offset',
  'whole_periods_only',
  'distinct_dimension_values',
]);

export const EXTENSION_FIELDS = new Set(['source_name', 'columns', 'measures', 'joins']);
export const COLUMN_REF_FIELDS = new Set(['name', 'model', 'label']);
export const TIME_DIMENSION_FIELDS = new Set(['dimension', 'granularity', 'date_range', 'label']);
export const ORDER_FIELDS = new Set(['column', 'direction']);
const DIRECTIONS: Readonly<Record<string, 'asc' | 'desc'>> = {
  asc: 'asc',
  ascending: 'asc',
  desc: 'desc',
  descending: 'desc',
};

/** SlayerQuery forbids unknown fields, unlike models: a typo in a query must not silently change its meaning. */
export const decodeQuery: Decoder<QueryDef> = (node, ctx, path) => {
  const map = ctx.expectMap(node, path, 'a query');
  if (!map) return undefined;
  const f = ctx.fields(map, path, QUERY_FIELDS, { what: 'query', unknown: 'error' });
  const query: QueryDef = {
    version: f.optional('version', int) ?? 3,
    name: f.optional(
      'name',
      named((n) => modelNameProblem(n, 'Query name')),
    ),
    source_model: f.required('source_model', decodeSourceModel) ?? { kind: 'name', name: '' },
    measures: f.optional('measures', listOf(decodeMeasure, 'measures')),
    dimensions: f.optional('dimensions', listOf(decodeColumnRef, 'dimensions')),
    time_dimensions: f.optional('time_dimensions', listOf(decodeTimeDimension, 'time_dimensions')),
    main_time_dimension: f.optional('main_time_dimension', str),
    filters: f.optional('filters', listOf(str, 'filters')),
    variables: f.optional('variables', record),
    order: f.optional('order', decodeOrder),
    limit: f.optional('limit', nonNegativeInt),
    offset: f.optional('offset', nonNegativeInt),
    whole_periods_only: f.optional('whole_periods_only', bool) ?? false,
    distinct_dimension_values: f.optional('distinct_dimension_values', bool) ?? true,
  };
  checkRawRowsShape(query, ctx, path);
  return query;
};

/** SLayer's DistinctDimensionValuesError words, with its `=False` written as the query file writes it. */
export function rawRowsWithMeasures(count: number): string {
  return (
    `distinct_dimension_values: false requires an empty \`measures\` field, but ${count} measure(s) were supplied. ` +
    'Either remove the measures or set distinct_dimension_values: true (the default) to keep the auto-aggregating behaviour.'
  );
}

export const RAW_ROWS_WITHOUT_COLUMNS =
  'distinct_dimension_values: false requires at least one of `dimensions` or `time_dimensions` to be non-empty — ' +
  'there are no columns to SELECT. Add the columns you want to project.';

function checkRawRowsShape(query: QueryDef, ctx: DecodeContext, path: Path): void {
  if (query.distinct_dimension_values) return;
  const span = ctx.sources.best([...path, 'distinct_dimension_values']);
  if (query.measures && query.measures.length > 0) {
    ctx.sink.error(DiagnosticCode.InvalidValue, span, rawRowsWithMeasures(query.measures.length));
  }
  if (!query.dimensions?.length && !query.time_dimensions?.length) {
    ctx.sink.error(DiagnosticCode.InvalidValue, span, RAW_ROWS_WITHOUT_COLUMNS);
  }
}

/** A query's source is a model name, a ModelExtension ({source_name, ...}) or an inline model. */
const decodeSourceModel: Decoder<SourceModelDef> = (node, ctx, path) => {
  if (isScalar(node)) {
    const name = str(node, ctx, path);
    return name === undefined ? undefined : { kind: 'name', name };
  }
  if (!isMap(node)) {
    ctx.wrongType(node, path, 'a model name, a model extension or an inline model');
    return undefined;
  }
  if (node.has('source_name')) {
    const extension = decodeExtension(node, ctx, path);
    return extension ? { kind: 'extension', extension } : undefined;
  }
  const model = decodeModel(node, ctx, path, decodeQuery);
  return model ? { kind: 'inline', model } : undefined;
};

function decodeExtension(node: YamlNode, ctx: DecodeContext, path: Path): ModelExtensionDef | undefined {
  const map = ctx.expectMap(node, path, 'a model extension');
  if (!map) return undefined;
  const f = ctx.fields(map, path, EXTENSION_FIELDS, { what: 'model extension', unknown: 'error' });
  return {
    source_name: f.required('source_name', str) ?? '',
    columns: f.optional('columns', listOf(decodeColumn, 'columns')),
    measures: f.optional('measures', listOf(decodeMeasure, 'measures')),
    joins: f.optional('joins', listOf(decodeJoin, 'joins')),
  };
}

/** "customers.regions.name" splits into model path "customers.regions" and leaf "name", as SLayer's ColumnRef does. */
export function splitColumnRef(text: string): ColumnRefDef {
  const dot = text.lastIndexOf('.');
  return dot < 0 ? { name: text } : { model: text.slice(0, dot), name: text.slice(dot + 1) };
}

function columnRefProblem(ref: ColumnRefDef): string | undefined {
  const leaf = identifierProblem(ref.name, 'Column reference');
  if (leaf) return leaf;
  for (const part of ref.model?.split('.') ?? []) {
    if (!isIdentifier(part)) {
      return `Invalid model path '${ref.model ?? ''}': each part must contain only letters, digits, and underscores (and start with a letter or underscore); '${part}' does not.`;
    }
  }
  return undefined;
}

export const decodeColumnRef: Decoder<ColumnRefDef> = (node, ctx, path) => {
  let ref: ColumnRefDef | undefined;
  if (isScalar(node)) {
    const text = str(node, ctx, path);
    ref = text === undefined ? undefined : splitColumnRef(text);
  } else {
    const map = ctx.expectMap(node, path, 'a column reference');
    if (!map) return undefined;
    const f = ctx.fields(map, path, COLUMN_REF_FIELDS, { what: 'column reference', unknown: 'error' });
    const name = f.required('name', str);
    const model = f.optional('model', str);
    const refLabel = f.optional('label', str);
    if (name === undefined) return undefined;
    ref = model === undefined ? splitColumnRef(name) : { name, model };
    if (refLabel !== undefined) ref.label = refLabel;
  }
  if (!ref) return undefined;
  const problem = columnRefProblem(ref);
  if (problem) ctx.sink.error(DiagnosticCode.InvalidName, spanOfNode(node), problem);
  return ref;
};

const decodeTimeDimension: Decoder<TimeDimensionDef> = (node, ctx, path) => {
  const map = ctx.expectMap(node, path, 'a time dimension');
  if (!map) return undefined;
  const f = ctx.fields(map, path, TIME_DIMENSION_FIELDS, { what: 'time dimension', unknown: 'error' });
  const dimension = f.required('dimension', decodeColumnRef);
  const granularity = f.required('granularity', enumOf(TIME_GRANULARITIES));
  const dateRange = f.optional('date_range', listOf(str, 'date_range'));
  if (dateRange && dateRange.length !== 2) {
    ctx.sink.error(
      DiagnosticCode.InvalidValue,
      ctx.sources.best([...path, 'date_range']),
      `${label([...path, 'date_range'])} must be [start, end].`,
    );
  }
  if (!dimension || !granularity) return undefined;
  const result: TimeDimensionDef = { dimension, granularity };
  if (dateRange) result.date_range = dateRange;
  const tdLabel = f.optional('label', str);
  if (tdLabel !== undefined) result.label = tdLabel;
  return result;
};

/** Accepts the canonical list, a bare item, and the `{column: direction}` shorthand SLayer heals. */
const decodeOrder: Decoder<OrderItemDef[]> = (node, ctx, path) => {
  if (isMap(node)) return decodeOrderEntry(node, ctx, [...path, 0]);
  const seq = ctx.expectSeq(node, path, 'order');
  if (!seq) return undefined;
  const items: OrderItemDef[] = [];
  seq.items.forEach((child, i) => {
    const resolved = ctx.resolve(child);
    if (!resolved) return;
    ctx.record([...path, i], resolved);
    items.push(...(decodeOrderEntry(resolved, ctx, [...path, i]) ?? []));
  });
  return items;
};

function decodeOrderEntry(node: YamlNode, ctx: DecodeContext, path: Path): OrderItemDef[] | undefined {
  if (isScalar(node)) {
    const column = str(node, ctx, path);
    return column === undefined ? undefined : [{ column, direction: 'asc' }];
  }
  const map = ctx.expectMap(node, path, 'an order item');
  if (!map) return undefined;
  if (!map.has('column') && !map.has('direction')) return decodeOrderShorthand(node, ctx, path);
  const f = ctx.fields(map, path, ORDER_FIELDS, { what: 'order item', unknown: 'error' });
  const column = f.required('column', str);
  const direction = f.optional('direction', directionDecoder) ?? 'asc';
  return column === undefined ? undefined : [{ column, direction }];
}

function decodeOrderShorthand(node: YamlNode, ctx: DecodeContext, path: Path): OrderItemDef[] | undefined {
  const value = record(node, ctx, path) ?? {};
  const items: OrderItemDef[] = [];
  for (const [column, direction] of Object.entries(value)) {
    const normalized = typeof direction === 'string' ? DIRECTIONS[direction.trim().toLowerCase()] : undefined;
    if (!normalized) {
      ctx.sink.error(
        DiagnosticCode.InvalidValue,
        spanOfNode(node),
        `${label(path)}: expected {column, direction} or {<column>: asc|desc}.`,
      );
      return undefined;
    }
    items.push({ column, direction: normalized });
  }
  return items;
}

const directionDecoder: Decoder<'asc' | 'desc'> = (node, ctx, path) => {
  const text = str(node, ctx, path);
  if (text === undefined) return undefined;
  const direction = DIRECTIONS[text.trim().toLowerCase()];
  if (!direction) {
    ctx.sink.error(
      DiagnosticCode.InvalidValue,
      spanOfNode(node),
      `order direction must be one of asc/desc/ascending/descending (case-insensitive), got '${text}'.`,
    );
  }
  return direction;
};

/** A query file holds one query or a list of stages; the last stage is the root. */
export const decodeQueryFile: Decoder<QueryDef[]> = (node, ctx, path) => {
  if (isMap(node)) {
    const query = decodeQuery(node, ctx, path);
    return query ? [query] : [];
  }
  return listOf(decodeQuery, 'a query or a list of query stages')(node, ctx, path);
};
