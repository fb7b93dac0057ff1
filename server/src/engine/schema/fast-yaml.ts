import { Pair, Scalar, YAMLMap, YAMLSeq, type Node as YamlNode } from 'yaml';
import { isMap, isScalar, isSeq } from './yaml-kinds';

/**
 * The `yaml` package's node constructors tag each node with
 * Object.defineProperty, which made node construction and the garbage it
 * leaves a tenth of a 2,000-file start-up. This reader's nodes inherit that
 * tag from a prototype instead: the package's own `isMap`/`isScalar`/`clone`
 * read it the same way, and nothing can tell the nodes apart.
 */
/** Scalar styles, read once (see yaml-kinds.ts). */
const { PLAIN, BLOCK_FOLDED, BLOCK_LITERAL, QUOTE_DOUBLE, QUOTE_SINGLE } = Scalar;

const NODE_TYPE = Symbol.for('yaml.node.type');
const taggedPrototype = <T extends object>(base: T, tag: string): T =>
  Object.create(base, { [NODE_TYPE]: { value: Symbol.for(tag) } }) as T;
const SCALAR_PROTOTYPE = taggedPrototype(Scalar.prototype, 'yaml.scalar');
const MAP_PROTOTYPE = taggedPrototype(YAMLMap.prototype, 'yaml.map');
const SEQ_PROTOTYPE = taggedPrototype(YAMLSeq.prototype, 'yaml.seq');
const PAIR_PROTOTYPE = taggedPrototype(Pair.prototype, 'yaml.pair');

function newScalar(value: unknown, type: Scalar.Type, range: [number, number, number]): Scalar {
  const scalar = Object.create(SCALAR_PROTOTYPE) as Scalar;
  scalar.value = value;
  scalar.type = type;
  scalar.range = range;
  return scalar;
}

function newMap(): YAMLMap {
  const map = Object.create(MAP_PROTOTYPE) as YAMLMap;
  map.items = [];
  return map;
}

function newSeq(): YAMLSeq {
  const seq = Object.create(SEQ_PROTOTYPE) as YAMLSeq;
  seq.items = [];
  return seq;
}

function newPair(key: Scalar, value: YamlNode): Pair<Scalar, YamlNode> {
  const pair = Object.create(PAIR_PROTOTYPE) as Pair<Scalar, YamlNode>;
  pair.key = key;
  pair.value = value;
  return pair;
}

/**
 * A fast reader for the plain YAML that model files are made of: block
 * mappings and sequences, one-line plain and quoted scalars, `|` literals,
 * `>` folded scalars of whole lines at one indent, and one-line flow lists
 * and mappings. It builds the `yaml` package's own node classes
 * with the same values, types and ranges, so the decoder cannot tell the
 * two apart; the `yaml` package's general parser reads text at about 2 MB/s,
 * which at 10,000 models is most of the start-up.
 *
 * Anything outside that subset (anchors, tags, multi-line flow collections,
 * folded scalars with blank or more-indented lines, multi-line plain
 * scalars, escapes, tabs, CRLF, duplicate keys, anything that could be an
 * error) makes it give up and return undefined: the caller then
 * parses with the `yaml` package, which reports problems precisely. It never
 * guesses. test/unit/fast-yaml.test.ts compares both readers on thousands
 * of generated documents.
 */
export function parseFastYaml(text: string): YamlNode | undefined {
  if (text.includes('\t') || text.includes('\r')) return undefined;
  try {
    return new FastReader(text).document();
  } catch (error) {
    if (error instanceof GiveUp) return undefined;
    throw error;
  }
}

class GiveUp extends Error {}

function giveUp(): never {
  throw new GiveUp();
}

interface Line {
  start: number;
  /** Offset of the line's end, before its newline. */
  end: number;
  indent: number;
  /** Only spaces, or a comment. */
  blank: boolean;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*/;
/** Plain scalars that resolve to something other than a string, in YAML 1.2's core schema. */
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['True', true],
  ['TRUE', true],
  ['false', false],
  ['False', false],
  ['FALSE', false],
]);
const DECIMAL_INT = /^[-+]?(?:0|[1-9][0-9]{0,14})$/;
const SIMPLE_FLOAT = /^[-+]?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}$/;
/** Anything else that might be a number, a special float or a timestamp: left to the `yaml` package. */
const NUMBER_LIKE = /^[-+.]?[0-9]|^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$/;
const PLAIN_START_FORBIDDEN = new Set([
  '-',
  '?',
  ':',
  ',',
  '[',
  ']',
  '{',
  '}',
  '#',
  '&',
  '*',
  '!',
  '|',
  '>',
  "'",
  '"',
  '%',
  '@',
  '`',
]);

