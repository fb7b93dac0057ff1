/**
 * MySQL and MariaDB. Both lack DATE_TRUNC, NULLS LAST, FULL-featured CAST
 * and the ordered-set aggregates, so this dialect spells each of those its
 * own way, and says before anything is sent when a feature has no spelling.
 *
 * Times are DATETIME throughout (TIMESTAMP() of a date or a text is one), so
 * buckets compare, join and sort as the other dialects' TIMESTAMPs do.
 */
import type { SlayerError } from '../../../../shared/src/errors';
import type { TimeGranularity } from '../schema/types';
import {
  call,
  COMMON_HOOKS,
  castFor,
  lacking,
  limitThenOffset,
  nullSkippingForm,
  pairedStatistic,
  spelledCall,
  unitShifts,
  type IntervalUnit,
  type SqlDialect,
} from './dialect-kit';

/** MySQL's largest LIMIT: its documented way to say "no limit" before an OFFSET. */
const NO_LIMIT = '18446744073709551615';

function backtick(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** Backslash is an escape character in MySQL's string literals (unless NO_BACKSLASH_ESCAPES), so it is doubled. */
function mysqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function lacks(feature: string, instead?: string): SlayerError {
  return lacking('MySQL or MariaDB', feature, instead);
}

/** The start of the bucket as a DATETIME. WEEKDAY() counts from Monday = 0, DAYOFWEEK() from Sunday = 1. */
function truncate(expr: string, granularity: TimeGranularity): string {
  switch (granularity) {
    case 'year':
      return `TIMESTAMP(MAKEDATE(YEAR(${expr}), 1))`;
    case 'quarter':
      return `TIMESTAMP(MAKEDATE(YEAR(${expr}), 1) + INTERVAL (QUARTER(${expr}) - 1) QUARTER)`;
    case 'month':
      return `TIMESTAMP(DATE_FORMAT(${expr}, '%Y-%m-01'))`;
    case 'week':
      return `TIMESTAMP(DATE(${expr}) - INTERVAL WEEKDAY(${expr}) DAY)`;
    case 'week_sunday':
      return `TIMESTAMP(DATE(${expr}) - INTERVAL (DAYOFWEEK(${expr}) - 1) DAY)`;
    case 'day':
      return `TIMESTAMP(DATE(${expr}))`;
    case 'hour':
      return `TIMESTAMP(DATE_FORMAT(${expr}, '%Y-%m-%d %H:00:00'))`;
    case 'minute':
      return `TIMESTAMP(DATE_FORMAT(${expr}, '%Y-%m-%d %H:%i:00'))`;
    case 'second':
      return `TIMESTAMP(DATE_FORMAT(${expr}, '%Y-%m-%d %H:%i:%s'))`;
  }
}

function shifted(expr: string, amount: number, unit: IntervalUnit): string {
  return `DATE_ADD(TIMESTAMP(${expr}), INTERVAL ${amount} ${unit.toUpperCase()})`;
}

function scalar(lower: string, args: string[]): string | undefined {
  switch (lower) {
    case 'instr':
    case 'log2':
      return call(lower, args);
    case 'trunc':
      return call('truncate', [args[0] ?? 'NULL', args[1] ?? '0']);
    // LENGTH counts bytes here; the other databases count characters.
    case 'length':
      return call('char_length', args);
  }
  // CONCAT, GREATEST and LEAST are NULL here when any argument is.
  return nullSkippingForm(lower, args, 'CHAR');
}

export const mysqlDialect: SqlDialect = {
  ...COMMON_HOOKS,
  name: 'mysql',
  quoteIdentifier: backtick,
  castToDeclared: castFor('mysql'),
  stringLiteral: mysqlString,
  // NULL sorts lowest here: first ascending, last descending. An ascending term puts them last explicitly,
  // testing the expression rather than the column's name: MariaDB refuses a name of an aggregate inside an expression.
  orderTerm: (expr, direction, value) =>
    direction === 'asc' ? `${value ?? expr} IS NULL, ${expr} ASC` : `${expr} DESC`,
  limitAndOffset: (limit, offset) => limitThenOffset(limit, offset, NO_LIMIT),
  dateTrunc: truncate,
  ...unitShifts(shifted),
  timeLiteral: (text) => `TIMESTAMP(${mysqlString(text)})`,
  median: () => {
    throw lacks('median', 'MariaDB has it only as a window function, and MySQL not at all.');
  },
  percentile: () => {
    throw lacks('percentile', 'MariaDB has PERCENTILE_CONT only as a window function, and MySQL not at all.');
  },
  statistic: (name, value) => call(name, [value]),
  covariance: pairedStatistic,
  // Neither has an approximate distinct count; the exact one is what SLayer falls back to.
  countDistinctApprox: (value) => `COUNT(DISTINCT ${value})`,
  scalarCall: (name, args) => spelledCall('mysql', name, args, scalar),
};
