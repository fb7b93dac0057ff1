import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { sqliteAggregateCall } from '../drivers/sqlite-functions';
import type { DataType, TimeGranularity } from '../schema/types';

export type DialectName = 'sqlite' | 'duckdb' | 'postgres';

/**
 * Everything that differs between the databases we generate SQL for. The
 * planner speaks in these calls only, so adding a dialect never touches it.
 */
export interface SqlDialect {
  readonly name: DialectName;
  quoteIdentifier(name: string): string;
  /** Truncates a time expression to the start of its bucket; SLayer's week starts on Monday. */
  dateTrunc(expr: string, granularity: TimeGranularity): string;
  /** Shifts a time expression by whole units (negative goes back). */
  addUnits(expr: string, amount: number, unit: IntervalUnit): string;
  /** Shifts a bucket start by whole granules, keeping the bucket's own text form (for self-joins). */
  shiftBucket(expr: string, amount: number, granularity: TimeGranularity): string;
  /** `expr` minus a compact duration (`1y2m`), for trailing windows. */
  subtractDuration(expr: string, parts: readonly { amount: number; unit: DurationUnit }[]): string;
  /** A literal usable where a time column is compared. */
  timeLiteral(text: string): string;
  median(value: string): string;
  percentile(value: string, p: string): string;
  /** stddev_samp, var_pop, ...: SLayer's Postgres semantics for N <= 1 everywhere. */
  statistic(name: StatisticName, value: string): string;
  covariance(name: CovarianceName, value: string, other: string): string;
  countDistinctApprox(value: string): string;
  /** A scalar function from SLayer's allowlist, in this dialect's spelling. */
  scalarCall(name: string, args: string[]): string;
  /**
   * SLayer's DEV-1361: a derived column's expression cast to its declared
   * type, in this dialect's type name; undefined where no cast applies.
   */
  castToDeclared(expr: string, type: DataType): string | undefined;
}

/** Declared types as each dialect names them in CAST (TEXT is never cast: SLayer leaves it alone). */
const CAST_TYPES: Record<DialectName, Partial<Record<DataType, string>>> = {
  // SQLite has no date type: CAST(x AS DATE) would keep only the leading number (the year). Dates stay text.
  sqlite: { INT: 'INTEGER', DOUBLE: 'REAL', BOOLEAN: 'INTEGER' },
  duckdb: { INT: 'INT', DOUBLE: 'DOUBLE', BOOLEAN: 'BOOLEAN', DATE: 'DATE', TIMESTAMP: 'TIMESTAMP' },
  postgres: { INT: 'INT', DOUBLE: 'DOUBLE PRECISION', BOOLEAN: 'BOOLEAN', DATE: 'DATE', TIMESTAMP: 'TIMESTAMP' },
};

function castFor(name: DialectName): SqlDialect['castToDeclared'] {
  return (expr, type) => {
    const target = CAST_TYPES[name][type];
    return target === undefined ? undefined : `CAST(${expr} AS ${target})`;
  };
}

export type IntervalUnit = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second';
export type DurationUnit = IntervalUnit | 'week';

/** Weeks as days: SQLite has no week modifier, and one spelling keeps the dialects alike. */
function inDays(part: { amount: number; unit: DurationUnit }): { amount: number; unit: IntervalUnit } {
  return part.unit === 'week' ? { amount: part.amount * 7, unit: 'day' } : { amount: part.amount, unit: part.unit };
}
export type StatisticName = 'stddev_samp' | 'stddev_pop' | 'var_samp' | 'var_pop';
export type CovarianceName = 'corr' | 'covar_samp' | 'covar_pop';

const QUARTER_STARTS_SQLITE = (column: string): string =>
  `STRFTIME('%Y-', ${column}) || CASE ` +
  `WHEN CAST(STRFTIME('%m', ${column}) AS INTEGER) <= 3 THEN '01-01' ` +
  `WHEN CAST(STRFTIME('%m', ${column}) AS INTEGER) <= 6 THEN '04-01' ` +
  `WHEN CAST(STRFTIME('%m', ${column}) AS INTEGER) <= 9 THEN '07-01' ` +
  `ELSE '10-01' END`;

