import { DiagnosticCode } from '../../../../shared/src/diagnostics';
import { resolveJoinPath, resolveModelName, type ModelCatalog } from '../catalog';
import { ambiguousModel, dagRootReferencedMessage } from '../query/errors';
import type { Path } from '../schema/decode';
import type { ColumnDef, ColumnRefDef, ModelDef, QueryDef } from '../schema/types';
import { suggestName } from '../suggest';
import { TIME_TYPES } from '../vocabulary';
import type { CheckContext } from './context';
import { checkFormulaReferences, parseAt } from './formula-rules';

/**
 * Non-final stages need names (later stages refer to them), and names are
 * unique. `model` names the query-backed model whose source_queries these
 * are; without it they are a query file's list. Worded as SLayer words each.
 */
export function checkQueryStages(stages: readonly QueryDef[], path: Path, ctx: CheckContext, model?: string): void {
  const seen = new Set<string>();
  stages.forEach((stage, i) => {
    const isLast = i === stages.length - 1;
    if (!stage.name && !isLast && stages.length > 1) {
      ctx.error(
        DiagnosticCode.StageRules,
        ctx.at([...path, i]),
        model === undefined
          ? "Every non-final entry in a query list must have a 'name' (siblings reference each other by name)."
          : `Model '${model}': non-final stage at index ${i} in source_queries must have a 'name'.`,
      );
    }
    if (stage.name && seen.has(stage.name)) {
      ctx.error(
        DiagnosticCode.StageRules,
        ctx.at([...path, i, 'name']),
        model === undefined
          ? `Duplicate stage name '${stage.name}' in query list.`
          : `Model '${model}': duplicate stage name(s) in source_queries: ['${stage.name}'].`,
      );
    }
    if (stage.name) seen.add(stage.name);
  });
}

/**
 * Checks a query file's stages against the workspace: each stage's source,
 * measures, dimensions, time dimensions and filters. The named stages before
 * the last are visible to each other as models, in any order (SLayer runs
 * them in dependency order); their columns are not known until the engine
 * runs them, so references into them are not checked here. The last stage is
 * the DAG root, which no other stage may read.
 */
export function checkQueryFile(stages: readonly QueryDef[], isList: boolean, ctx: CheckContext): void {
  checkQueryStages(stages, [], ctx);
  const siblings = stages.slice(0, -1).flatMap((stage) => (stage.name ? [stage.name] : []));
  const rootName = stages.length > 1 ? stages[stages.length - 1]?.name : undefined;
  stages.forEach((stage, i) => {
    const path = isList ? [i] : [];
    const rootReference = rootName && i < stages.length - 1 ? referencePath(stage, path, rootName) : undefined;
    if (rootName && rootReference) {
      ctx.error(
        DiagnosticCode.StageRules,
        ctx.at(rootReference),
        dagRootReferencedMessage(rootName, [stage.name ?? `stage ${i}`]),
      );
      return;
    }
    checkStage(stage, path, new Set(siblings.filter((name) => name !== stage.name)), ctx);
  });
}

function sourceName(query: QueryDef): string | undefined {
  const source = query.source_model;
  if (source.kind === 'inline') return undefined;
  return source.kind === 'name' ? source.name : source.extension.source_name;
}

/** Where a stage names `target`, as the engine reads it (referencedNames): its source, or a join of its source. */
function referencePath(query: QueryDef, path: Path, target: string): Path | undefined {
  const source = query.source_model;
  if (sourceName(query) === target) return sourcePath(query, path);
  const joins =
    source.kind === 'extension' ? (source.extension.joins ?? []) : source.kind === 'inline' ? source.model.joins : [];
  const index = joins.findIndex((join) => join.target_model === target);
  return index < 0 ? undefined : [...path, 'source_model', 'joins', index, 'target_model'];
}

function sourcePath(query: QueryDef, path: Path): Path {
  return query.source_model.kind === 'extension' ? [...path, 'source_model', 'source_name'] : [...path, 'source_model'];
}

function checkStage(query: QueryDef, path: Path, siblingStages: ReadonlySet<string>, ctx: CheckContext): void {
  const model = sourceModel(query, path, siblingStages, ctx);
  if (!model) return;
  const measureNames = new Set(query.measures?.flatMap((m) => (m.name ? [m.name] : [])) ?? []);
  query.measures?.forEach((measure, i) => {
    const formulaPath = [...path, 'measures', i, 'formula'];
    const expr = parseAt(measure.formula, formulaPath, ctx, 'formula');
    const source = { kind: 'formula', text: measure.formula } as const;
    if (expr) checkFormulaReferences(expr, formulaPath, { model, extraNames: measureNames, source }, ctx);
  });
  query.dimensions?.forEach((ref, i) => checkDimension(model, ref, [...path, 'dimensions', i], ctx, false));
  query.time_dimensions?.forEach((td, i) =>
    checkDimension(model, td.dimension, [...path, 'time_dimensions', i, 'dimension'], ctx, true),
  );
  query.filters?.forEach((filter, i) => {
    const filterPath = [...path, 'filters', i];
    const expr = parseAt(filter, filterPath, ctx, 'filter');
    const source = { kind: 'filter', text: filter } as const;
    if (expr) checkFormulaReferences(expr, filterPath, { model, extraNames: measureNames, source }, ctx);
  });
  checkMainTimeDimension(query, path, ctx);
}

