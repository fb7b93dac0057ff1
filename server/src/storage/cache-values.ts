/**
 * What the cache fields mean, independent of how a backend stores them: the
 * plain (JSON/YAML) shape of a model as SLayer persists it, how a set of
 * `CacheUpdates` applies to that shape, and when two caches are "equal" (so a
 * refresh that would change nothing writes nothing). The YAML patch and the
 * SQLite patch share these rules, so both backends agree on every field.
 */
import { isDeepStrictEqual } from 'node:util';
import type {
  AggregationDef,
  ColumnDef,
  ColumnRefDef,
  JoinDef,
  MeasureDef,
  ModelDef,
  QueryDef,
  SourceModelDef,
} from '../engine/schema/types';
import type { CacheUpdates, ColumnSample } from './types';

export type Plain = Record<string, unknown>;

export const SAMPLE_KEYS = ['sampled', 'sampled_values', 'distinct_count'] as const;

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Builds an object in the given key order, leaving out undefined values. */
function ordered(entries: readonly [string, unknown][]): Plain {
  const out: Plain = {};
  for (const [key, value] of entries) if (value !== undefined) out[key] = value;
  return out;
}

const nonEmpty = <T>(list: readonly T[] | undefined): readonly T[] | undefined =>
  list && list.length > 0 ? list : undefined;

