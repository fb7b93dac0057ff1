import { findName, resolveJoinPath, resolveModelName, type ModelCatalog } from '../catalog';
import { stripOwnName } from '../check/formula-rules';
import { extend } from '../check/query-rules';
import type { ModelDef, QueryDef } from '../schema/types';
import type { Declaration, Reference, Scope, StageList } from './model';

/** What resolution reads: the models of a storage root, and the declaration of a decoded object. */
export interface ResolveContext {
  catalog(root: string | undefined): ModelCatalog;
  declarationOf(owner: object): Declaration | undefined;
}

/** What the unqualified names of a scope see: a model (with its joins), or an earlier stage's result columns. */
type View =
  | { kind: 'model'; model: ModelDef; self: Declaration | undefined }
  | { kind: 'stage'; columns: ReadonlyMap<string, Declaration>; self: Declaration | undefined };

/**
 * Resolves one use of a name the way the checks and the planner do: join
 * paths walked with `resolveJoinPath` (any depth), a redundant own-model
 * prefix dropped with `stripOwnName`, a stage's source looked up among its
 * sibling stages before the stored models.
 */
export function resolveReference(reference: Reference, ctx: ResolveContext): Declaration | undefined {
  const target = reference.target;
  const catalog = ctx.catalog(reference.root);
  switch (target.kind) {
    case 'model':
      return declared(bareModel(catalog, reference.name, target.dataSource), ctx);
    case 'datasource':
      return declared(catalog.getDatasource(reference.name), ctx);
    case 'source':
      return sourceDeclaration(reference.name, target.stage, target.list, catalog, ctx);
    case 'segment':
      return segmentDeclaration(reference.name, target.before, viewOf(target.scope, catalog, ctx), catalog, ctx);
    case 'member':
      return memberDeclaration(reference.name, target, viewOf(target.scope, catalog, ctx), catalog, ctx);
    case 'variable':
      return (
        target.list.variables.get(target.stage)?.get(reference.name) ?? target.list.hostVariables.get(reference.name)
      );
  }
}

/**
 * A quick test that rules out most uses before `resolveReference` walks
 * them: a member reached through a model lands on the model its join path
 * ends with (or on its own model), so a use cannot mean a column of any
 * other model. True means "maybe": the caller still resolves.
 */
export function mayResolveTo(reference: Reference, declaration: Declaration, ctx: ResolveContext): boolean {
  const target = reference.target;
  if (target.kind !== 'member' || target.scope.kind !== 'model' || !declaration.parent) return true;
  const last = target.before[target.before.length - 1];
  if (last !== undefined) return last === declaration.parent.name;
  return ctx.declarationOf(target.scope.model) === declaration.parent;
}

function declared(owner: object | undefined, ctx: ResolveContext): Declaration | undefined {
  return owner ? ctx.declarationOf(owner) : undefined;
}

/** Stages win over stored models of the same name, as in SLayer's query lists. */
function siblingStage(name: string, stage: QueryDef, list: StageList): QueryDef | undefined {
  return list.stages.find((other) => other !== stage && other.name === name);
}

function sourceDeclaration(
  name: string,
  stage: QueryDef,
  list: StageList,
  catalog: ModelCatalog,
  ctx: ResolveContext,
): Declaration | undefined {
  const sibling = siblingStage(name, stage, list);
  if (sibling) return list.declarations.get(sibling);
  return declared(bareModel(catalog, name, list.host?.data_source || undefined), ctx);
}

/** A bare model name by the engine's rule (resolveModelName); an ambiguous one means no declaration. */
function bareModel(catalog: ModelCatalog, name: string, prefer: string | undefined): ModelDef | undefined {
  const resolved = resolveModelName(catalog, name, prefer);
  return 'model' in resolved ? resolved.model : undefined;
}

function viewOf(scope: Scope, catalog: ModelCatalog, ctx: ResolveContext): View | undefined {
  if (scope.kind === 'model') return { kind: 'model', model: scope.model, self: ctx.declarationOf(scope.model) };
  const { stage, list } = scope;
  const source = stage.source_model;
  if (source.kind === 'inline') return { kind: 'model', model: source.model, self: ctx.declarationOf(source.model) };
  if (source.kind === 'extension') {
    const base = bareModel(catalog, source.extension.source_name, list.host?.data_source || undefined);
    return base ? { kind: 'model', model: extend(base, source.extension), self: ctx.declarationOf(base) } : undefined;
  }
  const sibling = siblingStage(source.name, stage, list);
  if (sibling) {
    return {
      kind: 'stage',
      columns: list.virtualColumns.get(sibling) ?? new Map(),
      self: list.declarations.get(sibling),
    };
  }
  const model = bareModel(catalog, source.name, list.host?.data_source || undefined);
  return model ? { kind: 'model', model, self: ctx.declarationOf(model) } : undefined;
}

/** The model a join path lands on; `steps` already had the own-model prefix dropped. */
function walkJoins(
  view: View & { kind: 'model' },
  steps: readonly string[],
  catalog: ModelCatalog,
): ModelDef | undefined {
  if (steps.length === 0) return view.model;
  const walked = resolveJoinPath(view.model, steps, catalog);
  return walked.ok ? walked.model : undefined;
}

function segmentDeclaration(
  name: string,
  before: readonly string[],
  view: View | undefined,
  catalog: ModelCatalog,
  ctx: ResolveContext,
): Declaration | undefined {
  // A stage's result has no joins of its own.
  if (view?.kind !== 'model') return undefined;
  const steps = stripOwnName([...before, name], view.model);
  if (steps.length === 0) return view.self;
  return declared(walkJoins(view, steps, catalog), ctx);
}

function memberDeclaration(
  name: string,
  target: { before: readonly string[]; mode: 'columns' | 'formula' },
  view: View | undefined,
  catalog: ModelCatalog,
  ctx: ResolveContext,
): Declaration | undefined {
  if (!view) return undefined;
  if (view.kind === 'stage') return target.before.length === 0 ? view.columns.get(name) : undefined;
  const owner = walkJoins(view, stripOwnName(target.before, view.model), catalog);
  const found = owner ? findName(owner, name) : undefined;
  if (!found) return undefined;
  if (found.kind === 'column') return ctx.declarationOf(found.column);
  return target.mode === 'formula' ? ctx.declarationOf(found.measure) : undefined;
}
