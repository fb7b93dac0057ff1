import { DiagnosticCode } from '../../../../shared/src/diagnostics';
import { findName, namesOf, resolveJoinPath } from '../catalog';
import { walk, type AggregateRef, type Call, type Expr, type NameRef } from '../formula/ast';
import { FormulaSyntaxError } from '../formula/lexer';
import { LIST_CALL, parseFormula } from '../formula/parser';
import { unknownFunctionMessage, type FormulaSource } from '../query/compile';
import {
  filterJoinedColumnMessage,
  filterNotInJoinsMessage,
  filterUnknownNameMessage,
  missingParameterMessage,
  pyList,
  repr,
  starAggregationMessage,
} from '../query/errors';
import type { Path } from '../schema/decode';
import type { ColumnDef, ModelDef } from '../schema/types';
import { suggestName } from '../suggest';
import {
  ALL_TRANSFORMS,
  BUILTIN_AGGREGATIONS,
  DEFAULT_AGGREGATIONS_BY_TYPE,
  normalizeAggregationName,
  PRIMARY_KEY_AGGREGATIONS,
  REQUIRED_AGGREGATION_PARAMS,
  SCALAR_FUNCTIONS,
} from '../vocabulary';
import type { CheckContext } from './context';
import { checkIntegerDivision } from './division-rules';

/** The names a formula may use besides the model's own: a query's other measures and aliases. */
export interface FormulaScope {
  model: ModelDef;
  extraNames?: ReadonlySet<string>;
  /** The formula or filter as written, for messages worded as the engine words them. */
  source?: FormulaSource;
}

/**
 * Parses a formula, reporting a syntax error at its exact characters in the
 * engine's (SLayer's) words; undefined when it does not parse.
 */
export function parseAt(text: string, path: Path, ctx: CheckContext, kind: FormulaSource['kind']): Expr | undefined {
  try {
    return parseFormula(text);
  } catch (error) {
    if (!(error instanceof FormulaSyntaxError)) throw error;
    const message = error.standalone ? error.message : `Invalid ${kind} syntax: ${repr(text)} — ${error.message}`;
    ctx.error(DiagnosticCode.FormulaSyntax, ctx.inside(path, error.span), message);
    return undefined;
  }
}

/**
 * Checks every name, aggregation and function a formula uses against its
 * model and the joins it reaches, and each `/` its model's engine would
 * truncate (division-rules.ts).
 */
export function checkFormulaReferences(expr: Expr, path: Path, scope: FormulaScope, ctx: CheckContext): void {
  walk(expr, (node) => {
    if (node.kind === 'call') checkCall(node, path, scope, ctx);
    else if (node.kind === 'agg') checkAggregate(node, path, scope, ctx);
    else if (node.kind === 'ref') checkNameRef(node, path, scope, ctx);
  });
  if (scope.source) checkIntegerDivision(expr, path, scope.model, scope.source.text, ctx);
}

function checkCall(call: Call, path: Path, scope: FormulaScope, ctx: CheckContext): void {
  if (call.name === LIST_CALL || ALL_TRANSFORMS.has(call.name) || SCALAR_FUNCTIONS.has(call.name.toLowerCase())) return;
  const known = [...ALL_TRANSFORMS, ...SCALAR_FUNCTIONS];
  const named = suggestName(call.name, known);
  ctx.error(
    DiagnosticCode.UnknownReference,
    ctx.inside(path, call.nameSpan),
    `${unknownFunctionMessage(call.name, scope.source)}${named.hint}`,
    named.suggestion,
  );
}

function checkNameRef(ref: NameRef, path: Path, scope: FormulaScope, ctx: CheckContext): void {
  const leaf = ref.path[ref.path.length - 1] ?? '';
  const owner = ownerModel(ref.path.slice(0, -1), ref, path, scope, ctx);
  if (!owner) return;
  if (findName(owner, leaf)) return;
  if (owner === scope.model && scope.extraNames?.has(leaf)) return;
  const candidates = owner === scope.model ? [...namesOf(owner), ...(scope.extraNames ?? [])] : namesOf(owner);
  const named = suggestName(leaf, candidates);
  ctx.error(
    DiagnosticCode.UnknownReference,
    ctx.inside(path, ref.span),
    `${unknownNameMessage(ref, leaf, owner, scope)}${named.hint}`,
    named.suggestion,
  );
}