function doubleQuote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Functions whose name and arguments are the same on every dialect we support. */
const PORTABLE_FUNCTIONS = new Set([
  'coalesce',
  'nullif',
  'round',
  'abs',
  'lower',
  'upper',
  'trim',
  'ltrim',
  'rtrim',
  'replace',
  'substr',
  'length',
  'sqrt',
  'exp',
  'ln',
  'log10',
  'sign',
  'power',
  'ceil',
  'floor',
]);

function unsupportedFunction(dialect: DialectName, name: string): SlayerError {
  return new SlayerError(ErrorCode.Unsupported, `Function '${name}' is not available on ${dialect}.`);
}

function call(name: string, args: string[]): string {
  return `${name.toUpperCase()}(${args.join(', ')})`;
}

/** A granularity as whole units of a calendar interval; quarters are three months, weeks seven days. */
export function granuleUnits(granularity: TimeGranularity, amount: number): { amount: number; unit: IntervalUnit } {
  switch (granularity) {
    case 'quarter':
      return { amount: amount * 3, unit: 'month' };
    case 'week':
    case 'week_sunday':
      return { amount: amount * 7, unit: 'day' };
    default:
      return { amount, unit: granularity };
  }
}

const SUB_DAY: ReadonlySet<TimeGranularity> = new Set(['hour', 'minute', 'second']);

const sqlite: SqlDialect = {
  name: 'sqlite',
  quoteIdentifier: doubleQuote,
  castToDeclared: castFor('sqlite'),
  dateTrunc(expr, granularity) {
    switch (granularity) {
      case 'year':
        return `STRFTIME('%Y-01-01', ${expr})`;
      case 'quarter':
        return QUARTER_STARTS_SQLITE(expr);
      case 'month':
        return `STRFTIME('%Y-%m-01', ${expr})`;
      case 'week':
        // 'weekday 0' moves forward to Sunday (or stays), so six days back is that week's Monday.
        return `DATE(${expr}, 'weekday 0', '-6 days')`;
      case 'week_sunday':
        return `DATE(DATE(DATE(${expr}, '1 days'), 'weekday 0', '-6 days'), '-1 days')`;
      case 'day':
        return `STRFTIME('%Y-%m-%d', ${expr})`;
      case 'hour':
        return `STRFTIME('%Y-%m-%d %H:00:00', ${expr})`;
      case 'minute':
        return `STRFTIME('%Y-%m-%d %H:%M:00', ${expr})`;
      case 'second':
        return `STRFTIME('%Y-%m-%d %H:%M:%S', ${expr})`;
    }
  },
  addUnits(expr, amount, unit) {
    return `DATETIME(${expr}, '${amount >= 0 ? '+' : ''}${amount} ${unit}s')`;
  },
  shiftBucket(expr, amount, granularity) {
    const { amount: units, unit } = granuleUnits(granularity, amount);
    // Buckets of a day or more are 'YYYY-MM-DD' text; finer ones carry the time.
    const fn = SUB_DAY.has(granularity) ? 'DATETIME' : 'DATE';
    return `${fn}(${expr}, '${units >= 0 ? '+' : ''}${units} ${unit}s')`;
  },
  timeLiteral: (text) => `'${text.replace(/'/g, "''")}'`,
  subtractDuration(expr, parts) {
    const modifiers = parts.map(inDays).map((p) => `'-${p.amount} ${p.unit}s'`);
    return `DATETIME(${[expr, ...modifiers].join(', ')})`;
  },
  // SQLite has none of these; the driver registers JavaScript reducers over json_group_array.
  median: (value) => sqliteAggregateCall('median', [value]),
  percentile: (value, p) => sqliteAggregateCall('percentile_cont', [value, p]),
  statistic: (name, value) => sqliteAggregateCall(name, [value]),
  covariance: (name, value, other) => sqliteAggregateCall(name, [value, other]),
  // SQLite has no approximate distinct count; the exact one is what SLayer falls back to.
  countDistinctApprox: (value) => `COUNT(DISTINCT ${value})`,
  scalarCall(name, args) {
    const lower = name.toLowerCase();
    if (lower === 'concat') return `(${args.join(' || ')})`;
    if (lower === 'greatest') return call('max', args);
    if (lower === 'least') return call('min', args);
    if (lower === 'substring') return call('substr', args);
    if (lower === 'ceiling') return call('ceil', args);
    if (lower === 'pow') return call('power', args);
    if (lower === 'ifnull' || lower === 'instr' || lower === 'log2' || lower === 'mod' || lower === 'trunc') {
      return call(lower, args);
    }
    if (lower === 'log') return args.length === 2 ? call('log', args) : call('log10', args);
    if (PORTABLE_FUNCTIONS.has(lower)) return call(lower, args);
    throw unsupportedFunction('sqlite', name);
  },
};

