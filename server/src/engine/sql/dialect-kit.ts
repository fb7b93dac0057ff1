/**
 * What every SQL dialect is made of: the contract the planner speaks
 * (SqlDialect) and the pieces several dialects share. Each dialect lives in
 * its own module and the registry (dialect.ts) names them all.
 */
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import type { DataType, TimeGranularity } from '../schema/types';

export type DialectName = 'sqlite' | 'duckdb' | 'postgres' | 'mysql';

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
  /** A text value as a SQL string literal. */
  stringLiteral(text: string): string;
  /**
   * One ORDER BY term with NULLs last in either direction, as SLayer sorts.
   * `value`, when given, is the expression behind `expr` (a result column's
   * name), for a dialect that must test it for NULL apart.
   */
  orderTerm(expr: string, direction: 'asc' | 'desc', value?: string): string;
  /** LIMIT / OFFSET lines; an offset alone still needs a limit on some databases. */
  limitAndOffset(limit: number | undefined, offset: number | undefined): string[];
}

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
export const CAST_TYPES: Record<DialectName, Partial<Record<DataType, string>>> = {
  // SQLite has no date type: CAST(x AS DATE) would keep only the leading number (the year). Dates stay text.
  sqlite: { INT: 'INTEGER', DOUBLE: 'REAL', BOOLEAN: 'INTEGER' },
  duckdb: { INT: 'INT', DOUBLE: 'DOUBLE', BOOLEAN: 'BOOLEAN', DATE: 'DATE', TIMESTAMP: 'TIMESTAMP' },
  postgres: { INT: 'INT', DOUBLE: 'DOUBLE PRECISION', BOOLEAN: 'BOOLEAN', DATE: 'DATE', TIMESTAMP: 'TIMESTAMP' },
  // MySQL and MariaDB have no CAST(... AS BOOLEAN): a boolean is a TINYINT there already.
  mysql: { INT: 'SIGNED', DOUBLE: 'DOUBLE', DATE: 'DATE', TIMESTAMP: 'DATETIME' },
};

export function castFor(name: DialectName): SqlDialect['castToDeclared'] {
  return (expr, type) => {
    const target = CAST_TYPES[name][type];
    return target === undefined ? undefined : `CAST(${expr} AS ${target})`;
  };
}

export type IntervalUnit = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second';
export type DurationUnit = IntervalUnit | 'week';

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
