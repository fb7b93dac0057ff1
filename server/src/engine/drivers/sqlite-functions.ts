/**
 * The SQL functions SLayer registers on every SQLite connection (its
 * `slayer/sql/dialects/sqlite.py`), reimplemented in JavaScript, plus how the
 * SQL generator must spell the aggregates on SQLite.
 *
 * Why the spelling: node-sqlite3-wasm can only register scalar functions (its
 * `Database.function` passes no step/final callbacks to SQLite). So an
 * aggregate is SQLite's own `json_group_array(...)` collecting the group's
 * values, and a scalar `slayer_*` function that reduces that JSON array:
 *
 *   median(x)              -> slayer_median(json_group_array(x))
 *   percentile_cont(x, p)  -> slayer_percentile_cont(json_group_array(x), p)
 *   corr(x, y)             -> slayer_corr(json_group_array(json_array(x, y)))
 *
 * SQLite prints REAL values into JSON with 17 significant digits, so doubles
 * survive the round trip exactly. `json_group_array` is also a window
 * function and accepts FILTER (WHERE ...), so both forms keep working.
 *
 * The scalar functions (ln, log10, log2, log(b, x), exp, sqrt, pow, power)
 * keep their names and replace SQLite's built-ins, as SLayer does, so domain
 * errors raise (as on Postgres) instead of quietly returning NULL.
 *
 * Semantics follow SLayer/Postgres: NULL inputs are skipped; no rows gives
 * NULL; the sample statistics are NULL for N <= 1; the population ones are 0
 * at N = 1; corr is NULL when either side has zero variance.
 */

import { ErrorCode, SlayerError } from '../../../../shared/src/errors';

/** What SQLite hands a JavaScript function and what one may return (node-sqlite3-wasm's SQLiteValue). */
export type SqlValue = number | bigint | string | Uint8Array | null;

// ---------------------------------------------------------------------------
// Pure statistics
// ---------------------------------------------------------------------------

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  if (s.length % 2 === 1) return s[mid] ?? null;
  return ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function checkFraction(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new Error(`percentile p must be in [0, 1], got ${p}`);
}

/** Postgres' percentile_cont: linear interpolation between the two closest ranks. */
export function percentileCont(values: readonly number[], p: number): number | null {
  checkFraction(p);
  if (values.length === 0) return null;
  const s = sorted(values);
  const rank = p * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, s.length - 1);
  const low = s[lo] ?? 0;
  return low + (rank - lo) * ((s[hi] ?? 0) - low);
}

/** Postgres' percentile_disc: the first value whose cumulative share reaches p. */
export function percentileDisc(values: readonly number[], p: number): number | null {
  checkFraction(p);
  if (values.length === 0) return null;
  const s = sorted(values);
  const k = Math.max(0, Math.ceil(p * s.length) - 1);
  return s[k] ?? null;
}

interface Moments {
  n: number;
  /** Sum of squared deviations from the mean. */
  m2: number;
}

/** Welford's one-pass algorithm: stable where the naive sum of squares is not. */
function moments(values: readonly number[]): Moments {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const value of values) {
    n += 1;
    const delta = value - mean;
    mean += delta / n;
    m2 += delta * (value - mean);
  }
  return { n, m2 };
}

export function varSamp(values: readonly number[]): number | null {
  const { n, m2 } = moments(values);
  return n <= 1 ? null : m2 / (n - 1);
}

export function varPop(values: readonly number[]): number | null {
  const { n, m2 } = moments(values);
  if (n === 0) return null;
  return n === 1 ? 0 : m2 / n;
}

export function stddevSamp(values: readonly number[]): number | null {
  const variance = varSamp(values);
  return variance === null ? null : Math.sqrt(variance);
}

export function stddevPop(values: readonly number[]): number | null {
  const variance = varPop(values);
  return variance === null ? null : Math.sqrt(variance);
}

export type Pair = readonly [number, number];

