import type { SqlDialect } from '../sql/dialect';
import type { Call, Expr } from '../formula/ast';
import { LIST_CALL } from '../formula/parser';
import { TIME_GRANULARITIES, type TimeGranularity } from '../schema/types';
import { invalidQuery, repr } from './errors';
import type { SqlTemplate } from './template';

/**
 * SLayer's transforms as the planner sees them. Window transforms become a
 * column of a layer above the aggregates; `time_shift` is a self-join on a
 * shifted bucket; `change`/`change_pct` are arithmetic over a shift, as SLayer
 * desugars them.
 */
export type WindowKind =
  | 'cumsum'
  | 'lag'
  | 'lead'
  | 'first'
  | 'last'
  | 'rank'
  | 'dense_rank'
  | 'percent_rank'
  | 'ntile'
  | 'consecutive_periods';

export interface WindowTransform {
  kind: WindowKind;
  arg: SqlTemplate;
  /** lag/lead offset, ntile bucket count. */
  n?: number;
  /** Rank family: result keys of the dimensions to rank within. */
  partitionKeys?: string[];
}

export interface ShiftTransform {
  kind: 'time_shift';
  arg: SqlTemplate;
  amount: number;
  granularity: TimeGranularity;
}

export type TransformSlot = (WindowTransform | ShiftTransform) & { id: string; layer: number };

export const TIME_ORDERED: ReadonlySet<string> = new Set([
  'cumsum',
  'lag',
  'lead',
  'first',
  'last',
  'time_shift',
  'change',
  'change_pct',
  'consecutive_periods',
]);

/** An integer literal (`4`, `-1`), or undefined for anything else. */
function literalInteger(expr: Expr): number | undefined {
  const negative = expr.kind === 'unary' && expr.op === '-' && expr.operand.kind === 'number';
  const literal = negative ? (expr.operand as { value: number }).value * -1 : expr.kind === 'number' ? expr.value : NaN;
  return Number.isInteger(literal) ? literal : undefined;
}

function integerArgument(expr: Expr | undefined, what: string): number | undefined {
  if (expr === undefined) return undefined;
  const literal = literalInteger(expr);
  if (literal === undefined) throw invalidQuery(`${what} must be an integer literal.`);
  return literal;
}

function stringArgument(expr: Expr | undefined): string | undefined {
  if (expr === undefined) return undefined;
  if (expr.kind === 'string') return expr.value;
  if (expr.kind === 'ref' && expr.path.length === 1) return expr.path[0];
  return undefined;
}

/** The argument a transform transforms; every transform takes exactly one. */
export function transformOperand(call: Call): Expr {
  const operand = call.args[0];
  if (!operand) {
    throw invalidQuery(
      `Transform '${call.name}' requires at least one argument (the measure), as in ${call.name}(revenue:sum).`,
    );
  }
  return operand;
}

/** Keyword arguments each transform takes, as SLayer allows them: only the rank family takes any. */
const TRANSFORM_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  rank: ['partition_by'],
  percent_rank: ['partition_by'],
  dense_rank: ['partition_by'],
  ntile: ['n', 'partition_by'],
};

/** Positional arguments each transform reads, the measure included: SLayer's offset and granularity. */
const TRANSFORM_POSITIONALS: Readonly<Record<string, number>> = {
  time_shift: 3,
  change: 3,
  change_pct: 3,
  lag: 2,
  lead: 2,
};

/**
 * A transform's arguments, checked before any is read: an argument it would
 * not read changes nothing, and an answer that silently ignores what the user
 * wrote (`cumsum(x, 3)`, `lag(x, n=2)`) is a wrong answer. SLayer's words
 * where SLayer refuses the same.
 */
export function checkTransformArguments(call: Call, formula: string): void {
  const rankFamily = call.name in TRANSFORM_KEYWORDS;
  const positionals = rankFamily ? 1 : (TRANSFORM_POSITIONALS[call.name] ?? 1);
  if (call.args.length > positionals) {
    throw invalidQuery(
      rankFamily
        ? `Transform '${call.name}' does not accept positional arguments beyond the measure; use keyword args ` +
            `(e.g. partition_by=, n=). Formula: ${repr(formula)}`
        : `Transform '${call.name}' takes ${positionalUsage(call.name)}; got ${call.args.length} arguments in formula ${repr(formula)}.`,
    );
  }
  const allowed = TRANSFORM_KEYWORDS[call.name] ?? [];
  for (const keyword of call.kwargs) {
    if (allowed.length === 0) {
      throw invalidQuery(
        `Transform '${call.name}' does not accept keyword arguments; got '${keyword.name}=' in formula ${repr(formula)}`,
      );
    }
    if (!allowed.includes(keyword.name)) {
      throw invalidQuery(
        `Transform '${call.name}' does not accept keyword '${keyword.name}'. Accepted kwargs: ${allowed.join(', ')}. ` +
          `Formula: ${repr(formula)}`,
      );
    }
  }
  const partition = call.kwargs.find((k) => k.name === 'partition_by')?.value;
  if (partition?.kind === 'call' && partition.name === LIST_CALL && partition.args.length === 0) {
    throw invalidQuery(
      `Transform '${call.name}': partition_by must reference at least one column in formula ${repr(formula)}`,
    );
  }
}

function positionalUsage(name: string): string {
  if (name === 'lag' || name === 'lead') return `the measure and an offset, as in ${name}(revenue:sum, 1)`;
  if (TRANSFORM_POSITIONALS[name] === 3) {
    return `the measure, an offset and a granularity, as in ${name}(revenue:sum, -1, 'year')`;
  }
  return `only the measure, as in ${name}(revenue:sum)`;
}