/** The engine's words for a name that resolves to nothing: SLayer's for filters and measures. */
function unknownNameMessage(ref: NameRef, leaf: string, owner: ModelDef, scope: FormulaScope): string {
  const local = stripOwnName(ref.path.slice(0, -1), scope.model);
  if (scope.source?.kind === 'filter') {
    if (local.length === 0) return filterUnknownNameMessage(leaf, scope.model.name);
    return filterJoinedColumnMessage([...local, leaf].join('.'), leaf, local.join('.'));
  }
  const what = `'${leaf}' is not a column or measure of model '${owner.name}'.`;
  return scope.source && local.length === 0 ? `Bare measure name '${leaf}' is not valid: ${what}` : what;
}

/** The model a dotted prefix lands on; reports a broken join path and returns undefined. */
function ownerModel(
  prefix: string[],
  node: Expr,
  path: Path,
  scope: FormulaScope,
  ctx: CheckContext,
): ModelDef | undefined {
  if (prefix.length === 0) return scope.model;
  const steps = stripOwnName(prefix, scope.model);
  if (steps.length === 0) return scope.model;
  const resolved = resolveJoinPath(scope.model, steps, ctx.catalog);
  if (resolved.ok) return resolved.model;
  const named = suggestName(steps[resolved.failedAt] ?? '', resolved.suggestions);
  const head = steps[0] ?? '';
  // A filter's column whose first step is no join of the source model: SLayer's words, as the engine says them.
  const notInJoins =
    scope.source?.kind === 'filter' && node.kind === 'ref' && !scope.model.joins.some((j) => j.target_model === head);
  const message = notInJoins
    ? filterNotInJoinsMessage([...steps, node.path[node.path.length - 1] ?? ''].join('.'), head, scope.model.name)
    : resolved.message;
  ctx.error(
    DiagnosticCode.UnknownModel,
    ctx.inside(path, node.kind === 'agg' ? node.targetSpan : node.span),
    `${message}${named.hint}`,
    named.suggestion,
  );
  return undefined;
}

/** SLayer drops a redundant "<source model>." prefix (orders.revenue:sum on orders) unless a join has that name. */
export function stripOwnName(prefix: readonly string[], model: ModelDef): string[] {
  const selfJoin = model.joins.some((join) => join.target_model === model.name);
  return prefix[0] === model.name && !selfJoin ? prefix.slice(1) : [...prefix];
}

/** `*:count` and `customers.*:count` are the only aggregations of `*`. */
function checkStarCount(agg: AggregateRef, aggregation: string, path: Path, ctx: CheckContext): void {
  if (aggregation === 'count') return;
  ctx.error(
    DiagnosticCode.AggregationNotAllowed,
    ctx.inside(path, agg.aggregationSpan),
    starAggregationMessage(aggregation),
  );
}