interface CoMoments {
  n: number;
  m2x: number;
  m2y: number;
  /** Sum of the products of the deviations. */
  c: number;
}

function coMoments(pairs: readonly Pair[]): CoMoments {
  let n = 0;
  let meanX = 0;
  let meanY = 0;
  let m2x = 0;
  let m2y = 0;
  let c = 0;
  for (const [x, y] of pairs) {
    n += 1;
    const dx = x - meanX;
    meanX += dx / n;
    const dy = y - meanY;
    meanY += dy / n;
    m2x += dx * (x - meanX);
    m2y += dy * (y - meanY);
    c += dx * (y - meanY);
  }
  return { n, m2x, m2y, c };
}

/** Pearson's correlation; NULL with fewer than two pairs or a constant side, like Postgres. */
export function corr(pairs: readonly Pair[]): number | null {
  const { n, m2x, m2y, c } = coMoments(pairs);
  if (n < 2 || m2x === 0 || m2y === 0) return null;
  return c / Math.sqrt(m2x * m2y);
}

export function covarSamp(pairs: readonly Pair[]): number | null {
  const { n, c } = coMoments(pairs);
  return n <= 1 ? null : c / (n - 1);
}

export function covarPop(pairs: readonly Pair[]): number | null {
  const { n, c } = coMoments(pairs);
  if (n === 0) return null;
  return n === 1 ? 0 : c / n;
}

// ---------------------------------------------------------------------------
// Pure scalar maths, raising where Postgres raises (SQLite's own return NULL)
// ---------------------------------------------------------------------------

function logarithm(x: number, of: (x: number) => number): number {
  if (x === 0) throw new Error('cannot take logarithm of zero');
  if (x < 0) throw new Error('cannot take logarithm of a negative number');
  return of(x);
}

export function ln(x: number): number {
  return logarithm(x, Math.log);
}

export function log10(x: number): number {
  return logarithm(x, Math.log10);
}

export function log2(x: number): number {
  return logarithm(x, Math.log2);
}

/** `log(b, x)`: the logarithm of x in base b (base first, as in Postgres and SLayer). */
export function logBase(base: number, x: number): number {
  const denominator = logarithm(base, Math.log);
  if (denominator === 0) throw new Error('division by zero');
  return logarithm(x, Math.log) / denominator;
}

export function exp(x: number): number {
  const result = Math.exp(x);
  if (!Number.isFinite(result) && Number.isFinite(x)) throw new Error('value out of range: overflow');
  return result;
}

export function sqrt(x: number): number {
  if (x < 0) throw new Error('cannot take square root of a negative number');
  return Math.sqrt(x);
}

export function pow(x: number, y: number): number {
  if (x === 0 && y < 0) throw new Error('zero raised to a negative power is undefined');
  if (x < 0 && !Number.isInteger(y)) {
    throw new Error('a negative number raised to a non-integer power yields a complex result');
  }
  const result = Math.pow(x, y);
  if (!Number.isFinite(result) && Number.isFinite(x) && Number.isFinite(y)) {
    throw new Error('value out of range: overflow');
  }
  return result;
}

// ---------------------------------------------------------------------------
// Adapters between SQLite values and the pure functions
// ---------------------------------------------------------------------------

/** A SQL argument as a number; NULL stays null. Numeric text is accepted, as SQLite's own maths does. */
function toNumber(value: unknown, fn: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  const shown = typeof value === 'string' ? `'${value}'` : typeof value;
  throw new Error(`${fn} expects numbers, got ${shown}`);
}

function parseJsonArray(json: SqlValue, fn: string): unknown[] | null {
  if (json === null) return null;
  if (typeof json !== 'string') throw new Error(`${fn} expects json_group_array(...) as its first argument`);
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) throw new Error(`${fn} expects json_group_array(...) as its first argument`);
  return parsed as unknown[];
}

