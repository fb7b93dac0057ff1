/**
 * Reads a YAML file into the formatter's tree: mappings and lists as entries
 * the formatter may reorder and re-indent, and everything it must not
 * rewrite (scalars, aliases, flow lists of scalars, block scalars) as leaves
 * holding their source text. The `yaml` package's CST gives the structure and
 * the exact offsets; comments and blank lines are read from the source text
 * between entries, so where a comment goes is decided here, in one place:
 *
 * - comment lines above an entry belong to it and move with it;
 * - a comment after a value, or after `key:` / `-`, stays on that line;
 * - comment lines after the last entry of a block, indented at least as deep
 *   as that block's entries, stay at the end of that block;
 * - at the top of the file, comments a blank line (or `---`) separates from
 *   the first key are the file's header and stay at the top.
 *
 * Anything the tree cannot represent exactly throws a FormatRefusal; the file
 * is then left as written.
 */
import { CST, Parser } from 'yaml';
import { LineIndex } from '../schema/source';

export class FormatRefusal extends Error {}

export type GapLine =
  | { kind: 'blank' }
  | { kind: 'comment'; text: string; column: number }
  /** `---` (with its comment, if any): only in the file's header. */
  | { kind: 'marker'; text: string };

/** A scalar, an alias or a flow collection kept as written; its lines after the first are re-indented. */
export interface FlowLeaf {
  kind: 'flow';
  lines: string[];
  /** Whether the last line closes a flow collection (`]`, `}`): it may sit at the entry's own column. */
  bracketed: boolean;
  /** A comment after the value on its last line, with the white space before it. */
  comment: string;
}

export interface BlockLeaf {
  kind: 'block';
  header: string;
  /** A comment after the header (`key: | # note`), with the white space before it. */
  comment: string;
  /** Content lines as written, including the indentation. */
  lines: string[];
  /** The content's indentation in the source. */
  indent: number;
  /** With an indentation indicator (`|2`) the content sits at a fixed distance from the entry, kept as is. */
  explicit: boolean;
  /** The column the indicator counts from in the source (the key's or the dash's). */
  base: number;
}

export type Leaf = FlowLeaf | BlockLeaf;

export interface Collection {
  kind: 'map' | 'seq';
  entries: Entry[];
  /** Comment lines after the last entry that belong to this block. */
  trailing: GapLine[];
  /** The entries' column in the source; Infinity for a flow collection turned into a block (it holds no comments). */
  column: number;
}

export interface Key {
  text: string;
  /** The key as a string, for ordering; undefined for an alias key. */
  name: string | undefined;
  props: string[];
}

export interface Entry {
  leading: GapLine[];
  /** Mapping entries only. */
  key: Key | undefined;
  /** The value's anchor and tag. */
  props: string[];
  /** A comment on the `key:` / `-` line when the value does not continue on it. */
  headerComment: string;
  /** Comment lines between that line and a scalar that starts on a later line. */
  valueLeading: GapLine[];
  value: Leaf | Collection | undefined;
  /** Anchors defined and aliases used anywhere in the entry, so reordering never puts an alias before its anchor. */
  anchors: Set<string>;
  aliases: Set<string>;
}

export interface DocumentTree {
  /** Comments (and `---`) at the top of the file that stay there. */
  header: GapLine[];
  root: Collection | undefined;
}

type MapItem = CST.BlockMap['items'][number];
/** A node with the offsets of its first character and just past its last. */
interface Placed<T> {
  node: T;
  start: number;
  end: number;
}
type EntryParts = Pick<Entry, 'props' | 'headerComment' | 'valueLeading' | 'value'>;
interface ValueParts extends EntryParts {
  /** Just past the value's last character. */
  end: number;
}

/** Inside a flow collection there are no comments (or it would have been kept as written). */
function flowParts(props: string[], value: Leaf | Collection | undefined): EntryParts {
  return { props, headerComment: '', valueLeading: [], value };
}

const FLOW_SCALARS = new Set(['alias', 'scalar', 'single-quoted-scalar', 'double-quoted-scalar']);

function isFlowScalar(token: CST.Token | null | undefined): token is CST.FlowScalar {
  return token !== null && token !== undefined && FLOW_SCALARS.has(token.type);
}

