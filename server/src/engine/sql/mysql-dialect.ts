/**
 * MySQL and MariaDB. Both lack DATE_TRUNC, NULLS LAST, FULL-featured CAST
 * and the ordered-set aggregates, so this dialect spells each of those its
 * own way, and says before anything is sent when a feature has no spelling.
 *
 * Times are DATETIME throughout (TIMESTAMP() of a date or a text is one), so
 * buckets compare, join and sort as the other dialects' TIMESTAMPs do.
 */
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import type { TimeGranularity } from '../schema/types';
import {
  call,
  castFor,
  commonSpelling,
  granuleUnits,
  inDays,
  limitThenOffset,
  PORTABLE_FUNCTIONS,
  unsupportedFunction,
  type CovarianceName,
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
  const hint = instead ? ` ${instead}` : '';
  return new SlayerError(ErrorCode.Unsupported, `${feature} is not available on MySQL or MariaDB.${hint}`);
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

/**
 * Neither database has CORR or COVAR_*; they are the textbook sums over the
 * rows where both values are present, which is what the other databases'
 * functions read. A zero divisor gives NULL, as theirs do for one row
 * (samples) or a constant column (corr).
 */
function pairedStatistic(name: CovarianceName, x: string, y: string): string {
  const bothX = `CASE WHEN ${y} IS NOT NULL THEN ${x} END`;
  const bothY = `CASE WHEN ${x} IS NOT NULL THEN ${y} END`;
  const n = `COUNT(${bothX})`;
  const centred = `(SUM(${x} * ${y}) - SUM(${bothX}) * SUM(${bothY}) / ${n})`;
  switch (name) {
    case 'covar_pop':
      return `(${centred} / NULLIF(${n}, 0))`;
    case 'covar_samp':
      return `(${centred} / NULLIF(${n} - 1, 0))`;
    case 'corr':
      return `(${centred} / NULLIF(${n}, 0) / NULLIF(STDDEV_POP(${bothX}) * STDDEV_POP(${bothY}), 0))`;
  }
}

function scalar(name: string, args: string[]): string {
  const lower = name.toLowerCase();
  switch (lower) {
    case 'concat':
    case 'greatest':
    case 'least':
    case 'mod':
    case 'instr':
    case 'log2':
      return call(lower, args);
    case 'ifnull':
      return call('coalesce', args);
    case 'trunc':
      return call('truncate', [args[0] ?? 'NULL', args[1] ?? '0']);
    // LENGTH counts bytes here; the other databases count characters.
    case 'length':
      return call('char_length', args);
  }
  const common = commonSpelling(lower, args);
  if (common !== undefined) return common;
  if (PORTABLE_FUNCTIONS.has(lower)) return call(lower, args);
  throw unsupportedFunction('mysql', name);
}

export const mysqlDialect: SqlDialect = {
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
  addUnits: shifted,
  shiftBucket(expr, amount, granularity) {
    const { amount: units, unit } = granuleUnits(granularity, amount);
    return shifted(expr, units, unit);
  },
  subtractDuration(expr, parts) {
    return parts
      .map(inDays)
      .reduce(
        (inner, part) => `DATE_SUB(${inner}, INTERVAL ${part.amount} ${part.unit.toUpperCase()})`,
        `TIMESTAMP(${expr})`,
      );
  },
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
  scalarCall: scalar,
};