/** The non-NULL numbers of a `json_group_array(x)`. */
export function numbersFromJson(json: SqlValue, fn: string): number[] {
  const numbers: number[] = [];
  for (const item of parseJsonArray(json, fn) ?? []) {
    const value = toNumber(item, fn);
    if (value !== null) numbers.push(value);
  }
  return numbers;
}

/** The pairs of a `json_group_array(json_array(x, y))` where neither side is NULL. */
export function pairsFromJson(json: SqlValue, fn: string): Pair[] {
  const pairs: Pair[] = [];
  for (const item of parseJsonArray(json, fn) ?? []) {
    if (!Array.isArray(item) || item.length !== 2) {
      throw new Error(`${fn} expects json_group_array(json_array(x, y))`);
    }
    const x = toNumber(item[0], fn);
    const y = toNumber(item[1], fn);
    if (x !== null && y !== null) pairs.push([x, y]);
  }
  return pairs;
}

function unary(fn: string, op: (x: number) => number): (x: SqlValue) => SqlValue {
  return (x) => {
    const value = toNumber(x, fn);
    return value === null ? null : op(value);
  };
}

function binary(fn: string, op: (a: number, b: number) => number): (a: SqlValue, b: SqlValue) => SqlValue {
  return (a, b) => {
    const left = toNumber(a, fn);
    const right = toNumber(b, fn);
    return left === null || right === null ? null : op(left, right);
  };
}

function overValues(fn: string, op: (values: readonly number[]) => number | null): (json: SqlValue) => SqlValue {
  return (json) => op(numbersFromJson(json, fn));
}

function overPairs(fn: string, op: (pairs: readonly Pair[]) => number | null): (json: SqlValue) => SqlValue {
  return (json) => op(pairsFromJson(json, fn));
}

function withFraction(
  fn: string,
  op: (values: readonly number[], p: number) => number | null,
): (json: SqlValue, p: SqlValue) => SqlValue {
  return (json, p) => {
    const fraction = toNumber(p, fn);
    return fraction === null ? null : op(numbersFromJson(json, fn), fraction);
  };
}

/**
 * One JavaScript function for SQLite. node-sqlite3-wasm registers a function
 * with `implementation.length` arguments, so every implementation declares
 * exactly `arity` parameters (no rest parameters).
 */
export interface SqliteFunction {
  name: string;
  arity: number;
  implementation: (...args: SqlValue[]) => SqlValue;
}

function fn<A extends SqlValue[]>(name: string, implementation: (...args: A) => SqlValue): SqliteFunction {
  // The parameters are all SqlValue, so widening the signature is sound.
  return { name, arity: implementation.length, implementation: implementation as (...args: SqlValue[]) => SqlValue };
}

/** Everything registered on every SQLite connection, in registration order. */
export const SQLITE_FUNCTIONS: readonly SqliteFunction[] = [
  fn('ln', unary('ln', ln)),
  fn('log10', unary('log10', log10)),
  fn('log2', unary('log2', log2)),
  fn('log', binary('log', logBase)),
  fn('exp', unary('exp', exp)),
  fn('sqrt', unary('sqrt', sqrt)),
  fn('pow', binary('pow', pow)),
  fn('power', binary('power', pow)),
  fn('slayer_median', overValues('median', median)),
  fn('slayer_percentile_cont', withFraction('percentile_cont', percentileCont)),
  fn('slayer_percentile_disc', withFraction('percentile_disc', percentileDisc)),
  fn('slayer_stddev_samp', overValues('stddev_samp', stddevSamp)),
  fn('slayer_stddev_pop', overValues('stddev_pop', stddevPop)),
  fn('slayer_var_samp', overValues('var_samp', varSamp)),
  fn('slayer_var_pop', overValues('var_pop', varPop)),
  fn('slayer_corr', overPairs('corr', corr)),
  fn('slayer_covar_samp', overPairs('covar_samp', covarSamp)),
  fn('slayer_covar_pop', overPairs('covar_pop', covarPop)),
];