function checkAggregate(agg: AggregateRef, path: Path, scope: FormulaScope, ctx: CheckContext): void {
  const aggregation = normalizeAggregationName(agg.aggregation);
  if (agg.target === '*') {
    checkStarCount(agg, aggregation, path, ctx);
    return;
  }
  const owner = ownerModel(agg.target.slice(0, -1), agg, path, scope, ctx);
  if (!owner) return;
  const columnName = agg.target[agg.target.length - 1] ?? '';
  if (columnName === '*') {
    checkStarCount(agg, aggregation, path, ctx);
    return;
  }
  const column = owner.columns.find((candidate) => candidate.name === columnName);
  if (!column) {
    const named = suggestName(
      columnName,
      owner.columns.map((c) => c.name),
    );
    ctx.error(
      DiagnosticCode.UnknownReference,
      ctx.inside(path, agg.targetSpan),
      `Column '${columnName}' not found in model '${owner.name}'.${named.hint}`,
      named.suggestion,
    );
    return;
  }
  if (!isKnownAggregation(aggregation, owner)) {
    const known = [...BUILTIN_AGGREGATIONS, ...owner.aggregations.map((a) => a.name)];
    const named = suggestName(agg.aggregation, known);
    ctx.error(
      DiagnosticCode.UnknownAggregation,
      ctx.inside(path, agg.aggregationSpan),
      `Unknown aggregation '${agg.aggregation}'.${named.hint}`,
      named.suggestion,
    );
    return;
  }
  const refusal = aggregationRefusal(column, aggregation, owner);
  if (refusal) {
    const allowed = [...BUILTIN_AGGREGATIONS, ...owner.aggregations.map((a) => a.name)].filter(
      (candidate) => aggregationRefusal(column, candidate, owner) === undefined,
    );
    ctx.error(DiagnosticCode.AggregationNotAllowed, ctx.inside(path, agg.span), refusal, {
      wrong: agg.aggregation,
      replacements: allowed,
      allow: { model: owner.name, column: column.name, aggregation, allowed },
    });
  }
  checkRequiredParams(agg, aggregation, owner, path, ctx);
}

function isKnownAggregation(name: string, model: ModelDef): boolean {
  return BUILTIN_AGGREGATIONS.has(name) || model.aggregations.some((a) => a.name === name);
}

/** Why `column:aggregation` is refused, following SLayer's whitelist, primary-key and type rules. */
export function aggregationRefusal(column: ColumnDef, aggregation: string, model: ModelDef): string | undefined {
  if (column.allowed_aggregations) {
    if (column.allowed_aggregations.includes(aggregation)) return undefined;
    return `Aggregation '${aggregation}' not allowed for column '${column.name}'. Allowed: ${pyList(column.allowed_aggregations)}.`;
  }
  if (column.primary_key) {
    if (PRIMARY_KEY_AGGREGATIONS.has(aggregation)) return undefined;
    return `Aggregation '${aggregation}' not allowed for primary-key column '${column.name}'. Allowed: ${pyList([...PRIMARY_KEY_AGGREGATIONS].sort())}.`;
  }
  const isCustomOnly = !BUILTIN_AGGREGATIONS.has(aggregation) && model.aggregations.some((a) => a.name === aggregation);
  if (isCustomOnly) return undefined;
  if (DEFAULT_AGGREGATIONS_BY_TYPE[column.type].has(aggregation)) return undefined;
  const defaults = [...DEFAULT_AGGREGATIONS_BY_TYPE[column.type]].sort();
  return `Aggregation '${aggregation}' is not applicable to ${column.type} column '${column.name}' in model '${model.name}'. Default aggregations: ${pyList(defaults)}.`;
}

function checkRequiredParams(
  agg: AggregateRef,
  aggregation: string,
  model: ModelDef,
  path: Path,
  ctx: CheckContext,
): void {
  const required = REQUIRED_AGGREGATION_PARAMS[aggregation] ?? [];
  const override = model.aggregations.find((a) => a.name === aggregation);
  for (const param of required) {
    const given = agg.kwargs.some((k) => k.name === param) || (param === 'p' && agg.args.length > 0);
    const defaulted = override?.params.some((p) => p.name === param) ?? false;
    if (!given && !defaulted) {
      ctx.error(
        DiagnosticCode.MissingAggregationParam,
        ctx.inside(path, agg.span),
        missingParameterMessage(aggregation, param, agg.target === '*' ? '*' : agg.target.join('.')),
      );
    }
  }
}

/** Bare single names a formula uses; these are what named measures expand. */
export function bareNames(expr: Expr): NameRef[] {
  const refs: NameRef[] = [];
  walk(expr, (node) => {
    if (node.kind === 'ref' && node.path.length === 1) refs.push(node);
  });
  return refs;
}
