/**
 * SQL Server (2022 or later: DATETRUNC, GREATEST and LEAST). T-SQL has no
 * INTERVAL, no NULLS LAST, no boolean literals and no LIMIT; it pages an
 * ordered result with OFFSET ... FETCH, and truncates AVG over integers.
 * Median and percentile exist only as window functions there, so they are
 * refused before anything is sent, as SLayer does.
 */
import type { TimeGranularity } from '../schema/types';
import {
  call,
  castInto,
  COMMON_HOOKS,
  lacking,
  pairedStatistic,
  standardString,
  withoutDots,
  spelledCall,
  unitShifts,
  type IntervalUnit,
  type SqlDialect,
  type StatisticName,
} from './dialect-kit';

function bracket(name: string): string {
  return `[${withoutDots(name).replace(/]/g, ']]')}]`;
}

const asTime = (expr: string): string => `CAST(${expr} AS DATETIME2)`;
const asFloat = (expr: string): string => `CAST(${expr} AS FLOAT)`;

function dateAdd(expr: string, amount: number, unit: IntervalUnit): string {
  return `DATEADD(${unit}, ${amount}, ${asTime(expr)})`;
}

/** DATETRUNC's `iso_week` starts on Monday whatever DATEFIRST says. */
function truncate(expr: string, granularity: TimeGranularity): string {
  if (granularity === 'week') return `DATETRUNC(iso_week, ${asTime(expr)})`;
  if (granularity === 'week_sunday') return `DATEADD(day, -1, DATETRUNC(iso_week, ${dateAdd(expr, 1, 'day')}))`;
  return `DATETRUNC(${granularity}, ${asTime(expr)})`;
}

const STATISTICS: Record<StatisticName, string> = {
  stddev_samp: 'STDEV',
  stddev_pop: 'STDEVP',
  var_samp: 'VAR',
  var_pop: 'VARP',
};

/** The largest row count FETCH takes: "no limit" after an OFFSET. */
const ALL_ROWS = '2147483647';

function scalar(lower: string, args: string[]): string | undefined {
  const [first = 'NULL', second = 'NULL', third] = args;
  switch (lower) {
    case 'mod':
      return `(${first} % ${second})`;
    case 'instr':
      return call('charindex', [second, first]);
    // LEN ignores trailing spaces and DATALENGTH counts bytes; LEN of the text with a character appended counts them all.
    case 'length':
      return `CASE WHEN ${first} IS NULL THEN NULL ELSE LEN(CONCAT(${first}, '.')) - 1 END`;
    case 'substr':
    case 'substring':
      return call('substring', [first, second, third ?? ALL_ROWS]);
    case 'ceil':
      return call('ceiling', args);
    case 'ln':
      return call('log', args);
    case 'log2':
      return call('log', [first, '2']);
    case 'log':
      return args.length === 2 ? call('log', [second, first]) : call('log10', args);
    case 'round':
      return call('round', [first, args.length > 1 ? second : '0']);
    case 'trunc':
      return call('round', [first, args.length > 1 ? second : '0', '1']);
  }
  return undefined;
}

/** ORDER BY must precede OFFSET; an unordered page is ordered by nothing in particular, as LIMIT would be. */
function page(limit: number | undefined, offset: number | undefined, ordered: boolean): string[] {
  if (limit === undefined && offset === undefined) {
    // An ORDER BY inside a sub-query (a stage) is allowed only with OFFSET.
    return ordered ? ['OFFSET 0 ROWS'] : [];
  }
  const lines = ordered ? [] : ['ORDER BY (SELECT NULL)'];
  lines.push(`OFFSET ${offset ?? 0} ROWS`);
  if (limit !== undefined) lines.push(`FETCH NEXT ${limit} ROWS ONLY`);
  return lines;
}

export const sqlServerDialect: SqlDialect = {
  ...COMMON_HOOKS,
  name: 'sqlserver',
  nestsWith: false,
  quoteIdentifier: bracket,
  castToDeclared: castInto({ INT: 'INT', DOUBLE: 'FLOAT', BOOLEAN: 'BIT', DATE: 'DATE', TIMESTAMP: 'DATETIME2' }),
  stringLiteral: standardString,
  booleanLiteral: (value) => (value ? '1' : '0'),
  // NULL sorts lowest: last when descending already, and put last explicitly when ascending.
  orderTerm: (expr, direction, value) =>
    direction === 'asc' ? `CASE WHEN ${value ?? expr} IS NULL THEN 1 ELSE 0 END, ${expr} ASC` : `${expr} DESC`,
  limitAndOffset: page,
  dateTrunc: truncate,
  ...unitShifts(dateAdd),
  timeLiteral: (text) => asTime(standardString(text)),
  median: () => {
    throw lacking('SQL Server', 'median', 'Its PERCENTILE_CONT is a window function only.');
  },
  percentile: () => {
    throw lacking('SQL Server', 'percentile', 'Its PERCENTILE_CONT is a window function only.');
  },
  statistic: (name, value) => call(STATISTICS[name], [value]),
  covariance: (name, value, other) => pairedStatistic(name, value, other, { asFloat, stddevPop: 'STDEVP' }),
  countDistinctApprox: (value) => `APPROX_COUNT_DISTINCT(${value})`,
  average: (value) => `AVG(${asFloat(value)})`,
  scalarCall: (name, args) => spelledCall('sqlserver', name, args, scalar),
};
