import type { AggregateRef, Expr, Kwarg } from '../formula/ast';
import type { ColumnDef, ModelDef } from '../schema/types';
import { aggregationRefusal } from '../check/formula-rules';
import { BUILTIN_AGGREGATIONS, normalizeAggregationName, REQUIRED_AGGREGATION_PARAMS } from '../vocabulary';
import {
  invalidQuery,
  missingParameterMessage,
  requireColumn,
  starAggregationMessage,
  unknownName,
  unsupported,
} from './errors';
import type { SourceScope, TableNode } from './scope';
import type { SqlDialect } from '../sql/dialect';

/** One aggregate a query computes, keyed by SLayer's canonical name (`amount_sum`, `_count`). */
export interface AggregateSpec {
  table: TableNode;
  /** undefined for `*`. */
  column: ColumnDef | undefined;
  aggregation: string;
  /** Stringified positional args and kwargs, quotes stripped, as SLayer keeps them. */
  args: string[];
  kwargs: Record<string, string>;
  canonicalName: string;
}

/** Time ordering for `:first`/`:last`; supplied by the planner, which knows the query. */
export interface RankColumns {
  rankColumn(spec: AggregateSpec): string;
}

const NON_IDENTIFIER = /\W+/g;

function sanitize(text: string): string {
  return text.replace(NON_IDENTIFIER, '_').replace(/^_+|_+$/g, '');
}

/** SLayer's canonical hidden name: `revenue_sum`, `_count`, `revenue_percentile_p_0_5`. */
export function canonicalAggregateName(
  column: string,
  aggregation: string,
  args: readonly string[],
  kwargs: Readonly<Record<string, string>>,
): string {
  const parts: string[] = [];
  for (const arg of args) {
    const part = sanitize(arg);
    if (part) parts.push(part);
  }
  for (const key of Object.keys(kwargs).sort()) {
    const name = sanitize(key);
    const value = sanitize(kwargs[key] ?? '');
    if (name) parts.push(name);
    if (value) parts.push(value);
  }
  const suffix = parts.length > 0 ? `_${parts.join('_')}` : '';
  return column === '*' ? `_${aggregation}${suffix}` : `${column}_${aggregation}${suffix}`;
}

/** The literal text of an aggregation argument: a column name, a number, or a quoted string's content. */
function argumentText(expr: Expr): string {
  switch (expr.kind) {
    case 'number':
      return expr.text;
    case 'string':
      return expr.value;
    case 'ref':
      return expr.path.join('.');
    case 'unary':
      if (expr.op === '-' && expr.operand.kind === 'number') return `-${expr.operand.text}`;
      break;
    default:
      break;
  }
  throw invalidQuery('Aggregation arguments must be column names, numbers or quoted strings.');
}

function kwargsOf(kwargs: readonly Kwarg[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kwarg of kwargs) out[kwarg.name] = argumentText(kwarg.value);
  return out;
}

/** Resolves `path.column:agg(args)` against its model and checks SLayer's eligibility rules. */
export function resolveAggregate(ref: AggregateRef, scope: SourceScope, from: TableNode): AggregateSpec {
  const targetPath = ref.target === '*' ? [] : ref.target;
  const table = scope.reach(from, targetPath.slice(0, -1));
  const columnName = ref.target === '*' ? '*' : (targetPath[targetPath.length - 1] ?? '');
  const aggregation = normalizeAggregationName(ref.aggregation);
  const args = ref.args.map(argumentText);
  const kwargs = kwargsOf(ref.kwargs);
  if (columnName === '*') {
    if (aggregation !== 'count') {
      throw invalidQuery(starAggregationMessage(aggregation));
    }
    return {
      table,
      column: undefined,
      aggregation,
      args,
      kwargs,
      canonicalName: canonicalAggregateName('*', aggregation, args, kwargs),
    };
  }
  const column = requireColumn(table.model, columnName);
  checkAggregationName(aggregation, table.model);
  const refusal = aggregationRefusal(column, aggregation, table.model);
  if (refusal) throw invalidQuery(refusal);
  checkRequiredParams(aggregation, columnName, args, kwargs, table.model);
  return {
    table,
    column,
    aggregation,
    args,
    kwargs,
    canonicalName: canonicalAggregateName(columnName, aggregation, args, kwargs),
  };
}

function checkAggregationName(aggregation: string, model: ModelDef): void {
  const known = [...BUILTIN_AGGREGATIONS, ...model.aggregations.map((a) => a.name)];
  if (known.includes(aggregation)) return;
  throw unknownName(`Unknown aggregation '${aggregation}'.`, aggregation, known);
}

function checkRequiredParams(
  aggregation: string,
  column: string,
  args: readonly string[],
  kwargs: Readonly<Record<string, string>>,
  model: ModelDef,
): void {
  const defaults = model.aggregations.find((a) => a.name === aggregation)?.params ?? [];
  for (const param of REQUIRED_AGGREGATION_PARAMS[aggregation] ?? []) {
    const given = param in kwargs || (param === 'p' && args.length > 0) || defaults.some((d) => d.name === param);
    if (!given) throw invalidQuery(missingParameterMessage(aggregation, param, column));
  }
}

/** Wraps a row-level value so rows outside the column's `filter` contribute NULL. */
function filtered(value: string, filterSql: string | undefined): string {
  return filterSql === undefined ? value : `CASE WHEN ${filterSql} THEN ${value} END`;
}