const nonEmptyRecord = (record: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
  record && Object.keys(record).length > 0 ? record : undefined;

/** A column as SLayer's Column dumps it (field order of its pydantic model); default flags are left out. */
export function columnToPlain(column: ColumnDef): Plain {
  return ordered([
    ['name', column.name],
    ['sql', column.sql],
    ['type', column.type],
    ['primary_key', column.primary_key ? true : undefined],
    ['description', column.description],
    ['label', column.label],
    ['hidden', column.hidden ? true : undefined],
    ['format', column.format ? { ...column.format } : undefined],
    ['allowed_aggregations', column.allowed_aggregations ? [...column.allowed_aggregations] : undefined],
    ['filter', column.filter],
    ['meta', column.meta],
    ['sampled', column.sampled],
    ['sampled_values', column.sampled_values ? [...column.sampled_values] : undefined],
    ['distinct_count', column.distinct_count],
  ]);
}

function measureToPlain(measure: MeasureDef): Plain {
  return ordered([
    ['formula', measure.formula],
    ['name', measure.name],
    ['label', measure.label],
    ['description', measure.description],
    ['type', measure.type],
    ['meta', measure.meta],
  ]);
}

/** A query measure with nothing but a formula is written as the bare formula, as SLayer accepts. */
function queryMeasureToPlain(measure: MeasureDef): unknown {
  const plain = measureToPlain(measure);
  return Object.keys(plain).length === 1 ? measure.formula : plain;
}

function aggregationToPlain(aggregation: AggregationDef): Plain {
  return ordered([
    ['name', aggregation.name],
    ['formula', aggregation.formula],
    ['params', nonEmpty(aggregation.params)?.map((p) => ({ name: p.name, sql: p.sql }))],
    ['description', aggregation.description],
    ['meta', aggregation.meta],
  ]);
}

function joinToPlain(join: JoinDef): Plain {
  return ordered([
    ['target_model', join.target_model],
    ['join_pairs', join.join_pairs.map((pair) => [...pair])],
    ['join_type', join.join_type],
    ['description', join.description],
    ['meta', join.meta],
  ]);
}

/** `customers.name` when it has no label, as users write it; SLayer reads both forms. */
function columnRefToPlain(ref: ColumnRefDef): unknown {
  const dotted = ref.model ? `${ref.model}.${ref.name}` : ref.name;
  return ref.label === undefined
    ? dotted
    : ordered([
        ['name', dotted],
        ['label', ref.label],
      ]);
}

function sourceModelToPlain(source: SourceModelDef): unknown {
  if (source.kind === 'name') return source.name;
  if (source.kind === 'inline') return modelToPlain(source.model);
  const { extension } = source;
  return ordered([
    ['source_name', extension.source_name],
    ['columns', extension.columns?.map(columnToPlain)],
    ['measures', extension.measures?.map(measureToPlain)],
    ['joins', extension.joins?.map(joinToPlain)],
  ]);
}

/** A SlayerQuery stage in SLayer's field order; defaults are left out. */
export function queryToPlain(query: QueryDef): Plain {
  return ordered([
    ['name', query.name],
    ['source_model', sourceModelToPlain(query.source_model)],
    ['measures', query.measures?.map(queryMeasureToPlain)],
    ['dimensions', query.dimensions?.map(columnRefToPlain)],
    [
      'time_dimensions',
      query.time_dimensions?.map((td) =>
        ordered([
          ['dimension', columnRefToPlain(td.dimension)],
          ['granularity', td.granularity],
          ['date_range', td.date_range ? [...td.date_range] : undefined],
          ['label', td.label],
        ]),
      ),
    ],
    ['main_time_dimension', query.main_time_dimension],
    ['filters', query.filters ? [...query.filters] : undefined],
    ['variables', query.variables],
    ['order', query.order?.map((item) => ({ column: item.column, direction: item.direction }))],
    ['limit', query.limit],
    ['offset', query.offset],
    ['whole_periods_only', query.whole_periods_only ? true : undefined],
    ['distinct_dimension_values', query.distinct_dimension_values ? undefined : false],
  ]);
}

/**
 * A model as SLayer persists it: the field order of SLayer's SlayerModel
 * (what its `model_dump` writes, so files saved by either tool diff cleanly),
 * without empty lists, empty mappings and default flags.
 */
export function modelToPlain(model: ModelDef): Plain {
  return ordered([
    ['version', model.version],
    ['name', model.name],
    ['sql_table', model.sql_table],
    ['sql', model.sql],
    ['source_queries', model.source_queries?.map(queryToPlain)],
    ['query_variables', nonEmptyRecord(model.query_variables)],
    ['backing_query_sql', model.backing_query_sql],
    ['data_source', model.data_source === '' ? undefined : model.data_source],
    ['columns', nonEmpty(model.columns)?.map(columnToPlain)],
    ['measures', nonEmpty(model.measures)?.map(measureToPlain)],
    ['aggregations', nonEmpty(model.aggregations)?.map(aggregationToPlain)],
    ['joins', nonEmpty(model.joins)?.map(joinToPlain)],
    ['filters', nonEmpty(model.filters) ? [...model.filters] : undefined],
    ['default_time_dimension', model.default_time_dimension],
    ['description', model.description],
    ['hidden', model.hidden ? true : undefined],
    ['meta', model.meta],
  ]);
}

// ---------------------------------------------------------------------------
// Equality: null and absent mean the same, default flags mean the same
// ---------------------------------------------------------------------------

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isPlainObject(value)) return value;
  const out: Plain = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner !== null && inner !== undefined) out[key] = withoutNulls(inner);
  }
  return out;
}

/** A column in the form used for comparison: no nulls, no `primary_key: false` / `hidden: false`. */
export function canonicalColumn(column: unknown): unknown {
  const clean = withoutNulls(column);
  if (!isPlainObject(clean)) return clean;
  if (clean.primary_key === false) delete clean.primary_key;
  if (clean.hidden === false) delete clean.hidden;
  return clean;
}

export function sameColumns(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((column, i) => isDeepStrictEqual(canonicalColumn(column), canonicalColumn(b[i])));
}

function withoutSamples(column: unknown): unknown {
  const clean = canonicalColumn(column);
  if (!isPlainObject(clean)) return clean;
  for (const key of SAMPLE_KEYS) delete clean[key];
  return clean;
}

/** A sample field's stored value equals the update: absent counts as null. */
export function sampleFieldEqual(stored: unknown, next: unknown): boolean {
  return isDeepStrictEqual(stored ?? null, next ?? null);
}

