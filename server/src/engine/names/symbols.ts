import type { Span } from '../schema/source';
import type { QueryDef } from '../schema/types';
import type { FileNames } from './extract';
import type { Declaration, DeclarationKind } from './model';
import type { NameTable } from './table';

/** One entry of a file's outline. */
export interface OutlineNode {
  name: string;
  kind: DeclarationKind | 'query';
  detail?: string;
  /** The name's characters, what the editor selects. */
  span: Span;
  /** The whole entry, what the outline's range covers. */
  extent: Span;
  children: OutlineNode[];
}

/**
 * A file's outline from its declarations: a model with its columns,
 * measures, joins and variables; a query file's stages (an unnamed stage as
 * `query`, with its source). Virtual columns are not written in the file,
 * so they are left out.
 */
export function outline(names: FileNames): OutlineNode[] {
  const nodes = new Map<Declaration, OutlineNode>();
  const top: OutlineNode[] = [];
  for (const declaration of names.declarations) {
    if (declaration.derived) continue;
    const node = nodeOf(declaration);
    nodes.set(declaration, node);
    const parent = declaration.parent ? nodes.get(declaration.parent) : undefined;
    (parent ? parent.children : top).push(node);
  }
  const queries = names.parsed.queries;
  if (!queries) return top;
  return queries.map((stage, i) => {
    const named = names.owners.get(stage);
    const node = named ? nodes.get(named) : undefined;
    return node ?? unnamedStage(names, stage, names.parsed.queryIsList ? [i] : []);
  });
}

function nodeOf(declaration: Declaration): OutlineNode {
  return {
    name: declaration.name,
    kind: declaration.kind,
    ...(declaration.detail ? { detail: declaration.detail } : {}),
    span: declaration.span,
    extent: declaration.extent,
    children: [],
  };
}

function unnamedStage(names: FileNames, stage: QueryDef, path: readonly number[]): OutlineNode {
  const source = stage.source_model;
  const from =
    source.kind === 'name' ? source.name : source.kind === 'extension' ? source.extension.source_name : 'inline model';
  const extent = names.parsed.sources.value(path) ?? names.parsed.sources.best(path);
  const span = names.parsed.sources.key([...path, 'source_model']) ?? extent;
  return { name: 'query', kind: 'query', detail: `from ${from}`, span, extent, children: [] };
}

export interface WorkspaceSymbol {
  declaration: Declaration;
  /** Higher is a better match: exact, prefix, substring, then letters in order. */
  score: number;
}

/**
 * Models, columns and measures of every storage root whose name matches
 * `query`: exact, prefix, substring or letters in order, case-insensitive.
 * `orders.am` matches members of models matching `orders` whose names match
 * `am`. Best matches first (then by name), at most `limit`. The searchable
 * list is grouped by name and sorted, so each distinct name is scored once,
 * matches are bucketed by score in name order, and nothing is sorted per request.
 */
export function workspaceSymbols(table: NameTable, query: string, limit: number): WorkspaceSymbol[] {
  const wanted = query.trim().toLowerCase();
  const dot = wanted.lastIndexOf('.');
  const container = dot < 0 ? undefined : wanted.slice(0, dot);
  const leaf = dot < 0 ? wanted : wanted.slice(dot + 1);
  const containerScores = new Map<string, number>();
  const containerScore = (declaration: Declaration): number => {
    if (container === undefined) return 0;
    const parent = declaration.parent?.name ?? '';
    let score = containerScores.get(parent);
    if (score === undefined) {
      score = matchScore(parent.toLowerCase(), container);
      containerScores.set(parent, score);
    }
    return score;
  };
  const buckets: WorkspaceSymbol[][] = [];
  for (const group of table.searchable()) {
    const score = matchScore(group.lower, leaf);
    if (score === 0) continue;
    for (const declaration of group.declarations) {
      const inContainer = containerScore(declaration);
      if (container !== undefined && inContainer === 0) continue;
      // The name's match ranks first; the model's breaks ties (`orders.am` puts orders' own members first).
      (buckets[score * 10 + inContainer] ??= []).push({ declaration, score });
    }
  }
  const found: WorkspaceSymbol[] = [];
  for (let score = buckets.length - 1; score >= 0 && found.length < limit; score--) {
    for (const symbol of buckets[score] ?? []) {
      if (found.length >= limit) break;
      found.push({ declaration: symbol.declaration, score });
    }
  }
  return found;
}

/** How well lower-cased `name` matches lower-cased `wanted`: 4 exact, 3 prefix, 2 substring, 1 letters in order. */
function matchScore(name: string, wanted: string): number {
  if (wanted === '') return 1;
  if (name === wanted) return 4;
  if (name.startsWith(wanted)) return 3;
  if (name.includes(wanted)) return 2;
  let at = 0;
  for (let i = 0; i < name.length && at < wanted.length; i++) {
    if (name.charCodeAt(i) === wanted.charCodeAt(at)) at++;
  }
  return at === wanted.length ? 1 : 0;
}
