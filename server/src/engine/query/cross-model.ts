import type { SlayerError } from '../../../../shared/src/errors';
import { resolveJoinPath, type ModelCatalog } from '../catalog';
import { walk, type Expr, type NameRef } from '../formula/ast';
import type { ModelDef } from '../schema/types';
import { invalidQuery, withFormulaContext } from './errors';

/**
 * Where the outer query's references land inside a cross-model measure's
 * sub-query. SLayer roots that sub-query at the measure's own model and
 * re-reads every dimension and filter from there:
 * - a reference under the measure's join path loses that prefix
 *   (`policy_amount.premium.has_premium` seen from `policy_amount` is `premium.has_premium`);
 * - another dotted reference is kept as written when the target has that join itself;
 * - a column of the source model is reached through the target's join back to it
 *   (`policy_number` seen from `policy_amount` is `policy.policy_number`), or is the
 *   target's own column when the target is the source model reached again.
 * What the target cannot reach is reported, never guessed.
 */
export class CrossPlacement {
  constructor(
    private readonly root: ModelDef,
    private readonly path: readonly string[],
    private readonly target: ModelDef,
    private readonly catalog: ModelCatalog,
  ) {}

  /** The reference's parts as seen from the target, or undefined when the target cannot reach it. */
  place(parts: readonly string[]): string[] | undefined {
    const absolute = parts[0] === this.root.name && parts.length > 1 ? parts.slice(1) : [...parts];
    if (absolute.length > this.path.length && this.path.every((step, index) => absolute[index] === step)) {
      return absolute.slice(this.path.length);
    }
    if (absolute.length > 1 && this.reaches(absolute)) return absolute;
    // SLayer re-reads a source column as `<source>.<column>` from the target; when the target is the
    // source model itself (orders -> customers -> orders), that names the target's own column.
    if (this.target.name === this.root.name && this.reaches(absolute)) return absolute;
    const throughRoot = [this.root.name, ...absolute];
    return this.reaches(throughRoot) ? throughRoot : undefined;
  }

  /** The target's join back to the source model, when it declares one. */
  joinsBackToRoot(): boolean {
    return this.target.joins.some((join) => join.target_model === this.root.name);
  }

  /** A row filter re-read from the target, or the first reference it cannot reach. */
  placeExpr(expr: Expr): { placed: Expr } | { unreachable: NameRef } {
    const clone = structuredClone(expr);
    let unreachable: NameRef | undefined;
    walk(clone, (node) => {
      if (node.kind !== 'ref' || unreachable) return;
      const placed = this.place(node.path);
      if (placed) node.path = placed;
      else unreachable = { ...node, path: [...node.path] };
    });
    return unreachable ? { unreachable } : { placed: clone };
  }

  private reaches(parts: readonly string[]): boolean {
    const resolved = resolveJoinPath(this.target, parts.slice(0, -1), this.catalog);
    const leaf = parts[parts.length - 1];
    return resolved.ok && resolved.model.columns.some((column) => column.name === leaf);
  }

  /**
   * A filter the sub-query cannot apply is an error: dropping it would give
   * the measure a number for rows the user filtered out.
   */
  unplaceableFilter(what: string, text: string, measure: string, at?: NameRef): SlayerError {
    const reference = at ? `'${at.path.join('.')}'` : 'it';
    const error = invalidQuery(
      `${what} cannot be applied to the cross-model measure '${measure}': ${reference} is not reachable from ` +
        `model '${this.target.name}', which computes that measure in its own sub-query, so the filter would be ` +
        `silently ignored there. Add a join from '${this.target.name}' back to '${this.root.name}', ` +
        'or compute the measure in an earlier query stage.',
    );
    return at ? withFormulaContext(error, what, text, at.span) : withFormulaContext(error, what, text);
  }
}

/**
 * The measure's model as its sub-query reads it. When the target declares no
 * join back to the source, but the source's side of the (single) join is the
 * source's primary key, each target row belongs to at most one source row,
 * so the reversed join cannot fan out and is added. SLayer would drop the
 * source's dimensions there and broadcast one grand total onto every row
 * (policy -> policy_amount by policy_number): a wrong number with no error.
 * Where the source keys are not unique (orders -> customers), reversing would
 * count a customer once per order, so the target keeps SLayer's own grain.
 */
export function targetWithJoinBack(root: ModelDef, path: readonly string[], target: ModelDef): ModelDef {
  if (path.length !== 1 || target.joins.some((join) => join.target_model === root.name)) return target;
  const forward = root.joins.find((join) => join.target_model === path[0]);
  const keys = root.columns.filter((column) => column.primary_key).map((column) => column.name);
  if (!forward || keys.length === 0) return target;
  const sourceSide = new Set(forward.join_pairs.map(([source]) => source));
  if (!keys.every((key) => sourceSide.has(key))) return target;
  const back = forward.join_pairs.map(([source, destination]): [string, string] => [destination, source]);
  return { ...target, joins: [...target.joins, { target_model: root.name, join_pairs: back, join_type: 'inner' }] };
}
