import { walk } from '../formula/ast';
import { tokenize, type Token } from '../formula/lexer';
import { parseFormula } from '../formula/parser';

/**
 * `customers.regions.name` as written in a formula: each part with its
 * offset in the formula text. Without a leaf (`customers.*:count`) every
 * part is a join segment.
 */
export interface DottedName {
  parts: string[];
  offsets: number[];
  hasLeaf: boolean;
  /** Aggregated targets and SQL words name columns only; bare names may also be saved measures. */
  mode: 'columns' | 'formula';
}

export interface FormulaNames {
  dotted: DottedName[];
  /** `{name}` placeholders: the variable's name and where its characters start. */
  placeholders: { name: string; start: number }[];
}

/**
 * The names a formula or query filter uses, from the same parser and tree
 * walk the checks use. String literals are values, never names, so
 * `status = 'amount'` uses `status` only. A formula that does not parse
 * uses no names (its syntax error is reported by the checks).
 */
export function formulaNames(text: string): FormulaNames {
  const names: FormulaNames = { dotted: [], placeholders: [] };
  let expr;
  try {
    expr = parseFormula(text);
  } catch {
    return names;
  }
  walk(expr, (node) => {
    if (node.kind === 'ref') names.dotted.push(locate(text, node.span.start, node.path, true, 'formula'));
    else if (node.kind === 'agg' && node.target !== '*') {
      const star = node.target[node.target.length - 1] === '*';
      const parts = star ? node.target.slice(0, -1) : node.target;
      names.dotted.push(locate(text, node.targetSpan.start, parts, !star, 'columns'));
    } else if (node.kind === 'placeholder') names.placeholders.push({ name: node.name, start: node.span.start + 1 });
  });
  return names;
}

/** Finds each part's characters: the parser keeps the whole span only, and whitespace may sit around dots. */
function locate(
  text: string,
  start: number,
  parts: readonly string[],
  hasLeaf: boolean,
  mode: DottedName['mode'],
): DottedName {
  const offsets: number[] = [];
  let cursor = start;
  for (const part of parts) {
    const at = text.indexOf(part, cursor);
    offsets.push(at);
    cursor = at + part.length;
  }
  return { parts: [...parts], offsets, hasLeaf, mode };
}

/**
 * Column names in an SQL snippet (a model filter, a column's filter or SQL),
 * as the planner qualifies them: dotted word chains outside nested SELECTs,
 * not function names, not after `::` or `.`. Words that name no column are
 * dropped when the names are resolved. `self` is the column whose own SQL
 * this is: there its name means the table's column.
 */
export function sqlNames(text: string, self?: string): DottedName[] {
  const tokens = safeTokens(text);
  const names: DottedName[] = [];
  const nested: number[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token) break;
    if (token.kind === '(') depth++;
    if (token.kind === ')') {
      if (nested[nested.length - 1] === depth) nested.pop();
      depth--;
    }
    if (token.kind !== 'ident') continue;
    if (token.text.toLowerCase() === 'select' && depth > 0) nested.push(depth);
    const previous = tokens[i - 1]?.kind;
    if (nested.length > 0 || previous === '.' || previous === ':') continue;
    const chain = readChain(tokens, i);
    i = chain.end - 1;
    if (tokens[chain.end]?.kind === '(' || (chain.parts.length === 1 && chain.parts[0] === self)) continue;
    names.push({ ...splitAliasHead(chain), hasLeaf: true, mode: 'columns' });
  }
  return names;
}

/** SQL snippets may spell a join path with SLayer's alias syntax, `customers__regions.name`, as the planner reads it. */
function splitAliasHead(chain: { parts: string[]; offsets: number[] }): { parts: string[]; offsets: number[] } {
  const [head, ...rest] = chain.parts;
  const [start, ...restOffsets] = chain.offsets;
  if (head === undefined || start === undefined || rest.length === 0 || !head.includes('__')) return chain;
  const hops = head.split('__');
  const offsets: number[] = [];
  let offset = start;
  for (const hop of hops) {
    offsets.push(offset);
    offset += hop.length + 2;
  }
  return { parts: [...hops, ...rest], offsets: [...offsets, ...restOffsets] };
}

function readChain(tokens: readonly Token[], start: number): { parts: string[]; offsets: number[]; end: number } {
  const parts: string[] = [];
  const offsets: number[] = [];
  let i = start;
  for (;;) {
    const token = tokens[i];
    if (token?.kind !== 'ident') break;
    parts.push(token.text);
    offsets.push(token.span.start);
    i++;
    if (tokens[i]?.kind !== '.' || tokens[i + 1]?.kind !== 'ident') break;
    i++;
  }
  return { parts, offsets, end: i };
}

function safeTokens(text: string): Token[] {
  try {
    return tokenize(text);
  } catch {
    return [];
  }
}