// ---------------------------------------------------------------------------
// Applying updates to the plain shape
// ---------------------------------------------------------------------------

function applySample(column: Plain, sample: ColumnSample): Plain {
  const out = { ...column };
  for (const key of SAMPLE_KEYS) {
    const value = sample[key];
    // null removes nothing: an existing key becomes null, a missing one stays missing.
    if (value === null && !(key in out)) continue;
    out[key] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

/** The first column item named `name`, as the YAML patch also picks. */
export function firstColumnIndex(columns: readonly unknown[], name: string): number {
  return columns.findIndex((column) => isPlainObject(column) && column.name === name);
}

function applySamples(columns: unknown, samples: Record<string, ColumnSample>): unknown {
  if (!Array.isArray(columns)) return columns;
  const out: unknown[] = [...(columns as unknown[])];
  for (const [name, sample] of Object.entries(samples)) {
    const index = firstColumnIndex(out, name);
    const column = out[index];
    if (index >= 0 && isPlainObject(column)) out[index] = applySample(column, sample);
  }
  return out;
}

/**
 * The new engine-managed `columns` list. A column whose definition did not
 * change keeps its profiling snapshot (a refresh of the list must not throw
 * away what inspect sampled); explicit `column_samples` win over both.
 */
export function mergeColumns(
  existing: unknown,
  next: readonly ColumnDef[],
  samples: Record<string, ColumnSample> | undefined,
): Plain[] {
  const previous = Array.isArray(existing) ? (existing as unknown[]).filter(isPlainObject) : [];
  return next.map((column) => {
    const plain = columnToPlain(column);
    const prior = previous.find((candidate) => candidate.name === column.name);
    const ownSamples = SAMPLE_KEYS.some((key) => column[key] !== undefined);
    if (prior && !ownSamples && isDeepStrictEqual(withoutSamples(prior), withoutSamples(plain))) {
      for (const key of SAMPLE_KEYS) if (prior[key] !== undefined && prior[key] !== null) plain[key] = prior[key];
    }
    const sample = samples?.[column.name];
    if (sample) {
      for (const key of SAMPLE_KEYS) {
        if (sample[key] === null) delete plain[key];
        else plain[key] = sample[key];
      }
    }
    return plain;
  });
}

/** The model with the updates applied; new keys go last, as the YAML patch appends them. */
export function applyCacheUpdates(model: Plain, updates: CacheUpdates): Plain {
  const out: Plain = { ...model };
  if (updates.columns) out.columns = mergeColumns(model.columns, updates.columns, updates.column_samples);
  else if (updates.column_samples) out.columns = applySamples(model.columns, updates.column_samples);
  if (updates.backing_query_sql !== undefined) out.backing_query_sql = updates.backing_query_sql;
  if (updates.data_source !== undefined) out.data_source = updates.data_source;
  return out;
}

/** The form two models are compared in after a patch: the touched cache fields canonical, everything else as is. */
export function comparableForCache(model: Plain, updates: CacheUpdates): Plain {
  const out: Plain = { ...model };
  if (!Array.isArray(out.columns)) return out;
  const columns = out.columns as unknown[];
  if (updates.columns) {
    out.columns = columns.map(canonicalColumn);
  } else if (updates.column_samples) {
    const named = new Set(Object.keys(updates.column_samples));
    out.columns = columns.map((column) => {
      if (!isPlainObject(column) || typeof column.name !== 'string' || !named.has(column.name)) return column;
      const copy = { ...column };
      for (const key of SAMPLE_KEYS) if (copy[key] === null) delete copy[key];
      return copy;
    });
  }
  return out;
}

/** True when applying the updates would change what the cache holds. */
export function cacheWouldChange(model: Plain, updates: CacheUpdates): boolean {
  return !isDeepStrictEqual(
    comparableForCache(model, updates),
    comparableForCache(applyCacheUpdates(model, updates), updates),
  );
}
