import { sqliteAggregateCall } from '../drivers/sqlite-functions';
import { mysqlDialect } from './mysql-dialect';
import type { TimeGranularity } from '../schema/types';
import {
  call,
  castFor,
  commonSpelling,
  doubleQuote,
  granuleUnits,
  inDays,
  limitThenOffset,
  nullsLast,
  PORTABLE_FUNCTIONS,
  standardString,
  unsupportedFunction,
  type DialectName,
  type IntervalUnit,
  type SqlDialect,
} from './dialect-kit';

export type { CovarianceName, DialectName, DurationUnit, IntervalUnit, SqlDialect, StatisticName } from './dialect-kit';
export { granuleUnits } from './dialect-kit';

const QUARTER_STARTS_SQLITE = (column: string): string =>
  `STRFTIME('%Y-', ${column}) || CASE ` +
  `WHEN CAST(STRFTIME('%m', ${column}) AS INTEGER) <= 3 THEN '01-01' ` +
  `WHEN CAST(STRFTIME('%m', ${column}) AS INTEGER) <= 6 THEN '04-01' ` +
  `WHEN CAST(STRFTIME('%m', ${column}) AS INTEGER) <= 9 THEN '07-01' ` +
  `ELSE '10-01' END`;

const SUB_DAY: ReadonlySet<TimeGranularity> = new Set(['hour', 'minute', 'second']);

const sqlite: SqlDialect = {
  name: 'sqlite',
  quoteIdentifier: doubleQuote,
  castToDeclared: castFor('sqlite'),
  stringLiteral: standardString,
  orderTerm: nullsLast,
  // SQLite takes no OFFSET without a LIMIT; -1 is its "no limit".
  limitAndOffset: (limit, offset) => limitThenOffset(limit, offset, '-1'),
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
  timeLiteral: standardString,
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
    if (lower === 'ifnull' || lower === 'instr' || lower === 'log2' || lower === 'mod' || lower === 'trunc') {
      return call(lower, args);
    }
    const common = commonSpelling(lower, args);
    if (common !== undefined) return common;
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
  if (lower === 'log2') return dialect === 'duckdb' ? call('log2', args) : call('log', ['2', ...args]);
  const common = commonSpelling(lower, args);
  if (common !== undefined) return common;
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
    stringLiteral: standardString,
    orderTerm: nullsLast,
    limitAndOffset: (limit, offset) => limitThenOffset(limit, offset),
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
    timeLiteral: (text) => `CAST(${standardString(text)} AS TIMESTAMP)`,
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
  mysql: mysqlDialect,
};

export function dialectFor(name: DialectName): SqlDialect {
  return DIALECTS[name];
}