class FastReader {
  private readonly lines: Line[] = [];
  private row = 0;

  constructor(private readonly text: string) {
    let start = 0;
    while (start <= text.length) {
      const newline = text.indexOf('\n', start);
      const end = newline < 0 ? text.length : newline;
      let indent = start;
      while (indent < end && text.charCodeAt(indent) === 32) indent++;
      const first = text[indent];
      this.lines.push({ start, end, indent: indent - start, blank: indent === end || first === '#' });
      if (newline < 0) break;
      start = newline + 1;
    }
  }

  document(): YamlNode {
    this.skipBlank();
    const line = this.lines[this.row];
    if (!line) giveUp();
    if (line.indent !== 0) giveUp();
    const node = this.blockNode(line, line.start, -1);
    this.row++;
    this.skipBlank();
    if (this.row < this.lines.length) giveUp();
    return node;
  }

  /** A mapping or a sequence starting at `at` on `line`; the caller knows it is one of them. */
  private blockNode(line: Line, at: number, parentColumn: number): YamlNode {
    if (this.isDash(at, line.end)) return this.sequence(at - line.start, parentColumn);
    if (this.key(at, line.end) !== undefined) return this.mapping(at - line.start, at, parentColumn);
    giveUp();
  }

  private mapping(column: number, firstAt: number, parentColumn: number): YAMLMap {
    const map = newMap();
    const seen = new Set<string>();
    let at = firstAt;
    let last: YamlNode;
    for (;;) {
      const line = this.lines[this.row];
      if (!line) giveUp();
      const key = this.key(at, line.end) ?? giveUp();
      const name = String(key.value);
      if (seen.has(name)) giveUp();
      seen.add(name);
      last = this.valueAfter(line, (key.range?.[1] ?? 0) + 1, column, true);
      map.items.push(newPair(key, last));
      const next = this.nextEntry(column);
      if (next === undefined) break;
      at = next;
    }
    this.close(map, firstAt, column, parentColumn, last);
    return map;
  }

  private sequence(column: number, parentColumn: number): YAMLSeq {
    const seq = newSeq();
    const first = this.lines[this.row] ?? giveUp();
    const start = first.start + column;
    let last: YamlNode;
    for (;;) {
      const line = this.lines[this.row] ?? giveUp();
      const dash = line.start + column;
      if (!this.isDash(dash, line.end)) giveUp();
      last = this.valueAfter(line, dash + 1, column, false);
      seq.items.push(last);
      if (this.nextEntry(column, true) === undefined) break;
    }
    this.close(seq, start, column, parentColumn, last);
    return seq;
  }

  /**
   * Sets a finished block's range. Comment lines after a block's last entry
   * count into the range of the innermost ending node they are indented
   * past the parent of, as the `yaml` package counts them; the ranges of
   * that node's parents end there too.
   */
  private close(block: YAMLMap | YAMLSeq, start: number, column: number, parentColumn: number, last: YamlNode): void {
    const trailing = this.trailingComments();
    let ownEnd = nodeEnd(last);
    if (trailing && trailing.indent > column) {
      const lastIsLeaf = isScalar(last) || ((isSeq(last) || isMap(last)) && last.flow === true);
      if (lastIsLeaf && last.range) last.range[2] = trailing.end;
      else if (nodeEnd(last) !== trailing.end) giveUp();
    } else if (trailing && trailing.indent > parentColumn) {
      ownEnd = trailing.end;
    }
    const end = nodeEnd(last);
    block.range = [start, end, Math.max(end, ownEnd)];
  }

  /** The comment lines between the current row and the next line with content: one indent, or give up. */
  private trailingComments(): { indent: number; end: number } | undefined {
    let found: { indent: number; end: number } | undefined;
    for (let row = this.row + 1; row < this.lines.length; row++) {
      const line = this.lines[row] ?? giveUp();
      if (!line.blank) break;
      if (line.indent === line.end - line.start) continue;
      if (found && found.indent !== line.indent) giveUp();
      found = { indent: line.indent, end: lineEndAfterNewline(line, this.text) };
    }
    return found;
  }

