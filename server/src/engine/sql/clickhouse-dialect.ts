/**
 * ClickHouse. Buckets are toStartOf*() read back as DateTime, shifts are
 * add*()/subtract*(), and the statistics are spelt so they give SLayer's
 * (Postgres') answers: NULL where a sample has one row, and an exact,
 * interpolated median (ClickHouse's own median() is approximate).
 *
 * A driver must run with join_use_nulls = 1: without it an unmatched LEFT
 * JOIN gives 0 and '' instead of NULL, and a dimension from a missing join
 * would be counted as a real value.
 */
import type { TimeGranularity } from '../schema/types';
import {
  castInto,
  COMMON_HOOKS,
  doubleQuote,
  limitThenOffset,
  nullsLast,
  pairedStatistic,
  standardString,
  spelledCall,
  unitShifts,
  type IntervalUnit,
  type SqlDialect,
} from './dialect-kit';

const asTime = (expr: string): string => `toDateTime(${expr})`;

/** toStartOfWeek's mode 0 starts the week on Sunday; toMonday on Monday. */
const START_OF: Record<TimeGranularity, (expr: string) => string> = {
  year: (expr) => `toStartOfYear(${expr})`,
  quarter: (expr) => `toStartOfQuarter(${expr})`,
  month: (expr) => `toStartOfMonth(${expr})`,
  week: (expr) => `toMonday(${expr})`,
  week_sunday: (expr) => `toStartOfWeek(${expr}, 0)`,
  day: (expr) => `toStartOfDay(${expr})`,
  hour: (expr) => `toStartOfHour(${expr})`,
  minute: (expr) => `toStartOfMinute(${expr})`,
  // A DateTime has whole seconds already.
  second: (expr) => expr,
};

const UNIT_NAME: Record<IntervalUnit, string> = {
  year: 'Years',
  month: 'Months',
  day: 'Days',
  hour: 'Hours',
  minute: 'Minutes',
  second: 'Seconds',
};

function shifted(expr: string, amount: number, unit: IntervalUnit): string {
  const fn = amount < 0 ? 'subtract' : 'add';
  return `${fn}${UNIT_NAME[unit]}(${asTime(expr)}, ${Math.abs(amount)})`;
}

/** UInt64's largest value: "no limit" before an OFFSET. */
const NO_LIMIT = '18446744073709551615';

/** SLayer's statistic is NULL below `rows` values (one for a sample, none for a population); ClickHouse gives nan. */
function guarded(fn: string, value: string, rows: number): string {
  return `if(count(${value}) >= ${rows}, ${fn}(${value}), NULL)`;
}

/** ClickHouse's own function names are case-sensitive: they are written exactly, never upper-cased. */
function fn(name: string, args: readonly string[]): string {
  return `${name}(${args.join(', ')})`;
}

/** The allowlist in ClickHouse's names; the UTF-8 functions count characters where the plain ones count bytes. */
const CLICKHOUSE_NAMES: Readonly<Record<string, string>> = {
  abs: 'abs',
  round: 'round',
  coalesce: 'coalesce',
  ifnull: 'coalesce',
  nullif: 'nullIf',
  lower: 'lowerUTF8',
  upper: 'upperUTF8',
  trim: 'trimBoth',
  ltrim: 'trimLeft',
  rtrim: 'trimRight',
  replace: 'replaceAll',
  substr: 'substringUTF8',
  substring: 'substringUTF8',
  length: 'lengthUTF8',
  instr: 'positionUTF8',
  sqrt: 'sqrt',
  exp: 'exp',
  ln: 'log',
  log10: 'log10',
  log2: 'log2',
  sign: 'sign',
  power: 'pow',
  pow: 'pow',
  ceil: 'ceil',
  ceiling: 'ceil',
  floor: 'floor',
  greatest: 'greatest',
  least: 'least',
  mod: 'modulo',
  trunc: 'trunc',
};

function scalar(lower: string, args: string[]): string | undefined {
  const [first = 'NULL', second = 'NULL'] = args;
  // concat is NULL when any argument is; SLayer's skips NULLs.
  if (lower === 'concat')
    return fn(
      'concat',
      args.map((arg) => `ifNull(toString(${arg}), '')`),
    );
  if (lower === 'log') return args.length === 2 ? `(log(${second}) / log(${first}))` : fn('log10', args);
  const name = CLICKHOUSE_NAMES[lower];
  return name === undefined ? undefined : fn(name, args);
}

export const clickHouseDialect: SqlDialect = {
  ...COMMON_HOOKS,
  name: 'clickhouse',
  quoteIdentifier: doubleQuote,
  castToDeclared: castInto({
    INT: 'Nullable(Int64)',
    DOUBLE: 'Nullable(Float64)',
    BOOLEAN: 'Nullable(Bool)',
    DATE: 'Nullable(Date)',
    TIMESTAMP: 'Nullable(DateTime)',
  }),
  // ClickHouse reads backslash escapes in literals.
  stringLiteral: (text) => standardString(text.replace(/\\/g, '\\\\')),
  orderTerm: nullsLast,
  limitAndOffset: (limit, offset) => limitThenOffset(limit, offset, NO_LIMIT),
  // A Date column compared with a DateTime is read as one; ClickHouse 18.16 compared day and second numbers.
  timeValue: asTime,
  dateTrunc: (expr, granularity) => asTime(START_OF[granularity](asTime(expr))),
  ...unitShifts(shifted),
  timeLiteral: (text) => `parseDateTimeBestEffort(${standardString(text)})`,
  median: (value) => `quantileExactInclusive(0.5)(${value})`,
  percentile: (value, p) => `quantileExactInclusive(${p})(${value})`,
  remainder: (left, right) => fn('modulo', [left, right]),
  statistic(stat, value) {
    switch (stat) {
      case 'stddev_samp':
        return guarded('stddevSamp', value, 2);
      case 'var_samp':
        return guarded('varSamp', value, 2);
      case 'stddev_pop':
        return guarded('stddevPop', value, 1);
      case 'var_pop':
        return guarded('varPop', value, 1);
    }
  },
  covariance: (stat, value, other) => pairedStatistic(stat, value, other, { stddevPop: 'stddevPop' }),
  countDistinctApprox: (value) => `uniq(${value})`,
  scalarCall: (name, args) => spelledCall('clickhouse', name, args, scalar),
};