function isProp(token: CST.SourceToken): boolean {
  return token.type === 'anchor' || token.type === 'tag';
}

export function isCollection(value: Leaf | Collection | undefined): value is Collection {
  return value?.kind === 'map' || value?.kind === 'seq';
}

/** Every token under `token`, depth first in source order. */
export function forEachToken(token: CST.Token | null | undefined, visit: (token: CST.Token) => void): void {
  if (!token) return;
  visit(token);
  const each = (tokens: readonly CST.Token[] | undefined): void => tokens?.forEach((t) => forEachToken(t, visit));
  switch (token.type) {
    case 'document':
      each(token.start);
      forEachToken(token.value, visit);
      each(token.end);
      return;
    case 'block-scalar':
      each(token.props);
      return;
    case 'block-map':
    case 'block-seq':
      for (const item of token.items) eachItem(item, visit);
      return;
    case 'flow-collection':
      forEachToken(token.start, visit);
      for (const item of token.items) eachItem(item, visit);
      each(token.end);
      return;
    default:
      if ('end' in token) each(token.end);
  }
}

function eachItem(item: CST.CollectionItem, visit: (token: CST.Token) => void): void {
  for (const token of item.start) forEachToken(token, visit);
  forEachToken(item.key, visit);
  for (const token of item.sep ?? []) forEachToken(token, visit);
  forEachToken(item.value, visit);
}

function refsOf(tokens: readonly (CST.Token | null | undefined)[]): { anchors: Set<string>; aliases: Set<string> } {
  const anchors = new Set<string>();
  const aliases = new Set<string>();
  for (const token of tokens) {
    forEachToken(token, (t) => {
      if (t.type === 'anchor') anchors.add(t.source.slice(1));
      else if (t.type === 'alias') aliases.add(t.source.slice(1));
    });
  }
  return { anchors, aliases };
}

/** A flow list of scalars (or of such lists, as `join_pairs`), an empty collection, or one holding comments stays flow. */
function keptFlow(token: CST.FlowCollection): boolean {
  const items = flowItems(token);
  if (items.length === 0) return true;
  let comment = false;
  forEachToken(token, (t) => (comment ||= t.type === 'comment'));
  if (comment) return true;
  if (token.start.type !== 'flow-seq-start') return false;
  return items.every(
    (item) =>
      !item.key &&
      item.sep === undefined &&
      (isFlowScalar(item.value) || (item.value?.type === 'flow-collection' && keptFlow(item.value))),
  );
}

/** A flow collection's entries; an item holding only white space or a trailing comma is none. */
function flowItems(token: CST.FlowCollection): CST.CollectionItem[] {
  return token.items.filter((item) => item.key !== undefined || item.sep !== undefined || item.value !== undefined);
}

