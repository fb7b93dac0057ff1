import { sqliteAggregateCall } from '../drivers/sqlite-functions';
import { bigQueryDialect } from './bigquery-dialect';
import { clickHouseDialect } from './clickhouse-dialect';
import { mysqlDialect } from './mysql-dialect';
import { sqlServerDialect } from './sqlserver-dialect';
import {
  databricksDialect,
  duckdbDialect,
  postgresDialect,
  redshiftDialect,
  snowflakeDialect,
  trinoDialect,
} from './truncating-dialects';
import type { TimeGranularity } from '../schema/types';
import {
  call,
  castFor,
  COMMON_HOOKS,
  doubleQuote,
  granuleUnits,
  inDays,
  limitThenOffset,
  nullSkippingExtremum,
  nullsLast,
  spelledCall,
  standardString,
  type DialectName,
  type SqlDialect,
  type SqlTestedDialect,
} from './dialect-kit';

export type {
  CovarianceName,
  DialectName,
  DurationUnit,
  IntervalUnit,
  SqlDialect,
  SqlTestedDialect,
  StatisticName,
} from './dialect-kit';
export { granuleUnits } from './dialect-kit';

const QUARTER_STARTS_SQLITE = (column: string): string =>
  `STRFTIME('%Y-', ${column}) || CASE ` +
  `WHEN CAST(STRFTIME('%m', ${column}) AS INTEGER) <= 3 THEN '01-01' ` +
  `WHEN CAST(STRFTIME('%m', ${column}) AS INTEGER) <= 6 THEN '04-01' ` +
  `WHEN CAST(STRFTIME('%m', ${column}) AS INTEGER) <= 9 THEN '07-01' ` +
  `ELSE '10-01' END`;

const SUB_DAY: ReadonlySet<TimeGranularity> = new Set(['hour', 'minute', 'second']);

function sqliteScalar(name: string, args: string[]): string | undefined {
  switch (name) {
    // SLayer's concat skips NULLs, as Postgres' does; SQLite's || is NULL when either side is.
    case 'concat':
      return `(${args.map((arg) => `COALESCE(${arg}, '')`).join(' || ')})`;
    // SQLite's many-argument MAX and MIN are NULL when any argument is.
    case 'greatest':
      return nullSkippingExtremum('max', args);
    case 'least':
      return nullSkippingExtremum('min', args);
    case 'instr':
    case 'log2':
      return call(name, args);
  }
  return undefined;
}

const sqlite: SqlDialect = {
  ...COMMON_HOOKS,
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
  scalarCall: (name, args) => spelledCall('sqlite', name, args, sqliteScalar),
};

const DIALECTS: Readonly<Record<DialectName, SqlDialect>> = {
  sqlite,
  duckdb: duckdbDialect,
  postgres: postgresDialect,
  mysql: mysqlDialect,
  redshift: redshiftDialect,
  snowflake: snowflakeDialect,
  trino: trinoDialect,
  databricks: databricksDialect,
  sqlserver: sqlServerDialect,
  bigquery: bigQueryDialect,
  clickhouse: clickHouseDialect,
};

/** The dialects proven by their SQL alone (test/unit/dialect-corpus.test.ts); no driver runs them yet. */
export const SQL_TESTED_DIALECTS: readonly SqlTestedDialect[] = [
  'clickhouse',
  'sqlserver',
  'snowflake',
  'bigquery',
  'redshift',
  'trino',
  'databricks',
];

export function dialectFor(name: DialectName): SqlDialect {
  return DIALECTS[name];
}