  /**
   * Moves to the next line holding an entry at `column`; undefined (and no
   * move past it) when the block ends there. A line indented deeper is an
   * error or a construct this reader leaves alone.
   */
  private nextEntry(column: number, dashes = false): number | undefined {
    const last = this.row;
    this.row++;
    this.skipBlank();
    const line = this.lines[this.row];
    const at = line ? line.start + column : 0;
    if (line && line.indent > column) giveUp();
    // A sequence written at its parent key's indent ends where the parent's next key starts.
    if (!line || line.indent < column || (dashes && !this.isDash(at, line.end))) {
      this.row = last;
      return undefined;
    }
    if (!dashes && this.isDash(at, line.end)) giveUp();
    return at;
  }

  /** The value after `key:` or `-`, at offset `from` on `line`; `column` is the entry's. */
  private valueAfter(line: Line, from: number, column: number, inMapping: boolean): YamlNode {
    let at = from;
    while (at < line.end && this.text.charCodeAt(at) === 32) at++;
    if (at === line.end || this.text[at] === '#') {
      if (this.text[at] === '#' && at === from) giveUp();
      return this.nestedBlock(line, at, column, inMapping);
    }
    if (at === from) giveUp();
    const char = this.text[at];
    if (char === '|') return this.literal(line, at, column);
    if (char === '>') return this.folded(line, at, column);
    if (char === '[' || char === '{') return this.flowLine(line, at, column);
    if (!inMapping && this.key(at, line.end) !== undefined) return this.mapping(at - line.start, at, column);
    if (!inMapping && this.isDash(at, line.end)) giveUp();
    return this.lineScalar(line, at, column);
  }

  /** `key:` with nothing after it: a block on the following lines, or null. */
  private nestedBlock(line: Line, at: number, column: number, inMapping: boolean): YamlNode {
    const row = this.row;
    this.row++;
    this.skipBlank();
    const next = this.lines[this.row];
    const sameIndentList = inMapping && next?.indent === column && this.isDash(next.start + column, next.end);
    if (next && (next.indent > column || sameIndentList)) return this.blockNode(next, next.start + next.indent, column);
    this.row = row;
    // The `yaml` package places an empty value where the line's text stops; a comment after it belongs to it.
    return newScalar(null, PLAIN, [at, at, this.text[at] === '#' ? lineEndAfterNewline(line, this.text) : at]);
  }

  /** A `|` or `|-` literal; other indicators, and odd indentation, are left to the `yaml` package. */
  private literal(line: Line, at: number, column: number): Scalar {
    return this.blockScalar(line, at, column, '|', BLOCK_LITERAL, (texts) => texts.join('\n'));
  }

  /**
   * A `>` or `>-` scalar whose lines all sit at one indent, with no blank
   * line between them and no space at either end of one: every line break
   * then folds into a space. Blank and more-indented lines keep their breaks
   * under YAML's folding rules; those are left to the `yaml` package.
   */
  private folded(line: Line, at: number, column: number): Scalar {
    return this.blockScalar(line, at, column, '>', BLOCK_FOLDED, (texts) => {
      for (const text of texts) if (text === '' || text.startsWith(' ') || text.endsWith(' ')) giveUp();
      return texts.join(' ');
    });
  }

  /** A block scalar with `indicator` alone or with `-` (clip or strip chomping), its lines joined by `join`. */
  private blockScalar(
    line: Line,
    at: number,
    column: number,
    indicator: '|' | '>',
    style: Scalar.Type,
    join: (texts: string[]) => string,
  ): Scalar {
    const header = this.text.slice(at, line.end).trimEnd();
    if (header !== indicator && header !== `${indicator}-`) giveUp();
    const { texts, end } = this.blockScalarLines(column);
    const body = join(texts);
    return newScalar(header === indicator ? `${body}\n` : body, style, [at, end, end]);
  }

  /**
   * The content lines of a block scalar whose header is on the current row,
   * without their indentation and without trailing empty lines; moves to
   * its last line. `end` is where the `yaml` package ends its range.
   */
  private blockScalarLines(column: number): { texts: string[]; end: number } {
    const contentRows: Line[] = [];
    let indent: number | undefined;
    for (let row = this.row + 1; row < this.lines.length; row++) {
      const next = this.lines[row] ?? giveUp();
      const empty = next.indent === next.end - next.start;
      if (empty) {
        if (indent === undefined) giveUp();
        contentRows.push(next);
        continue;
      }
      if (next.indent <= column) break;
      indent ??= next.indent;
      if (next.indent < indent) giveUp();
      contentRows.push(next);
    }
    while (contentRows.length > 0 && isEmptyLine(contentRows[contentRows.length - 1])) contentRows.pop();
    const last = contentRows[contentRows.length - 1];
    if (indent === undefined || !last) giveUp();
    for (const content of contentRows) if (content.end - content.start > indent && isEmptyLine(content)) giveUp();
    this.row += contentRows.length;
    const texts = contentRows.map((content) => this.text.slice(content.start + (indent ?? 0), content.end));
    return { texts, end: Math.min(last.end + 1, this.text.length) };
  }