function standardScalar(dialect: DialectName, name: string, args: string[]): string {
  const lower = name.toLowerCase();
  if (lower === 'greatest' || lower === 'least' || lower === 'concat' || lower === 'mod' || lower === 'trunc') {
    return call(lower, args);
  }
  if (lower === 'ifnull') return call('coalesce', args);
  if (lower === 'substring') return call('substr', args);
  if (lower === 'ceiling') return call('ceil', args);
  if (lower === 'pow') return call('power', args);
  if (lower === 'log2') return dialect === 'duckdb' ? call('log2', args) : call('log', ['2', ...args]);
  if (lower === 'log') return args.length === 2 ? call('log', args) : call('log10', args);
  if (lower === 'instr') {
    const [haystack = "''", needle = "''"] = args;
    return dialect === 'duckdb' ? call('instr', [haystack, needle]) : call('strpos', [haystack, needle]);
  }
  // Postgres has no ROUND(double precision, integer); SLayer casts the value to NUMERIC there.
  if (lower === 'round' && dialect === 'postgres' && args.length === 2) {
    return call('round', [`CAST(${args[0] ?? 'NULL'} AS NUMERIC)`, args[1] ?? '0']);
  }
  if (PORTABLE_FUNCTIONS.has(lower)) return call(lower, args);
  throw unsupportedFunction(dialect, name);
}

function intervalLiteral(amount: number, unit: IntervalUnit): string {
  return `INTERVAL '${amount} ${unit}'`;
}

/** Postgres and DuckDB share DATE_TRUNC and INTERVAL arithmetic. */
function truncatingDialect(name: 'duckdb' | 'postgres'): SqlDialect {
  const timestamp = (expr: string): string => `CAST(${expr} AS TIMESTAMP)`;
  const trunc = (unit: string, expr: string): string => `DATE_TRUNC('${unit}', ${timestamp(expr)})`;
  return {
    name,
    quoteIdentifier: doubleQuote,
    castToDeclared: castFor(name),
    dateTrunc(expr, granularity) {
      if (granularity === 'week_sunday') {
        return `(DATE_TRUNC('week', ${timestamp(expr)} + INTERVAL '1 day') - INTERVAL '1 day')`;
      }
      return trunc(granularity, expr);
    },
    addUnits(expr, amount, unit) {
      return `(${timestamp(expr)} + ${intervalLiteral(amount, unit)})`;
    },
    shiftBucket(expr, amount, granularity) {
      const { amount: units, unit } = granuleUnits(granularity, amount);
      return `(${timestamp(expr)} + ${intervalLiteral(units, unit)})`;
    },
    timeLiteral: (text) => `CAST('${text.replace(/'/g, "''")}' AS TIMESTAMP)`,
    subtractDuration(expr, parts) {
      const intervals = parts.map(inDays).map((p) => ` - ${intervalLiteral(p.amount, p.unit)}`);
      return `(${timestamp(expr)}${intervals.join('')})`;
    },
    median: (value) =>
      name === 'duckdb' ? `MEDIAN(${value})` : `PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY ${value})`,
    percentile: (value, p) =>
      name === 'duckdb' ? `QUANTILE_CONT(${value}, ${p})` : `PERCENTILE_CONT(${p}) WITHIN GROUP (ORDER BY ${value})`,
    statistic: (stat, value) => call(stat, [value]),
    covariance: (stat, value, other) => call(stat, [value, other]),
    countDistinctApprox: (value) =>
      name === 'duckdb' ? `APPROX_COUNT_DISTINCT(${value})` : `COUNT(DISTINCT ${value})`,
    scalarCall: (fn, args) => standardScalar(name, fn, args),
  };
}

const DIALECTS: Readonly<Record<DialectName, SqlDialect>> = {
  sqlite,
  duckdb: truncatingDialect('duckdb'),
  postgres: truncatingDialect('postgres'),
};

export function dialectFor(name: DialectName): SqlDialect {
  return DIALECTS[name];
}
