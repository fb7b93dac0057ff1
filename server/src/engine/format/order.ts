/**
 * Puts each SLayer mapping's keys in SLayer's order. Known keys first, in
 * the class's field order; unknown keys after them, in the author's order;
 * YAML's merge key first of all. Two entries tied by an anchor (one uses an
 * anchor the other defines, or both define the same name) keep their
 * relative order, or an alias could end up before its anchor or refer to
 * another one; when SLayer's order would swap them, the mapping keeps the
 * author's order.
 */
import type { SlayerFileKind } from '../document';
import { MERGE_KEY, rootShape, type Shape, type ShapePick } from './shapes';
import type { Collection, Entry, Leaf } from './tree';

export function orderTree(root: Collection, kind: SlayerFileKind): void {
  const shape = rootShape(kind);
  if (root.kind === 'map') orderMap(root, shape);
  // A query file may hold a list of stages, each one query.
  else if (kind === 'query') orderEach(root, () => shape);
}

function orderMap(map: Collection, shape: Shape): void {
  map.entries = sortedEntries(map.entries, shape);
  for (const entry of map.entries) {
    const name = entry.key?.name;
    const pick = name === undefined ? undefined : shape.nested[name];
    if (pick) orderNested(entry.value, pick);
  }
}

/** The mapping under a key, or each mapping in the list under it. */
function orderNested(value: Leaf | Collection | undefined, pick: ShapePick): void {
  if (value?.kind === 'map') orderPicked(value, pick);
  else if (value?.kind === 'seq') orderEach(value, pick);
}

function orderEach(list: Collection, pick: ShapePick): void {
  for (const item of list.entries) if (item.value?.kind === 'map') orderPicked(item.value, pick);
}

function orderPicked(map: Collection, pick: ShapePick): void {
  const keys = new Set(map.entries.flatMap((entry) => (entry.key?.name === undefined ? [] : [entry.key.name])));
  const shape = pick(keys);
  if (shape) orderMap(map, shape);
}

function sortedEntries(entries: readonly Entry[], shape: Shape): Entry[] {
  const rank = (entry: Entry): number => {
    const name = entry.key?.name;
    if (name === MERGE_KEY) return -1;
    const index = name === undefined ? -1 : shape.order.indexOf(name);
    return index < 0 ? shape.order.length : index;
  };
  // Array.prototype.sort is stable: unknown keys (equal rank) keep the author's order.
  const sorted = [...entries].sort((a, b) => rank(a) - rank(b));
  return keepsAnchorOrder(entries, sorted) ? sorted : [...entries];
}

function keepsAnchorOrder(before: readonly Entry[], after: readonly Entry[]): boolean {
  const position = new Map(after.map((entry, i) => [entry, i]));
  return before.every((a, i) =>
    before.slice(i + 1).every((b) => !tiedByAnchor(a, b) || (position.get(a) ?? 0) < (position.get(b) ?? 0)),
  );
}

function tiedByAnchor(a: Entry, b: Entry): boolean {
  return shares(a.aliases, b.anchors) || shares(b.aliases, a.anchors) || shares(a.anchors, b.anchors);
}

function shares(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return [...a].some((name) => b.has(name));
}