  /** A one-line flow list or mapping, `[a, "b", [c, d]]` or `{a: 1, b: [c]}`, with nothing but a comment after it. */
  private flowLine(line: Line, at: number, column: number): YAMLSeq | YAMLMap {
    const [collection, after] = this.text[at] === '{' ? this.flowMap(at, line.end) : this.flowSeq(at, line.end);
    this.expectLineEnd(after, line.end);
    this.guardContinuation(column);
    collection.range = [at, after, lineEndAfterNewline(line, this.text)];
    return collection;
  }

  /** `{key: value, ...}` on one line: keys as in a block mapping (a `:` and a space after each), no duplicates. */
  private flowMap(open: number, limit: number): [YAMLMap, number] {
    const map = newMap();
    const seen = new Set<string>();
    return this.flowCollection(map, open, limit, '}', (at) => {
      const key = this.key(at, limit) ?? giveUp();
      const name = String(key.value);
      if (seen.has(name)) giveUp();
      seen.add(name);
      const [value, after] = this.flowItem(this.skipSpaces((key.range?.[1] ?? at) + 1, limit), limit);
      map.items.push(newPair(key, value));
      return after;
    });
  }

  private flowSeq(open: number, limit: number): [YAMLSeq, number] {
    const seq = newSeq();
    return this.flowCollection(seq, open, limit, ']', (at) => {
      const [item, after] = this.flowItem(at, limit);
      seq.items.push(item);
      return after;
    });
  }

  /** A flow collection opened at `open`: entries read by `entry` (which returns where it stopped), one comma apart. */
  private flowCollection<T extends YAMLMap | YAMLSeq>(
    collection: T,
    open: number,
    limit: number,
    close: string,
    entry: (at: number) => number,
  ): [T, number] {
    collection.flow = true;
    let at = this.skipSpaces(open + 1, limit);
    if (this.text[at] !== close) {
      for (;;) {
        at = this.skipSpaces(entry(at), limit);
        if (at >= limit) giveUp();
        const char = this.text[at];
        if (char === close) break;
        if (char !== ',') giveUp();
        at = this.skipSpaces(at + 1, limit);
        if (this.text[at] === close || at >= limit) giveUp();
      }
    }
    collection.range = [open, at + 1, at + 1];
    return [collection, at + 1];
  }

  private flowItem(at: number, limit: number): [YamlNode, number] {
    const char = this.text[at];
    if (char === '[') return this.flowSeq(at, limit);
    if (char === '{') return this.flowMap(at, limit);
    if (char === '"' || char === "'") {
      const [scalar, after] = this.quoted(at, limit);
      return [scalar, after];
    }
    let end = at;
    while (end < limit && !',[]{}#'.includes(this.text[end] ?? '')) end++;
    if (this.text[end] === '#' || this.text[end] === '{' || this.text[end] === '[') giveUp();
    let valueEnd = end;
    while (valueEnd > at && this.text.charCodeAt(valueEnd - 1) === 32) valueEnd--;
    const raw = this.text.slice(at, valueEnd);
    if (raw === '' || !plainAllowed(raw, true)) giveUp();
    return [plainScalar(raw, at, valueEnd, valueEnd), valueEnd];
  }

  private lineScalar(line: Line, at: number, column: number): Scalar {
    const char = this.text[at];
    if (char === '"' || char === "'") {
      const [scalar, after] = this.quoted(at, line.end);
      this.expectLineEnd(after, line.end);
      scalar.range = [at, after, lineEndAfterNewline(line, this.text)];
      this.guardContinuation(column);
      return scalar;
    }
    let valueEnd = this.commentStart(at, line.end);
    while (valueEnd > at && this.text.charCodeAt(valueEnd - 1) === 32) valueEnd--;
    const raw = this.text.slice(at, valueEnd);
    if (!plainAllowed(raw, false)) giveUp();
    this.guardContinuation(column);
    return plainScalar(raw, at, valueEnd, lineEndAfterNewline(line, this.text));
  }