/** Column references in aggregation parameters resolve on the measure's own model. */
function paramSql(text: string, spec: AggregateSpec, scope: SourceScope, filterSql: string | undefined): string {
  if (/^-?\d+(\.\d+)?$/.test(text)) return text;
  const column = spec.table.model.columns.find((candidate) => candidate.name === text);
  if (column) return filtered(scope.columnSql(spec.table, column), filterSql);
  if (/^\w+$/.test(text)) {
    throw unknownName(
      `Aggregation '${spec.aggregation}' parameter '${text}' is not a column of model '${spec.table.model.name}'.`,
      text,
      spec.table.model.columns.map((candidate) => candidate.name),
    );
  }
  // A model-level default may be any SQL expression over the model's columns.
  return filtered(scope.qualifySnippet(spec.table, text), filterSql);
}

function percentileArgument(spec: AggregateSpec): string {
  const p =
    spec.kwargs['p'] ??
    spec.args[0] ??
    spec.table.model.aggregations.find((a) => a.name === 'percentile')?.params.find((x) => x.name === 'p')?.sql;
  const value = Number(p);
  if (p === undefined || !Number.isFinite(value)) {
    throw invalidQuery(`Aggregation 'percentile' parameter 'p' must be a numeric literal in [0, 1]; got '${p ?? ''}'.`);
  }
  if (value < 0 || value > 1) throw invalidQuery(`Aggregation 'percentile' parameter 'p' must be in [0, 1]; got ${p}.`);
  return p;
}

/** The aggregate SQL of one spec, in the scope's dialect. */
export function aggregateSql(spec: AggregateSpec, scope: SourceScope, ranks: RankColumns): string {
  const { dialect } = scope;
  const filterSql = spec.column?.filter ? scope.qualifySnippet(spec.table, spec.column.filter) : undefined;
  if (spec.column === undefined) {
    return 'COUNT(*)';
  }
  const raw = scope.columnSql(spec.table, spec.column);
  const value = filtered(raw, filterSql);
  const custom = spec.table.model.aggregations.find((a) => a.name === spec.aggregation);
  if (custom?.formula) return templateAggregate(custom.formula, custom.params, spec, scope, value, filterSql);
  switch (spec.aggregation) {
    case 'sum':
    case 'avg':
    case 'min':
    case 'max':
    case 'count':
      if (spec.kwargs['window'] !== undefined)
        throw unsupported(`Windowed aggregations (window='${spec.kwargs['window']}') are not supported yet.`);
      return spec.aggregation === 'avg' ? dialect.average(value) : `${spec.aggregation.toUpperCase()}(${value})`;
    case 'count_distinct':
      return `COUNT(DISTINCT ${value})`;
    case 'count_distinct_approx':
      return dialect.countDistinctApprox(value);
    case 'median':
      return dialect.median(value);
    case 'percentile':
      return dialect.percentile(value, percentileArgument(spec));
    case 'stddev_samp':
    case 'stddev_pop':
    case 'var_samp':
    case 'var_pop':
      return dialect.statistic(spec.aggregation, value);
    case 'corr':
    case 'covar_samp':
    case 'covar_pop':
      return covariance(spec, scope, raw, filterSql);
    case 'weighted_avg':
      return templateAggregate(weightedAverage(dialect), [], spec, scope, value, filterSql);
    case 'first':
    case 'last': {
      const rank = ranks.rankColumn(spec);
      return `MAX(CASE WHEN ${rank} = 1${filterSql ? ` AND ${filterSql}` : ''} THEN ${raw} END)`;
    }
    default:
      throw invalidQuery(
        `Aggregation '${spec.aggregation}' has no formula. Custom aggregations must define a formula.`,
      );
  }
}

/** SLayer's weighted mean, its divisor a float so integer weights do not divide as integers. */
function weightedAverage(dialect: SqlDialect): string {
  const weights = dialect.castToDeclared('SUM({weight})', 'DOUBLE') ?? 'SUM({weight})';
  return `SUM({value} * {weight}) / NULLIF(${weights}, 0)`;
}

/** Both sides NULL-guarded against each other, as Postgres' two-argument aggregates see them. */
function covariance(spec: AggregateSpec, scope: SourceScope, raw: string, filterSql: string | undefined): string {
  const name = spec.aggregation as 'corr' | 'covar_samp' | 'covar_pop';
  const otherName =
    spec.kwargs['other'] ??
    spec.table.model.aggregations.find((a) => a.name === name)?.params.find((p) => p.name === 'other')?.sql;
  if (otherName === undefined) throw invalidQuery(`Aggregation '${name}' requires parameter 'other'.`);
  const other = paramSql(otherName, spec, scope, undefined);
  return scope.dialect.covariance(name, filtered(raw, filterSql), filtered(other, filterSql));
}

function templateAggregate(
  template: string,
  defaults: readonly { name: string; sql: string }[],
  spec: AggregateSpec,
  scope: SourceScope,
  value: string,
  filterSql: string | undefined,
): string {
  const params: Record<string, string> = {};
  for (const param of defaults) params[param.name] = param.sql;
  Object.assign(params, spec.kwargs);
  for (const [name, given] of Object.entries(spec.kwargs)) {
    if (!/^[\w.]+$/.test(given)) {
      throw invalidQuery(
        `Unsafe value '${given}' for parameter '${name}' in aggregation '${spec.aggregation}'. Parameter values must ` +
          "be column names (e.g., 'quantity') or numeric literals (e.g., '0.95').",
      );
    }
  }
  let sql = template.split('{value}').join(value);
  for (const [name, given] of Object.entries(params)) {
    sql = sql.split(`{${name}}`).join(paramSql(given, spec, scope, filterSql));
  }
  const missing = /\{(\w+)\}/.exec(sql);
  if (missing) {
    throw invalidQuery(
      `Aggregation '${spec.aggregation}' requires parameter '${missing[1] ?? ''}'. Set it in the model's aggregation ` +
        `definition or at query time (e.g., 'measure:${spec.aggregation}(${missing[1] ?? ''}=column)').`,
    );
  }
  return sql;
}