/** `lag(x, n)` / `lead(x, n)`: n defaults to 1. */
export function offsetOf(call: Call): number {
  return integerArgument(call.args[1], `${call.name}'s offset`) ?? 1;
}

/** `ntile(x, n=N)`: N is required and positive. `formula` is the text being compiled, for the message. */
export function bucketsOf(call: Call, formula: string): number {
  const given = call.kwargs.find((k) => k.name === 'n')?.value;
  if (given === undefined) {
    throw invalidQuery(
      `Transform 'ntile' requires keyword argument 'n' (positive integer) in formula ${repr(formula)}, ` +
        'as in ntile(revenue:sum, n=4).',
    );
  }
  const n = literalInteger(given);
  if (n === undefined || n <= 0) {
    const written = formula.slice(given.span.start, given.span.end) || '?';
    throw invalidQuery(`Transform 'ntile': n must be a positive integer, got ${written} in formula ${repr(formula)}.`);
  }
  return n;
}

/**
 * `time_shift(x, n)` shifts by n buckets of the query's grain; `time_shift(x, n, 'year')` by another grain.
 * `change` and `change_pct` compare with such a shift, one bucket back unless they say otherwise.
 */
export function shiftOf(call: Call, queryGrain: TimeGranularity): { amount: number; granularity: TimeGranularity } {
  const given = integerArgument(call.args[1], `${call.name}'s offset`);
  const amount = given ?? (call.name === 'time_shift' ? undefined : -1);
  if (amount === undefined) throw invalidQuery('time_shift needs an offset, as in time_shift(revenue:sum, -1).');
  const grainText = stringArgument(call.args[2]);
  if (grainText === undefined) return { amount, granularity: queryGrain };
  const granularity = TIME_GRANULARITIES.find((g) => g === grainText);
  if (!granularity)
    throw invalidQuery(`${call.name} granularity '${grainText}' is not one of ${TIME_GRANULARITIES.join(', ')}.`);
  return { amount, granularity };
}

/** `partition_by=region` or `partition_by=customers.region`: dotted names, as written. */
export function partitionNames(call: Call): string[][] {
  const value = call.kwargs.find((k) => k.name === 'partition_by')?.value;
  if (!value) return [];
  if (value.kind === 'ref') return [value.path];
  if (value.kind === 'string') return [value.value.split('.')];
  if (value.kind === 'call' && value.name === LIST_CALL) {
    return value.args.map((item) => {
      if (item.kind === 'ref') return item.path;
      throw invalidQuery('partition_by lists dimension names, as in partition_by=[region, channel].');
    });
  }
  throw invalidQuery('partition_by takes a dimension name, as in partition_by=region.');
}

interface WindowContext {
  /** The expression of the transform's argument over the previous layer's columns. */
  arg: string;
  /** PARTITION BY expressions: the query's other dimensions (time-ordered) or partition_by (rank family). */
  partition: readonly string[];
  /** ORDER BY expression for time-ordered transforms. */
  time: string | undefined;
}

function over(partition: readonly string[], order: string, frame = ''): string {
  const parts = [...(partition.length > 0 ? [`PARTITION BY ${partition.join(', ')}`] : []), `ORDER BY ${order}`];
  return `OVER (${parts.join(' ')}${frame})`;
}

const WHOLE_PARTITION = ' ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING';
const RUNNING = ' ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW';

/** The window expression of one transform (consecutive_periods is staged separately). */
export function windowSql(slot: WindowTransform, ctx: WindowContext, dialect: SqlDialect): string {
  const time = ctx.time ?? '';
  switch (slot.kind) {
    case 'cumsum':
      // The default frame, as SLayer emits it: rows tied on time share their running total.
      return `SUM(${ctx.arg}) ${over(ctx.partition, `${time} ASC`)}`;
    case 'lag':
    case 'lead':
      return `${slot.kind.toUpperCase()}(${ctx.arg}, ${slot.n ?? 1}) ${over(ctx.partition, `${time} ASC`)}`;
    case 'first':
      return `FIRST_VALUE(${ctx.arg}) ${over(ctx.partition, `${time} ASC`, WHOLE_PARTITION)}`;
    case 'last':
      return `FIRST_VALUE(${ctx.arg}) ${over(ctx.partition, `${time} DESC`, WHOLE_PARTITION)}`;
    case 'rank':
    case 'dense_rank':
    case 'percent_rank':
      // Highest first; NULLs last on every dialect (Postgres would otherwise rank them first).
      return `${slot.kind.toUpperCase()}() ${over(ctx.partition, dialect.orderTerm(ctx.arg, 'desc'))}`;
    case 'ntile':
      return `NTILE(${slot.n ?? 1}) ${over(ctx.partition, dialect.orderTerm(ctx.arg, 'desc'))}`;
    case 'consecutive_periods':
      throw invalidQuery('consecutive_periods is rendered in stages.');
  }
}

/**
 * consecutive_periods(predicate): the trailing run length where the predicate
 * holds. Stage one marks each row and numbers the runs (a new run starts at
 * every false row); stage two counts within the run.
 */
export function consecutiveStages(
  ctx: WindowContext,
  flag: string,
  group: string,
): { first: string[]; second: string } {
  const first = [
    `CASE WHEN ${ctx.arg} THEN 1 ELSE 0 END AS ${flag}`,
    `SUM(CASE WHEN ${ctx.arg} THEN 0 ELSE 1 END) ${over(ctx.partition, `${ctx.time ?? ''} ASC`, RUNNING)} AS ${group}`,
  ];
  const second = `CASE WHEN ${flag} = 1 THEN SUM(${flag}) ${over([...ctx.partition, group], `${ctx.time ?? ''} ASC`, RUNNING)} ELSE 0 END`;
  return { first, second };
}