  /** A line indented deeper than the entry would continue its scalar (a multi-line scalar): not for this reader. */
  private guardContinuation(column: number): void {
    let row = this.row + 1;
    while (this.lines[row]?.blank) row++;
    const next = this.lines[row];
    if (next && next.indent > column) giveUp();
  }

  private quoted(at: number, limit: number): [Scalar, number] {
    const quote = this.text[at];
    let end = at + 1;
    let value = '';
    for (;;) {
      const close = this.text.indexOf(quote ?? '"', end);
      if (close < 0 || close >= limit) giveUp();
      const chunk = this.text.slice(end, close);
      if (quote === '"' && chunk.includes('\\')) giveUp();
      value += chunk;
      if (quote === "'" && this.text[close + 1] === "'") {
        value += "'";
        end = close + 2;
        continue;
      }
      end = close + 1;
      break;
    }
    return [newScalar(value, quote === '"' ? QUOTE_DOUBLE : QUOTE_SINGLE, [at, end, end]), end];
  }

  private expectLineEnd(at: number, end: number): void {
    let i = at;
    while (i < end && this.text.charCodeAt(i) === 32) i++;
    if (i === end) return;
    if (this.text[i] === '#' && i > at) return;
    giveUp();
  }

  /** A plain or quoted key at `at` followed by `:` and a space or the line's end; its range ends at the `:`. */
  private key(at: number, end: number): Scalar | undefined {
    const char = this.text[at];
    let key: Scalar;
    if (char === '"' || char === "'") {
      [key] = this.quoted(at, end);
    } else {
      const match = KEY.exec(this.text.slice(at, Math.min(end, at + 128)));
      if (!match) return undefined;
      key = plainScalar(match[0], at, at + match[0].length, at + match[0].length);
    }
    const colon = key.range?.[1] ?? at;
    if (this.text[colon] !== ':') return undefined;
    const after = colon + 1;
    return after === end || this.text.charCodeAt(after) === 32 ? key : undefined;
  }

  private isDash(at: number, end: number): boolean {
    return this.text[at] === '-' && (at + 1 === end || this.text.charCodeAt(at + 1) === 32);
  }

  /** Where ` #` starts a comment between `at` and `end`, else `end`; a search past the line would cost the whole file. */
  private commentStart(at: number, end: number): number {
    for (let i = at + 1; i < end; i++) {
      if (this.text.charCodeAt(i) === 35 && this.text.charCodeAt(i - 1) === 32) return i - 1;
    }
    return end;
  }

  private skipSpaces(at: number, limit: number): number {
    let i = at;
    while (i < limit && this.text.charCodeAt(i) === 32) i++;
    return i;
  }

  private skipBlank(): void {
    while (this.lines[this.row]?.blank) this.row++;
  }
}

function isEmptyLine(line: Line | undefined): boolean {
  return line !== undefined && line.indent === line.end - line.start;
}

function lineEndAfterNewline(line: Line, text: string): number {
  return Math.min(line.end + 1, text.length);
}

function nodeEnd(node: YamlNode): number {
  return node.range?.[2] ?? 0;
}

/** Whether `raw` is a plain scalar this reader resolves exactly as the `yaml` package does. */
function plainAllowed(raw: string, inFlow: boolean): boolean {
  const first = raw[0];
  if (first === undefined) return false;
  const signedNumber = first === '-' && /^-[0-9]/.test(raw);
  if (PLAIN_START_FORBIDDEN.has(first) && !signedNumber) return false;
  if (raw.includes(': ') || raw.endsWith(':') || raw.includes(' #')) return false;
  if (inFlow && /[,[\]{}]/.test(raw)) return false;
  if (NUMBER_LIKE.test(raw) && !DECIMAL_INT.test(raw) && !SIMPLE_FLOAT.test(raw)) return false;
  return true;
}

function plainScalar(raw: string, start: number, valueEnd: number, end: number): Scalar {
  return newScalar(resolvePlain(raw), PLAIN, [start, valueEnd, end]);
}

function resolvePlain(raw: string): unknown {
  if (NULLS.has(raw)) return null;
  const bool = BOOLEANS.get(raw);
  if (bool !== undefined) return bool;
  if (DECIMAL_INT.test(raw) || SIMPLE_FLOAT.test(raw)) return Number(raw);
  return raw;
}
