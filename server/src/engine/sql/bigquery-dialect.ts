/**
 * BigQuery (GoogleSQL). Times are DATETIME throughout: BigQuery keeps
 * TIMESTAMP, DATETIME and DATE apart in comparisons, and only DATETIME takes
 * month and year arithmetic, so every time column is read as one
 * (`timeValue`) wherever it meets a bucket, a shift or a literal.
 *
 * Result keys lose their dots (BigQuery column names cannot hold one).
 * Median and percentile exist only as analytic functions, so they are
 * refused before anything is sent.
 */
import type { TimeGranularity } from '../schema/types';
import {
  call,
  castInto,
  COMMON_HOOKS,
  lacking,
  limitThenOffset,
  nullSkippingForm,
  nullsLast,
  withoutDots,
  spelledCall,
  unitShifts,
  type IntervalUnit,
  type SqlDialect,
} from './dialect-kit';

function backtick(name: string): string {
  return `\`${withoutDots(name).replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** BigQuery's literals read backslash escapes. */
function bigQueryString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const asTime = (expr: string): string => `CAST(${expr} AS DATETIME)`;

const TRUNC_PART: Record<TimeGranularity, string> = {
  year: 'YEAR',
  quarter: 'QUARTER',
  month: 'MONTH',
  week: 'WEEK(MONDAY)',
  week_sunday: 'WEEK(SUNDAY)',
  day: 'DAY',
  hour: 'HOUR',
  minute: 'MINUTE',
  second: 'SECOND',
};

function shifted(expr: string, amount: number, unit: IntervalUnit): string {
  return `DATETIME_ADD(${asTime(expr)}, INTERVAL ${amount} ${unit.toUpperCase()})`;
}

/** INT64 holds the largest row count: "no limit" before an OFFSET. */
const NO_LIMIT = '9223372036854775807';

function scalar(lower: string, args: string[]): string | undefined {
  const [first = 'NULL', second = 'NULL'] = args;
  switch (lower) {
    case 'instr':
      return call('strpos', args);
    case 'log2':
      return call('log', [first, '2']);
    case 'log':
      return args.length === 2 ? call('log', [second, first]) : call('log10', args);
  }
  // CONCAT, GREATEST and LEAST are NULL here when any argument is.
  return nullSkippingForm(lower, args, 'STRING');
}

export const bigQueryDialect: SqlDialect = {
  ...COMMON_HOOKS,
  name: 'bigquery',
  quoteIdentifier: backtick,
  castToDeclared: castInto({ INT: 'INT64', DOUBLE: 'FLOAT64', BOOLEAN: 'BOOL', DATE: 'DATE', TIMESTAMP: 'DATETIME' }),
  stringLiteral: bigQueryString,
  orderTerm: nullsLast,
  limitAndOffset: (limit, offset) => limitThenOffset(limit, offset, NO_LIMIT),
  remainder: (left, right) => call('mod', [left, right]),
  timeValue: asTime,
  dateTrunc: (expr, granularity) => `DATETIME_TRUNC(${asTime(expr)}, ${TRUNC_PART[granularity]})`,
  ...unitShifts(shifted),
  timeLiteral: (text) => asTime(bigQueryString(text)),
  median: () => {
    throw lacking('BigQuery', 'median', 'Its PERCENTILE_CONT is an analytic (window) function only.');
  },
  percentile: () => {
    throw lacking('BigQuery', 'percentile', 'Its PERCENTILE_CONT is an analytic (window) function only.');
  },
  statistic: (stat, value) => call(stat, [value]),
  covariance: (stat, value, other) => call(stat, [value, other]),
  countDistinctApprox: (value) => `APPROX_COUNT_DISTINCT(${value})`,
  scalarCall: (name, args) => spelledCall('bigquery', name, args, scalar),
};
