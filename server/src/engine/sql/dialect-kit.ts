/**
 * What every SQL dialect is made of: the contract the planner speaks
 * (SqlDialect) and the pieces several dialects share. Each dialect lives in
 * its own module and the registry (dialect.ts) names them all.
 */
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import type { DataType, TimeGranularity } from '../schema/types';

/** Dialects with a driver here, tested live. */
export type RunnableDialect = 'sqlite' | 'duckdb' | 'postgres' | 'mysql';
/** Dialects whose SQL is proven by meaning (parsed by sqlglot, transpiled to DuckDB): no server here. */
export type SqlTestedDialect =
  'clickhouse' | 'sqlserver' | 'snowflake' | 'bigquery' | 'redshift' | 'trino' | 'databricks';
export type DialectName = RunnableDialect | SqlTestedDialect;

/**
 * Everything that differs between the databases we generate SQL for. The
 * planner speaks in these calls only, so adding a dialect never touches it.
 */
export interface SqlDialect {
  readonly name: DialectName;
  quoteIdentifier(name: string): string;
  /**
   * Whether a sub-query may begin with WITH. SQL Server's may not, so a stage
   * that needs CTEs cannot feed another stage there.
   */
  readonly nestsWith: boolean;
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
  /** The mean, as a fraction even over an integer column (SQL Server and Redshift would truncate it). */
  average(value: string): string;
  /** `a % b`. */
  remainder(left: string, right: string): string;
  /**
   * A time column as the dialect's time type, where a raw column would not
   * compare with the dialect's bucket and shift expressions (BigQuery keeps
   * TIMESTAMP and DATETIME apart); elsewhere the column itself.
   */
  timeValue(expr: string): string;
  /** A scalar function from SLayer's allowlist, in this dialect's spelling. */
  scalarCall(name: string, args: string[]): string;
  /**
   * SLayer's DEV-1361: a derived column's expression cast to its declared
   * type, in this dialect's type name; undefined where no cast applies.
   */
  castToDeclared(expr: string, type: DataType): string | undefined;
  /** A text value as a SQL string literal. */
  stringLiteral(text: string): string;
  /**
   * One ORDER BY term with NULLs last in either direction, as SLayer sorts.
   * `value`, when given, is the expression behind `expr` (a result column's
   * name), for a dialect that must test it for NULL apart.
   */
  orderTerm(expr: string, direction: 'asc' | 'desc', value?: string): string;
  /**
   * LIMIT / OFFSET lines; an offset alone still needs a limit on some databases.
   * `ordered` says an ORDER BY precedes them (SQL Server pages only an ordered result).
   */
  limitAndOffset(limit: number | undefined, offset: number | undefined, ordered: boolean): string[];
  /** TRUE or FALSE, where the database has boolean literals. */
  booleanLiteral(value: boolean): string;
}

export const standardBoolean = (value: boolean): string => (value ? 'TRUE' : 'FALSE');
export const standardAverage = (value: string): string => `AVG(${value})`;
export const standardRemainder = (left: string, right: string): string => `(${left} % ${right})`;
export const sameValue = (expr: string): string => expr;

/** What most dialects share for the hooks only one or two databases spell otherwise. */
export const COMMON_HOOKS = {
  nestsWith: true,
  booleanLiteral: standardBoolean,
  average: standardAverage,
  remainder: standardRemainder,
  timeValue: sameValue,
} as const;

/** The standard literal: quotes doubled, backslashes as they are. */
export function standardString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** `NULLS LAST`, which SQLite, DuckDB and Postgres all accept. */
export function nullsLast(expr: string, direction: 'asc' | 'desc'): string {
  return `${expr} ${direction === 'asc' ? 'ASC' : 'DESC'} NULLS LAST`;
}

export function limitThenOffset(limit: number | undefined, offset: number | undefined, noLimit?: string): string[] {
  const lines: string[] = [];
  if (limit !== undefined) lines.push(`LIMIT ${limit}`);
  else if (offset !== undefined && noLimit !== undefined) lines.push(`LIMIT ${noLimit}`);
  if (offset !== undefined) lines.push(`OFFSET ${offset}`);
  return lines;
}

