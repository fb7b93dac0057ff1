import type { DataType } from './schema/types';

/**
 * SLayer's fixed vocabulary: aggregations, transforms and scalar functions.
 * One place, because the validator, the formula parser, completion and the
 * SQL generator must agree on every name.
 */

export const BUILTIN_AGGREGATIONS: ReadonlySet<string> = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'count_distinct',
  'count_distinct_approx',
  'first',
  'last',
  'weighted_avg',
  'median',
  'percentile',
  'stddev_samp',
  'stddev_pop',
  'var_samp',
  'var_pop',
  'corr',
  'covar_samp',
  'covar_pop',
]);

/** Spellings SLayer accepts for built-ins; `stddev`/`variance` mean the sample forms, as in Postgres. */
export const AGGREGATION_ALIASES: Readonly<Record<string, string>> = {
  countd: 'count_distinct',
  countdistinct: 'count_distinct',
  approx_count_distinct: 'count_distinct_approx',
  countdistinctapprox: 'count_distinct_approx',
  stddev: 'stddev_samp',
  var: 'var_samp',
  variance: 'var_samp',
};

/** Lower-cases and resolves aliases, but only adopts the result when it is a built-in. */
export function normalizeAggregationName(name: string): string {
  const lowered = name.toLowerCase();
  const candidate = AGGREGATION_ALIASES[lowered] ?? lowered;
  return BUILTIN_AGGREGATIONS.has(candidate) ? candidate : name;
}

/** What each built-in aggregation computes, in a few words: completion details and hovers. */
export const AGGREGATION_DESCRIPTIONS: Readonly<Record<string, string>> = {
  sum: 'SUM: the total',
  avg: 'AVG: the mean',
  min: 'MIN: the smallest value',
  max: 'MAX: the largest value',
  count: 'COUNT: non-NULL values',
  count_distinct: 'COUNT(DISTINCT …): distinct values',
  count_distinct_approx: 'approximate distinct count',
  first: 'the value of the earliest row',
  last: 'the value of the latest row',
  weighted_avg: 'average weighted by another column',
  median: 'the median',
  percentile: 'the p-th percentile (0 to 1)',
  stddev_samp: 'sample standard deviation',
  stddev_pop: 'population standard deviation',
  var_samp: 'sample variance',
  var_pop: 'population variance',
  corr: 'correlation with another column',
  covar_samp: 'sample covariance with another column',
  covar_pop: 'population covariance with another column',
};

export const REQUIRED_AGGREGATION_PARAMS: Readonly<Record<string, readonly string[]>> = {
  weighted_avg: ['weight'],
  corr: ['other'],
  covar_samp: ['other'],
  covar_pop: ['other'],
  percentile: ['p'],
};

export const NUMERIC_ONLY_AGGREGATIONS: ReadonlySet<string> = new Set([
  'sum',
  'avg',
  'median',
  'weighted_avg',
  'percentile',
  'stddev_samp',
  'stddev_pop',
  'var_samp',
  'var_pop',
  'corr',
  'covar_samp',
  'covar_pop',
]);

const NUMERIC_AGGREGATIONS: ReadonlySet<string> = new Set(BUILTIN_AGGREGATIONS);
const COUNTING_AND_ORDERING = ['count', 'count_distinct', 'count_distinct_approx', 'first', 'last', 'min', 'max'];

export const DEFAULT_AGGREGATIONS_BY_TYPE: Readonly<Record<DataType, ReadonlySet<string>>> = {
  INT: NUMERIC_AGGREGATIONS,
  DOUBLE: NUMERIC_AGGREGATIONS,
  TEXT: new Set(COUNTING_AND_ORDERING),
  BOOLEAN: new Set([...COUNTING_AND_ORDERING, 'sum']),
  DATE: new Set(COUNTING_AND_ORDERING),
  TIMESTAMP: new Set(COUNTING_AND_ORDERING),
};

/** A primary key can be counted, never summed. */
export const PRIMARY_KEY_AGGREGATIONS: ReadonlySet<string> = new Set([
  'count',
  'count_distinct',
  'count_distinct_approx',
]);

export const TIME_TRANSFORMS: ReadonlySet<string> = new Set([
  'cumsum',
  'change',
  'change_pct',
  'time_shift',
  'first',
  'last',
  'lag',
  'lead',
  'consecutive_periods',
]);

export const RANK_TRANSFORMS: ReadonlySet<string> = new Set(['rank', 'percent_rank', 'dense_rank', 'ntile']);

export const ALL_TRANSFORMS: ReadonlySet<string> = new Set([...TIME_TRANSFORMS, ...RANK_TRANSFORMS]);

/** Scalar functions passed through to SQL, matched case-insensitively. */
export const SCALAR_FUNCTIONS: ReadonlySet<string> = new Set([
  'coalesce',
  'nullif',
  'ifnull',
  'round',
  'abs',
  'ceil',
  'ceiling',
  'floor',
  'power',
  'pow',
  'sqrt',
  'exp',
  'ln',
  'log',
  'log10',
  'log2',
  'mod',
  'sign',
  'trunc',
  'greatest',
  'least',
  'lower',
  'upper',
  'trim',
  'ltrim',
  'rtrim',
  'replace',
  'substr',
  'substring',
  'instr',
  'length',
  'concat',
]);

/** Legacy lower-case type names SLayer still reads; `null` means "dropped, the default applies". */
export const LEGACY_TYPE_ALIASES: Readonly<Record<string, DataType | null>> = {
  string: 'TEXT',
  number: 'DOUBLE',
  integer: 'INT',
  time: 'TIMESTAMP',
  date: 'DATE',
  boolean: 'BOOLEAN',
  count: null,
  count_distinct: null,
  sum: null,
  avg: null,
  min: null,
  max: null,
  last: null,
};

export const TIME_TYPES: ReadonlySet<DataType> = new Set(['DATE', 'TIMESTAMP']);