/** The model a stage reads from; undefined when unknown (reported) or not checkable statically. */
function sourceModel(
  query: QueryDef,
  path: Path,
  siblingStages: ReadonlySet<string>,
  ctx: CheckContext,
): ModelDef | undefined {
  const source = query.source_model;
  if (source.kind === 'inline') return source.model;
  const name = source.kind === 'name' ? source.name : source.extension.source_name;
  if (siblingStages.has(name)) return undefined;
  const span = ctx.at(sourcePath(query, path));
  // A query file belongs to no data source: only priority.yaml can choose among same-named models.
  const resolved = resolveModelName(ctx.catalog, name, undefined);
  if ('ambiguous' in resolved) {
    ctx.error(DiagnosticCode.AmbiguousModel, span, ambiguousModel(name, resolved.ambiguous).message);
    return undefined;
  }
  const model = resolved.model;
  if (!model) {
    const named = suggestName(name, [...ctx.catalog.modelNames(), ...siblingStages]);
    ctx.error(DiagnosticCode.UnknownModel, span, `Model '${name}' not found.${named.hint}`, named.suggestion);
    return undefined;
  }
  if (model.source_queries?.length && model.columns.length === 0) return undefined;
  return source.kind === 'extension' ? extend(model, source.extension) : model;
}

/** A model as a ModelExtension source sees it: the stored model plus the extension's columns, measures and joins. */
export function extend(
  model: ModelDef,
  extension: { columns?: ColumnDef[]; measures?: ModelDef['measures']; joins?: ModelDef['joins'] },
): ModelDef {
  return {
    ...model,
    columns: [...model.columns, ...(extension.columns ?? [])],
    measures: [...model.measures, ...(extension.measures ?? [])],
    joins: [...model.joins, ...(extension.joins ?? [])],
  };
}

function checkDimension(model: ModelDef, ref: ColumnRefDef, path: Path, ctx: CheckContext, mustBeTime: boolean): void {
  const owner = dimensionOwner(model, ref, path, ctx.catalog, ctx);
  if (!owner) return;
  const column = owner.columns.find((c) => c.name === ref.name);
  if (!column) {
    const named = suggestName(
      ref.name,
      owner.columns.map((c) => c.name),
    );
    ctx.error(
      DiagnosticCode.UnknownReference,
      ctx.at(path),
      `Column '${ref.name}' not found in model '${owner.name}'.${named.hint}`,
      named.suggestion,
    );
    return;
  }
  if (mustBeTime && !TIME_TYPES.has(column.type)) {
    ctx.warning(
      DiagnosticCode.InvalidValue,
      ctx.at(path),
      `Time dimension '${ref.name}' is a ${column.type} column, not DATE or TIMESTAMP.`,
    );
  }
}

function dimensionOwner(
  model: ModelDef,
  ref: ColumnRefDef,
  path: Path,
  catalog: ModelCatalog,
  ctx: CheckContext,
): ModelDef | undefined {
  if (!ref.model) return model;
  const parts = ref.model.split('.');
  // SLayer strips a redundant leading "<source model>." prefix.
  const steps = parts[0] === model.name ? parts.slice(1) : parts;
  const resolved = resolveJoinPath(model, steps, catalog);
  if (resolved.ok) return resolved.model;
  const named = suggestName(steps[resolved.failedAt] ?? '', resolved.suggestions);
  ctx.error(DiagnosticCode.UnknownModel, ctx.at(path), `${resolved.message}${named.hint}`, named.suggestion);
  return undefined;
}

function checkMainTimeDimension(query: QueryDef, path: Path, ctx: CheckContext): void {
  const main = query.main_time_dimension;
  if (main === undefined) return;
  const names = query.time_dimensions?.map((td) => td.dimension.name) ?? [];
  if (!names.includes(main.split('.').pop() ?? main)) {
    ctx.error(
      DiagnosticCode.UnknownReference,
      ctx.at([...path, 'main_time_dimension']),
      `main_time_dimension '${main}' is not in the query's time_dimensions (${names.join(', ') || 'none'}).`,
    );
  }
}