/** Declared types as each dialect names them in CAST (TEXT is never cast: SLayer leaves it alone). */
export const CAST_TYPES: Record<RunnableDialect, Partial<Record<DataType, string>>> = {
  // SQLite has no date type: CAST(x AS DATE) would keep only the leading number (the year). Dates stay text.
  sqlite: { INT: 'INTEGER', DOUBLE: 'REAL', BOOLEAN: 'INTEGER' },
  duckdb: { INT: 'INT', DOUBLE: 'DOUBLE', BOOLEAN: 'BOOLEAN', DATE: 'DATE', TIMESTAMP: 'TIMESTAMP' },
  postgres: { INT: 'INT', DOUBLE: 'DOUBLE PRECISION', BOOLEAN: 'BOOLEAN', DATE: 'DATE', TIMESTAMP: 'TIMESTAMP' },
  // MySQL and MariaDB have no CAST(... AS BOOLEAN): a boolean is a TINYINT there already.
  mysql: { INT: 'SIGNED', DOUBLE: 'DOUBLE', DATE: 'DATE', TIMESTAMP: 'DATETIME' },
};

export type CastTypes = Partial<Record<DataType, string>>;

export function castFor(name: RunnableDialect): SqlDialect['castToDeclared'] {
  return castInto(CAST_TYPES[name]);
}

export function castInto(types: CastTypes): SqlDialect['castToDeclared'] {
  return (expr, type) => {
    const target = types[type];
    return target === undefined ? undefined : `CAST(${expr} AS ${target})`;
  };
}

export type IntervalUnit = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second';
export type DurationUnit = IntervalUnit | 'week';

type UnitShift = (expr: string, amount: number, unit: IntervalUnit) => string;

/**
 * addUnits, shiftBucket and subtractDuration for a dialect that moves a time
 * with one spelling of "plus n whole units" (n may be negative).
 */
export function unitShifts(shift: UnitShift): Pick<SqlDialect, 'addUnits' | 'shiftBucket' | 'subtractDuration'> {
  return {
    addUnits: shift,
    shiftBucket(expr, amount, granularity) {
      const { amount: units, unit } = granuleUnits(granularity, amount);
      return shift(expr, units, unit);
    },
    subtractDuration: (expr, parts) =>
      parts.map(inDays).reduce((inner, part) => shift(inner, -part.amount, part.unit), expr),
  };
}

/** Weeks as days: SQLite has no week modifier, and one spelling keeps the dialects alike. */
export function inDays(part: { amount: number; unit: DurationUnit }): { amount: number; unit: IntervalUnit } {
  return part.unit === 'week' ? { amount: part.amount * 7, unit: 'day' } : { amount: part.amount, unit: part.unit };
}
export type StatisticName = 'stddev_samp' | 'stddev_pop' | 'var_samp' | 'var_pop';
export type CovarianceName = 'corr' | 'covar_samp' | 'covar_pop';

