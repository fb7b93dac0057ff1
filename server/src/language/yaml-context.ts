/**
 * Where the cursor is in a SLayer YAML file, read from the lines around it.
 * Completion runs while the user types, when the file rarely parses (`formula:
 * amount:` is not valid YAML), so the context comes from indentation and the
 * current line rather than from a parse.
 */

export type CursorContext =
  | {
      kind: 'value';
      /** The key whose value is being typed (for a list item, the list's key). */
      key: string;
      /** Keys of the enclosing mappings, outermost first. */
      parents: string[];
      /** What has been typed of the value up to the cursor, quotes and flow punctuation stripped. */
      typed: string;
      /** Offset in the file where `typed` starts. */
      typedStart: number;
    }
  | {
      kind: 'key';
      parents: string[];
      /** The partial key typed so far. */
      typed: string;
      typedStart: number;
      /** The cursor is right after `- `: a new item of a list. */
      listItem: boolean;
    };

interface Line {
  text: string;
  indent: number;
  key: string | undefined;
}

const KEY_VALUE = /^(\s*)((?:-\s+)*)([A-Za-z_][\w-]*)\s*:(\s+|$)(.*)$/;
const LIST_SCALAR = /^(\s*)((?:-\s+)+)(.*)$/;
const PARTIAL_KEY = /^(\s*)((?:-\s+)*)([A-Za-z_][\w-]*)?$/;

export function cursorContext(text: string, offset: number): CursorContext | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const prefix = text.slice(lineStart, offset).replace(/\r$/, '');
  if (/^\s*#/.test(prefix)) return undefined;
  const keyValue = KEY_VALUE.exec(prefix);
  if (keyValue && keyValue[4] !== '') {
    const indent = (keyValue[1] ?? '').length + (keyValue[2] ?? '').length;
    const valueStart = lineStart + prefix.length - (keyValue[5] ?? '').length;
    return valueContext(keyValue[3] ?? '', parentsOf(text, lineStart, indent), keyValue[5] ?? '', valueStart);
  }
  const partialKey = PARTIAL_KEY.exec(prefix);
  if (partialKey) {
    const dashes = partialKey[2] ?? '';
    const indent = (partialKey[1] ?? '').length + dashes.length;
    const typed = partialKey[3] ?? '';
    return {
      kind: 'key',
      parents: parentsOf(text, lineStart, indent),
      typed,
      typedStart: offset - typed.length,
      listItem: dashes !== '',
    };
  }
  const listScalar = LIST_SCALAR.exec(prefix);
  if (listScalar) {
    const indent = (listScalar[1] ?? '').length;
    const parents = parentsOf(text, lineStart, indent);
    const key = parents.pop();
    if (key === undefined) return undefined;
    const valueStart = lineStart + prefix.length - (listScalar[3] ?? '').length;
    return valueContext(key, parents, listScalar[3] ?? '', valueStart);
  }
  return undefined;
}

/** The value typed so far, inside a flow list (`[a, b`) or quotes, ends at the cursor. */
function valueContext(key: string, parents: string[], raw: string, rawStart: number): CursorContext {
  const cut = Math.max(raw.lastIndexOf('['), raw.lastIndexOf(','));
  let start = cut >= 0 && !/["']/.test(raw.slice(0, cut)) ? cut + 1 : 0;
  while (start < raw.length && /[\s"']/.test(raw.charAt(start))) start++;
  return { kind: 'value', key, parents, typed: raw.slice(start), typedStart: rawStart + start };
}

/** The keys of the mappings that enclose a line indented by `indent`, outermost first. */
function parentsOf(text: string, lineStart: number, indent: number): string[] {
  const parents: string[] = [];
  let limit = indent;
  for (const line of linesAbove(text, lineStart)) {
    if (line.key === undefined || line.indent >= limit) continue;
    parents.unshift(line.key);
    limit = line.indent;
    if (limit === 0) break;
  }
  return parents;
}

function* linesAbove(text: string, lineStart: number): Generator<Line> {
  let end = lineStart - 1;
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const raw = text.slice(start, end).replace(/\r$/, '');
    end = start - 1;
    if (raw.trim() === '' || /^\s*#/.test(raw)) continue;
    yield describeLine(raw);
  }
}

function describeLine(raw: string): Line {
  const match = /^(\s*)((?:-\s+)*)([A-Za-z_][\w-]*)\s*:(\s|$)/.exec(raw);
  if (match) return { text: raw, indent: (match[1] ?? '').length + (match[2] ?? '').length, key: match[3] };
  return { text: raw, indent: /^\s*/.exec(raw)?.[0].length ?? 0, key: undefined };
}

/**
 * The source model of the query the cursor is in: the `source_model:` (or
 * `source_name:`) whose mapping holds the cursor line, the innermost one when
 * queries nest (a model's `source_queries`, a query list's items).
 */
export function enclosingSourceModel(text: string, offset: number): string | undefined {
  const lines = text.split('\n');
  const cursorLine = text.slice(0, offset).split('\n').length - 1;
  let best: { name: string; column: number } | undefined;
  lines.forEach((line, index) => {
    const match = /^(\s*(?:-\s+)?)(?:source_model|source_name)\s*:\s*["']?([\w.-]+)/.exec(line);
    if (!match) return;
    const column = (match[1] ?? '').length;
    const [first, last] = mappingLines(lines, index, column);
    if (cursorLine < first || cursorLine > last || (best && best.column >= column)) return;
    best = { name: match[2] ?? '', column };
  });
  return best?.name;
}

/** The lines of the mapping whose keys start at `column`, around line `at`. */
function mappingLines(lines: readonly string[], at: number, column: number): [number, number] {
  const indentOf = (line: string): number => /^\s*/.exec(line)?.[0].length ?? 0;
  const startsItem = (line: string): boolean => /^\s*-\s/.test(line) && indentOf(line) + 2 === column;
  const belongs = (line: string): boolean => line.trim() === '' || /^\s*#/.test(line) || indentOf(line) >= column;
  let first = at;
  while (
    !startsItem(lines[first] ?? '') &&
    first > 0 &&
    (belongs(lines[first - 1] ?? '') || startsItem(lines[first - 1] ?? ''))
  ) {
    first--;
  }
  let last = at;
  while (last + 1 < lines.length && belongs(lines[last + 1] ?? '')) last++;
  return [first, last];
}