/** The part of node-sqlite3-wasm's Database this module needs, so it stays free of the library. */
export interface FunctionRegistry {
  function(name: string, func: (...params: SqlValue[]) => SqlValue, options?: { deterministic?: boolean }): unknown;
}

export function registerSlayerFunctions(db: FunctionRegistry): void {
  for (const { name, arity, implementation } of SQLITE_FUNCTIONS) {
    if (implementation.length !== arity)
      throw new Error(`SQLite function ${name} must take exactly ${arity} arguments`);
    db.function(name, implementation, { deterministic: true });
  }
}

// ---------------------------------------------------------------------------
// How the SQL generator spells each aggregate on SQLite
// ---------------------------------------------------------------------------

/** SLayer's aggregate names (and the aliases sqlglot emits) that SQLite lacks. */
export type SqliteAggregateName =
  | 'median'
  | 'percentile_cont'
  | 'percentile_disc'
  | 'stddev_samp'
  | 'stddev_pop'
  | 'var_samp'
  | 'variance'
  | 'var_pop'
  | 'variance_pop'
  | 'corr'
  | 'covar_samp'
  | 'covar_pop';

export interface SqliteAggregateSpelling {
  /** The scalar function that reduces the collected values. */
  udf: string;
  /** The aggregate's arguments, in order: `value`, `p` (a fraction in [0, 1]), or `x`, `y`. */
  params: readonly string[];
  /** The SQLite expression for the aggregate over already-rendered argument SQL. */
  spell(args: readonly string[]): string;
}

function overValuesSpelling(udf: string): SqliteAggregateSpelling {
  return { udf, params: ['value'], spell: ([value]) => `${udf}(json_group_array(${value}))` };
}

function withFractionSpelling(udf: string): SqliteAggregateSpelling {
  return { udf, params: ['value', 'p'], spell: ([value, p]) => `${udf}(json_group_array(${value}), ${p})` };
}

function overPairsSpelling(udf: string): SqliteAggregateSpelling {
  return { udf, params: ['x', 'y'], spell: ([x, y]) => `${udf}(json_group_array(json_array(${x}, ${y})))` };
}

/**
 * `median(x)` -> `slayer_median(json_group_array(x))`, and so on. `variance`
 * and `variance_pop` are the names sqlglot writes for var_samp and var_pop;
 * SLayer registers both, so both spellings are here.
 */
export const SQLITE_AGGREGATE_SPELLING: Readonly<Record<SqliteAggregateName, SqliteAggregateSpelling>> = {
  median: overValuesSpelling('slayer_median'),
  percentile_cont: withFractionSpelling('slayer_percentile_cont'),
  percentile_disc: withFractionSpelling('slayer_percentile_disc'),
  stddev_samp: overValuesSpelling('slayer_stddev_samp'),
  stddev_pop: overValuesSpelling('slayer_stddev_pop'),
  var_samp: overValuesSpelling('slayer_var_samp'),
  variance: overValuesSpelling('slayer_var_samp'),
  var_pop: overValuesSpelling('slayer_var_pop'),
  variance_pop: overValuesSpelling('slayer_var_pop'),
  corr: overPairsSpelling('slayer_corr'),
  covar_samp: overPairsSpelling('slayer_covar_samp'),
  covar_pop: overPairsSpelling('slayer_covar_pop'),
};

/** Spells an aggregate call for SQLite, checking the argument count. */
export function sqliteAggregateCall(name: SqliteAggregateName, args: readonly string[]): string {
  const spelling = SQLITE_AGGREGATE_SPELLING[name];
  if (args.length !== spelling.params.length) {
    throw new SlayerError(
      ErrorCode.Internal,
      `${name} takes ${spelling.params.length} argument(s) (${spelling.params.join(', ')})`,
    );
  }
  return spelling.spell(args);
}
