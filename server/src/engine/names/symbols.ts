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

const WORKSPACE_KINDS: ReadonlySet<DeclarationKind> = new Set(['model', 'column', 'measure']);

/**
 * Models, columns and measures of every storage root whose name matches
 * `query`: exact, prefix, substring or letters in order, case-insensitive.
 * `orders.am` matches members of models matching `orders` whose names match
 * `am`. Best matches first, at most `limit`.
 */
export function workspaceSymbols(table: NameTable, query: string, limit: number): WorkspaceSymbol[] {
  const wanted = query.trim().toLowerCase();
  const dot = wanted.lastIndexOf('.');
  const container = dot < 0 ? undefined : wanted.slice(0, dot);
  const leaf = dot < 0 ? wanted : wanted.slice(dot + 1);
  const found: WorkspaceSymbol[] = [];
  for (const declaration of table.declarations()) {
    if (!WORKSPACE_KINDS.has(declaration.kind) || declaration.local) continue;
    const inContainer = container === undefined ? 0 : matchScore(declaration.parent?.name ?? '', container);
    if (container !== undefined && inContainer === 0) continue;
    const score = matchScore(declaration.name, leaf);
    // The name's match ranks first; the model's breaks ties (`orders.am` puts orders' own members first).
    if (score > 0) found.push({ declaration, score: score * 10 + inContainer });
  }
  found.sort((a, b) => b.score - a.score || byName(a.declaration.name, b.declaration.name));
  return found.slice(0, limit);
}

function matchScore(name: string, wanted: string): number {
  if (wanted === '') return 1;
  const lower = name.toLowerCase();
  if (lower === wanted) return 4;
  if (lower.startsWith(wanted)) return 3;
  if (lower.includes(wanted)) return 2;
  let at = 0;
  for (const char of lower) if (char === wanted[at]) at++;
  return at === wanted.length ? 1 : 0;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