function keyOf(token: CST.FlowScalar, props: readonly CST.SourceToken[]): Key {
  return {
    text: token.source,
    name: token.type === 'alias' ? undefined : CST.resolveAsScalar(token).value,
    props: props.map((t) => t.source),
  };
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

export class TreeReader {
  private readonly lines: LineIndex;

  constructor(private readonly text: string) {
    this.lines = new LineIndex(text);
  }

  read(): DocumentTree {
    const tokens = [...new Parser().parse(this.text)];
    for (const token of tokens) {
      if (token.type === 'directive') this.refuse(token.offset, 'YAML directives (`%YAML`, `%TAG`)');
      if (token.type === 'doc-end') this.refuse(token.offset, 'a document end marker (`...`)');
    }
    const doc = tokens.find((token): token is CST.Document => token.type === 'document');
    if (!doc?.value) return { header: [], root: undefined };
    const built = this.root(doc.value);
    if (!built) return { header: [], root: undefined };
    this.startsLine(built.start);
    const before = this.gap(0, this.lineStart(built.start), true);
    // The header is everything up to the last blank line or `---`; comments right above the first key are its own.
    let split = 0;
    before.forEach((line, i) => {
      if (line.kind !== 'comment') split = i + 1;
    });
    const firstEntry = built.node.entries[0];
    if (firstEntry) firstEntry.leading = [...before.slice(split), ...firstEntry.leading];
    const tail = this.claimTail(built.node, this.gap(this.nextLineStart(built.end), this.text.length));
    // Whatever no nested block claimed belongs to the file: it stays at the end.
    built.node.trailing.push(...tail);
    return { header: before.slice(0, split), root: built.node };
  }

  private root(token: CST.Token): Placed<Collection> | undefined {
    if (token.type === 'block-map' || token.type === 'block-seq') return this.block(token);
    // A flow root holding comments is kept as written, as any flow collection holding comments is.
    if (token.type === 'flow-collection' && keptFlow(token)) return undefined;
    if (token.type === 'flow-collection') {
      const end = this.flowEnd(token);
      if (this.restOfLine(end) !== '') this.refuse(end, 'a comment after a flow-style root');
      return { node: this.flow(token), start: token.start.offset, end };
    }
    return this.refuse(token.offset, 'a root that is not a mapping or a list');
  }

  // -------------------------------------------------------------------------
  // Block collections
  // -------------------------------------------------------------------------

  private block(token: CST.BlockMap | CST.BlockSequence): Placed<Collection> {
    const built =
      token.type === 'block-map'
        ? token.items.map((item) => this.mapEntry(item))
        : token.items.map((item) => this.seqEntry(item));
    const placed = built.filter((entry): entry is Placed<Entry> => entry !== undefined);
    const [first] = placed;
    const last = placed[placed.length - 1];
    if (!first || !last) return this.refuse(token.offset, 'an empty block');
    placed.forEach((entry, i) => {
      const previous = placed[i - 1];
      if (!previous) return;
      this.startsLine(entry.start);
      const gap = this.gap(this.nextLineStart(previous.end), this.lineStart(entry.start));
      entry.node.leading = this.claimAfter(previous.node, gap);
    });
    const kind = token.type === 'block-map' ? 'map' : 'seq';
    const entries = placed.map((entry) => entry.node);
    return {
      node: { kind, entries, trailing: [], column: this.column(first.start) },
      start: first.start,
      end: last.end,
    };
  }

  /** Lets the nested block of `entry` keep the comment lines that are indented into it; returns the rest. */
  private claimAfter(entry: Entry, gap: GapLine[]): GapLine[] {
    return isCollection(entry.value) ? this.claimTail(entry.value, gap) : gap;
  }

  private claimTail(collection: Collection, gap: GapLine[]): GapLine[] {
    const last = collection.entries[collection.entries.length - 1];
    const rest = last ? this.claimAfter(last, gap) : gap;
    let taken = 0;
    for (let i = 0; i < rest.length; i++) {
      const line = rest[i];
      if (line?.kind === 'blank') continue;
      if (line?.kind !== 'comment' || line.column < collection.column) break;
      taken = i + 1;
    }
    collection.trailing.push(...rest.slice(0, taken));
    return rest.slice(taken);
  }

  private mapEntry(item: MapItem): Placed<Entry> | undefined {
    if (item.explicitKey || item.start.some((t) => t.type === 'explicit-key-ind')) {
      return this.refuse(this.offsetOf(item), 'an explicit key (`? key`)');
    }
    if (item.key === undefined && item.sep === undefined) return undefined; // comment lines, read as a gap
    const keyToken = item.key;
    if (!isFlowScalar(keyToken)) return this.refuse(this.offsetOf(item), 'a key that is not a plain or quoted scalar');
    const keyProps = item.start.filter(isProp);
    // Props on a line above the key belong to the mapping, which a block cannot show: leave the file alone.
    const apart = keyProps.find((t) => this.lineOf(t.offset) !== this.lineOf(keyToken.offset));
    if (apart) return this.refuse(apart.offset, 'an anchor or tag on a line of its own');
    const start = keyProps[0]?.offset ?? keyToken.offset;
    const indicator = item.sep?.find((t) => t.type === 'map-value-ind');
    if (!indicator) return this.refuse(keyToken.offset, 'a key without `:`');
    const valueProps = (item.sep ?? []).filter(isProp);
    const parts = this.value(indicator.offset + 1, valueProps, item.value);
    const key = keyOf(keyToken, keyProps);
    const entry = this.entry(parts, key, [...item.start, keyToken, ...(item.sep ?? []), item.value]);
    return { node: entry, end: parts.end, start };
  }

  private seqEntry(item: CST.BlockSequence['items'][number]): Placed<Entry> | undefined {
    const indicator = item.start.find((t) => t.type === 'seq-item-ind');
    if (!indicator) return undefined; // comment lines, read as a gap
    const parts = this.value(indicator.offset + 1, item.start.filter(isProp), item.value);
    const entry = this.entry(parts, undefined, [...item.start, item.value]);
    return { node: entry, end: parts.end, start: indicator.offset };
  }

  private entry(parts: EntryParts, key: Key | undefined, tokens: (CST.Token | null | undefined)[]): Entry {
    const { anchors, aliases } = refsOf(tokens);
    const { props, headerComment, valueLeading, value } = parts;
    return { leading: [], key, props, headerComment, valueLeading, value, anchors, aliases };
  }

  /** The value after an indicator (`:` or `-`) ending at `indicatorEnd`, with its props. */
  private value(indicatorEnd: number, propTokens: CST.SourceToken[], token: CST.Token | undefined): ValueParts {
    const parts = { props: propTokens.map((t) => t.source), headerComment: '', valueLeading: [] as GapLine[] };
    const { open, start } = this.opening(indicatorEnd, propTokens, token);
    if (!token) return { ...parts, headerComment: this.restOfLine(open), value: undefined, end: open };
    if (token.type === 'block-map' || token.type === 'block-seq') {
      const built = this.block(token);
      const first = built.node.entries[0];
      if (first && this.lineOf(built.start) !== this.lineOf(open)) {
        parts.headerComment = this.restOfLine(open);
        first.leading = [...this.gap(this.nextLineStart(open), this.lineStart(built.start)), ...first.leading];
      }
      return { ...parts, value: built.node, end: built.end };
    }
    if (token.type === 'block-scalar') {
      if (this.lineOf(token.offset) !== this.lineOf(open))
        this.refuse(token.offset, 'a block scalar header on a later line');
      const built = this.blockScalar(token);
      return { ...parts, value: built.node, end: built.end };
    }
    if (token.type === 'flow-collection' && !keptFlow(token)) {
      return { ...parts, ...this.convertedValue(token, open, start) };
    }
    const leaf = this.flowLeaf(token);
    if (this.lineOf(start) !== this.lineOf(open)) {
      this.startsLine(start);
      parts.headerComment = this.restOfLine(open);
      parts.valueLeading = this.gap(this.nextLineStart(open), this.lineStart(start));
    }
    leaf.node.comment = this.restOfLine(leaf.end);
    return { ...parts, value: leaf.node, end: leaf.end };
  }

  /**
   * Where the indicator's line ends (after the props written on it) and where
   * the value starts (at its props, when they are written on the value's own
   * line, as in `key:\n  &a {...}`). Props alone on a line are refused.
   */
  private opening(
    indicatorEnd: number,
    propTokens: readonly CST.SourceToken[],
    token: CST.Token | undefined,
  ): { open: number; start: number } {
    const first = propTokens[0];
    const last = propTokens[propTokens.length - 1];
    if (!first || !last) return { open: indicatorEnd, start: token?.offset ?? indicatorEnd };
    const onLineOf = (offset: number): boolean =>
      propTokens.every((t) => this.lineOf(t.offset) === this.lineOf(offset));
    const propsEnd = last.offset + last.source.length;
    if (onLineOf(indicatorEnd - 1)) return { open: propsEnd, start: token?.offset ?? propsEnd };
    const inline = token && !['block-map', 'block-seq', 'block-scalar'].includes(token.type);
    if (token && inline && onLineOf(token.offset)) return { open: indicatorEnd, start: first.offset };
    return this.refuse(first.offset, 'an anchor or tag on a line of its own');
  }

  /**
   * A flow mapping (or a list holding one) becomes a block. `key: {a: 1} # note`
   * becomes `key: # note` above it; when it starts on a later line, the comment
   * lines above it go to its first entry and a comment after its bracket to its end.
   */
  private convertedValue(
    token: CST.FlowCollection,
    open: number,
    start: number,
  ): Pick<ValueParts, 'headerComment' | 'value' | 'end'> {
    const end = this.flowEnd(token);
    const value = this.flow(token);
    const after = this.restOfLine(end);
    if (this.lineOf(start) === this.lineOf(open)) return { headerComment: after, value, end };
    this.startsLine(start);
    const first = value.entries[0];
    if (first) first.leading = this.gap(this.nextLineStart(open), this.lineStart(start));
    if (after !== '') value.trailing.push({ kind: 'comment', text: after.trimStart(), column: 0 });
    return { headerComment: this.restOfLine(open), value, end };
  }

  private offsetOf(item: CST.CollectionItem): number {
    const own = item.start.find((t) => t.type !== 'space' && t.type !== 'newline' && t.type !== 'comment');
    return own?.offset ?? item.key?.offset ?? item.value?.offset ?? item.start[0]?.offset ?? 0;
  }

  // -------------------------------------------------------------------------
  // Leaves
  // -------------------------------------------------------------------------

  private flowLeaf(token: CST.Token): Placed<FlowLeaf> {
    if (isFlowScalar(token)) {
      const leaf: FlowLeaf = { kind: 'flow', lines: splitLines(token.source), bracketed: false, comment: '' };
      return { node: leaf, start: token.offset, end: token.offset + token.source.length };
    }
    if (token.type === 'flow-collection') {
      const end = this.flowEnd(token);
      const lines = splitLines(this.text.slice(token.start.offset, end));
      return { node: { kind: 'flow', lines, bracketed: true, comment: '' }, start: token.start.offset, end };
    }
    return this.refuse(token.offset, `an unexpected ${token.type}`);
  }

  private flowEnd(token: CST.FlowCollection): number {
    const close = token.end.find((t) => t.type === 'flow-map-end' || t.type === 'flow-seq-end');
    if (!close) return this.refuse(token.offset, 'an unclosed flow collection');
    return close.offset + 1;
  }

  private blockScalar(token: CST.BlockScalar): Placed<BlockLeaf> {
    const header = token.props.find((t) => t.type === 'block-scalar-header');
    if (!header || header.type !== 'block-scalar-header')
      return this.refuse(token.offset, 'a block scalar without a header');
    const headerEnd = header.offset + header.source.length;
    const last = token.props[token.props.length - 1];
    const contentStart = last?.type === 'newline' ? last.offset + last.source.length : headerEnd;
    const keep = header.source.includes('+');
    let lines = token.source === '' ? [] : splitLines(token.source);
    if (token.source.endsWith('\n')) lines = lines.slice(0, -1);
    // Trailing blank lines are content only under `+`; otherwise they are separation, read as a gap.
    if (!keep) while (lines.length > 0 && /^ *$/.test(lines[lines.length - 1] ?? '')) lines.pop();
    const indicator = /[1-9]/.exec(header.source);
    const firstContent = lines.find((line) => !/^ *$/.test(line));
    const indent = indicator ? token.indent + Number(indicator[0]) : (/^ */.exec(firstContent ?? '')?.[0].length ?? 0);
    const leaf: BlockLeaf = {
      kind: 'block',
      header: header.source,
      comment: this.restOfLine(headerEnd),
      lines,
      indent,
      explicit: indicator !== null,
      base: token.indent,
    };
    let end = headerEnd;
    if (keep) end = contentStart + token.source.length;
    else if (lines.length > 0) end = this.lineEnd(this.lineStartAfter(contentStart, lines.length - 1));
    return { node: leaf, start: token.offset, end };
  }

  // -------------------------------------------------------------------------
  // Flow collections turned into blocks
  // -------------------------------------------------------------------------

  private flow(token: CST.FlowCollection): Collection {
    const isMap = token.start.type === 'flow-map-start';
    const entries = flowItems(token).map((item) =>
      isMap || item.key ? this.flowPair(item, isMap) : this.flowItem(item),
    );
    return { kind: isMap ? 'map' : 'seq', entries, trailing: [], column: Infinity };
  }

  private flowItem(item: CST.CollectionItem): Entry {
    const props = item.start.filter(isProp).map((t) => t.source);
    const value = item.value ? this.flowValue(item.value) : undefined;
    return this.entry(flowParts(props, value), undefined, [...item.start, item.value]);
  }

  /** A pair of a flow mapping; in a flow list (`[a: 1]`) it is a one-pair mapping of its own. */
  private flowPair(item: CST.CollectionItem, inMap: boolean): Entry {
    const keyToken = item.key;
    if (item.start.some((t) => t.type === 'explicit-key-ind'))
      return this.refuse(this.offsetOf(item), 'an explicit key (`? key`)');
    if (!isFlowScalar(keyToken)) return this.refuse(this.offsetOf(item), 'a key that is not a plain or quoted scalar');
    const key = keyOf(keyToken, item.start.filter(isProp));
    const props = (item.sep ?? []).filter(isProp).map((t) => t.source);
    const value = item.value ? this.flowValue(item.value) : undefined;
    const tokens = [...item.start, keyToken, ...(item.sep ?? []), item.value];
    const pair = this.entry(flowParts(props, value), key, tokens);
    if (inMap) return pair;
    const map: Collection = { kind: 'map', entries: [pair], trailing: [], column: Infinity };
    return this.entry(flowParts([], map), undefined, tokens);
  }

  private flowValue(token: CST.Token): Leaf | Collection {
    if (token.type === 'flow-collection' && !keptFlow(token)) return this.flow(token);
    return this.flowLeaf(token).node;
  }

  // -------------------------------------------------------------------------
  // Source text: lines, gaps, comments
  // -------------------------------------------------------------------------

  private lineOf(offset: number): number {
    return this.lines.positionAt(offset).line;
  }

  private lineStart(offset: number): number {
    return offset - this.lines.positionAt(offset).character;
  }

  /** Where the line holding `offset` ends, before its line break. */
  private lineEnd(offset: number): number {
    const newline = this.text.indexOf('\n', offset);
    if (newline < 0) return this.text.length;
    return this.text[newline - 1] === '\r' ? newline - 1 : newline;
  }

  /** The start of the line after the one holding the character before `end`. */
  private nextLineStart(end: number): number {
    const newline = this.text.indexOf('\n', Math.max(0, end - 1));
    return newline < 0 ? this.text.length : newline + 1;
  }

  /** The start of the `n`th line after the one starting at `start`. */
  private lineStartAfter(start: number, n: number): number {
    let at = start;
    for (let i = 0; i < n; i++) at = this.nextLineStart(at + 1);
    return at;
  }

  private column(offset: number): number {
    return this.lines.positionAt(offset).character;
  }

  /** An entry on a later line must be the first thing on it. */
  private startsLine(offset: number): void {
    if (this.text.slice(this.lineStart(offset), offset).trim() !== '') this.refuse(offset, 'two entries on one line');
  }

  /** What follows `offset` on its line: nothing, or a comment (with the white space before it). */
  private restOfLine(offset: number): string {
    const rest = this.text.slice(offset, this.lineEnd(offset));
    if (rest.trim() === '') return '';
    if (/^[ \t]+#/.test(rest)) return rest.trimEnd();
    return this.refuse(offset, 'text the formatter cannot place');
  }

  /** The whole lines from `from` (a line start) up to `to`: blank, comments, and `---` in the header. */
  private gap(from: number, to: number, header = false): GapLine[] {
    const lines: GapLine[] = [];
    for (let at = from; at < to; at = this.nextLineStart(at + 1)) {
      const raw = this.text.slice(at, this.lineEnd(at));
      const text = raw.trim();
      if (text === '') lines.push({ kind: 'blank' });
      else if (text.startsWith('#')) lines.push({ kind: 'comment', text, column: raw.length - raw.trimStart().length });
      else if (header && /^---(\s+#.*)?$/.test(text)) lines.push({ kind: 'marker', text });
      else this.refuse(at, 'text the formatter cannot place');
    }
    return lines;
  }

  private refuse(offset: number, what: string): never {
    throw new FormatRefusal(`line ${this.lineOf(offset) + 1} holds ${what}, which the formatter leaves as written`);
  }
}