export function doubleQuote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Functions whose name and arguments are the same on every dialect we support. */
export const PORTABLE_FUNCTIONS = new Set([
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

/** Allowlisted functions that every database spells as SLayer does unless its dialect says otherwise. */
const STANDARD_SPELLINGS: ReadonlySet<string> = new Set([
  ...PORTABLE_FUNCTIONS,
  'greatest',
  'least',
  'concat',
  'mod',
  'trunc',
]);

/**
 * An allowlisted function in a dialect's spelling: the dialect's own first
 * (`own` answers undefined where it has none), then the spellings all share,
 * or a refusal naming the function and the database.
 */
export function spelledCall(
  dialect: DialectName,
  name: string,
  args: string[],
  own: (lower: string, args: string[]) => string | undefined,
): string {
  const lower = name.toLowerCase();
  const spelled = own(lower, args) ?? commonSpelling(lower, args);
  if (spelled !== undefined) return spelled;
  if (lower === 'ifnull') return call('coalesce', args);
  if (STANDARD_SPELLINGS.has(lower)) return call(lower, args);
  throw unsupportedFunction(dialect, name);
}

export function unsupportedFunction(dialect: DialectName, name: string): SlayerError {
  return new SlayerError(ErrorCode.Unsupported, `Function '${name}' is not available on ${dialect}.`);
}

/**
 * The allowlist's other spellings, the same on every dialect: SUBSTRING, CEILING and POW under their
 * common names, and LOG with one argument as the base-10 logarithm (with two, the base comes first).
 */
export function commonSpelling(name: string, args: string[]): string | undefined {
  if (name === 'substring') return call('substr', args);
  if (name === 'ceiling') return call('ceil', args);
  if (name === 'pow') return call('power', args);
  if (name === 'log') return args.length === 2 ? call('log', args) : call('log10', args);
  return undefined;
}

export function call(name: string, args: string[]): string {
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

/**
 * CORR and COVAR_* as the textbook sums over the rows where both values are
 * present, which is what the databases that have them read, for those that
 * do not. A zero divisor gives NULL, as theirs do for one row (samples) or a
 * constant column (corr).
 */
export function pairedStatistic(name: CovarianceName, x: string, y: string, spelling: PairedSpelling = {}): string {
  const asFloat = spelling.asFloat ?? sameValue;
  const stddevPop = spelling.stddevPop ?? 'STDDEV_POP';
  const bothX = `CASE WHEN ${y} IS NOT NULL THEN ${asFloat(x)} END`;
  const bothY = `CASE WHEN ${x} IS NOT NULL THEN ${asFloat(y)} END`;
  const n = `COUNT(${bothX})`;
  const centred = `(SUM(${bothX} * ${bothY}) - SUM(${bothX}) * SUM(${bothY}) / ${n})`;
  switch (name) {
    case 'covar_pop':
      return `(${centred} / NULLIF(${n}, 0))`;
    case 'covar_samp':
      return `(${centred} / NULLIF(${n} - 1, 0))`;
    case 'corr':
      return `(${centred} / NULLIF(${n}, 0) / NULLIF(${stddevPop}(${bothX}) * ${stddevPop}(${bothY}), 0))`;
  }
}

export interface PairedSpelling {
  /** Where integer sums would divide as integers, the values as floats. */
  asFloat?: (value: string) => string;
  /** The population standard deviation's name, where it is not STDDEV_POP. */
  stddevPop?: string;
}

/**
 * GREATEST and LEAST skip NULLs on Postgres and DuckDB, as SLayer reads them;
 * where the database's return NULL for any NULL argument, each argument falls
 * back on the others, so only all-NULL gives NULL.
 */
export function nullSkippingExtremum(name: string, args: string[]): string {
  if (args.length < 2) return call(name, args);
  return call(
    name,
    args.map((arg, i) => call('coalesce', [arg, ...args.filter((_, j) => j !== i)])),
  );
}

/**
 * SLayer's `a || b` is concat(a, b), which skips NULLs as Postgres and DuckDB
 * do. Where the database's CONCAT returns NULL for any NULL argument, each
 * argument is read as text and a NULL as the empty text.
 */
export function nullSkippingConcat(args: string[], textType: string): string {
  return call(
    'concat',
    args.map((arg) => `COALESCE(CAST(${arg} AS ${textType}), '')`),
  );
}

/**
 * concat, greatest and least for a database where each is NULL when any
 * argument is: SLayer's (Postgres') NULL-skipping forms. Undefined for any
 * other function.
 */
export function nullSkippingForm(name: string, args: string[], textType: string): string | undefined {
  if (name === 'concat') return nullSkippingConcat(args, textType);
  if (name === 'greatest' || name === 'least') return nullSkippingExtremum(name, args);
  return undefined;
}

/** A feature the database lacks, refused before anything is sent. */
export function lacking(engine: string, feature: string, instead?: string): SlayerError {
  const hint = instead ? ` ${instead}` : '';
  return new SlayerError(ErrorCode.Unsupported, `${feature} is not available on ${engine}.${hint}`);
}

/**
 * A result key's dots as `___` (an existing `___` doubled first, so the
 * mapping can be undone), for BigQuery, whose column names cannot hold a
 * dot, and SQL Server, whose ORDER BY does not find `[a.b]` as an alias.
 * SLayer spells them the same way.
 */
export function withoutDots(name: string): string {
  return name.replace(/___/g, '______').replace(/\./g, '___');
}
