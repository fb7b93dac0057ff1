import { Scalar, type Document, type Node as YamlNode, type YAMLMap, type YAMLSeq } from 'yaml';
import { isAlias, isMap, isNode, isPair, isScalar, isSeq } from './yaml-kinds';
import { DiagnosticCode } from '../../../../shared/src/diagnostics';
import type { ProblemSink } from './problems';
import type { Span } from './source';
import { suggestName } from '../suggest';
import { describeNode, MAX_ALIAS_RESOLUTIONS, spanOfNode, valueOffsetBase } from './yaml-source';

export type Path = readonly (string | number)[];

export function pathKey(path: Path): string {
  return path.join('.');
}

/**
 * Where each decoded value came from. Validation rules and later features
 * (hover, go-to-definition, write-back) ask for spans by path, e.g.
 * `['measures', 2, 'formula']`.
 */
export class SourceMap {
  /** Each recorded path's slot, while decoding; the slot's numbers sit at `slot * SLOT` in `spans`. */
  private slots: Map<string, number> | undefined = new Map<string, number>();
  /** Per slot: value start, value end, key start, key end, and where an exact string's characters start; -1 when unknown. */
  private spans: number[] | Int32Array = [];
  /** Once sealed: each slot's (interned) key, in slot order. */
  private keys: readonly string[] = [];
  /** Once sealed and first asked: the slots ordered by key, for lookup by binary search. */
  private byKey: Uint16Array | Uint32Array | undefined;

  /**
   * Done recording: the spans move into a typed array and the slot map
   * into a key list (sorted for lookup when first asked). Every file keeps
   * its map as long as it is open or indexed, and at start-up each survived
   * the young generation's collections twice: a Map's hash table and an
   * array of 8-byte numbers were a third of a model file's resident state.
   */
  seal(): void {
    const slots = this.slots;
    if (!slots) return;
    this.keys = [...slots.keys()];
    this.byKey = undefined;
    this.spans = new Int32Array(this.spans);
    this.slots = undefined;
  }

  recordValue(path: Path, span: Span): void {
    this.recordValueAt(this.slotOf(path), span);
  }

  recordKey(path: Path, span: Span): void {
    this.recordKeyAt(this.slotOf(path), span);
  }

  /**
   * The slot of `key` (a path's pathKey), for recording several spans of one
   * path with one lookup; `path` makes the path when the key is new. Decoding
   * records three spans per field of every file, so this is start-up's
   * innermost loop.
   */
  slotOfKey(key: string, path: () => Path): number {
    let interned = INTERNED.get(key);
    if (!interned) {
      interned = { key, path: path() };
      INTERNED.set(key, interned);
    }
    const slots = this.recording();
    // Keyed by the shared copy of the key: a file's map then holds no strings of its own.
    let slot = slots.get(interned.key);
    if (slot === undefined) {
      slot = slots.size;
      slots.set(interned.key, slot);
      (this.spans as number[]).push(-1, -1, -1, -1, -1);
    }
    return slot;
  }

  recordValueAt(slot: number, span: Span): void {
    this.spans[slot * SLOT + VALUE_START] = span.start;
    this.spans[slot * SLOT + VALUE_END] = span.end;
  }

  recordKeyAt(slot: number, span: Span): void {
    this.spans[slot * SLOT + KEY_START] = span.start;
    this.spans[slot * SLOT + KEY_END] = span.end;
  }

  /** A string value whose character `i` sits at `base + i` in the file (a plain or simply quoted scalar). */
  recordStringAt(slot: number, base: number): void {
    this.spans[slot * SLOT + STRING_BASE] = base;
  }

  /** The innermost recorded value (or key) containing `offset`: what the cursor is on. */
  innermostAt(offset: number): { path: Path; span: Span; onKey: boolean } | undefined {
    let best: { key: string; start: number; end: number; onKey: boolean } | undefined;
    for (const onKey of [false, true]) {
      const first = onKey ? KEY_START : VALUE_START;
      for (const [key, slot] of this.entries()) {
        const start = this.spans[slot * SLOT + first] ?? -1;
        const end = this.spans[slot * SLOT + first + 1] ?? -1;
        if (start < 0 || offset < start || offset > end) continue;
        if (best && end - start >= best.end - best.start) continue;
        best = { key, start, end, onKey };
      }
    }
    return best && { path: internedPath(best.key), span: { start: best.start, end: best.end }, onKey: best.onKey };
  }

  /**
   * The span of characters [from, to) inside a string value, only when it is
   * known exactly (a plain or simply quoted scalar): rename edits these
   * characters, so an approximation would corrupt the file.
   */
  exactInner(path: Path, from: number, to: number): Span | undefined {
    const base = this.number(path, STRING_BASE);
    return base === undefined ? undefined : { start: base + from, end: base + to };
  }

  value(path: Path): Span | undefined {
    return this.span(path, VALUE_START);
  }

  key(path: Path): Span | undefined {
    return this.span(path, KEY_START);
  }

  /** The value's span, else its key's, else the nearest ancestor's: there is always somewhere to point. */
  best(path: Path): Span {
    for (let length = path.length; length >= 0; length--) {
      const prefix = path.slice(0, length);
      const span = this.value(prefix) ?? this.key(prefix);
      if (span) return span;
    }
    return { start: 0, end: 0 };
  }

  /** The exact span of characters [from, to) inside a string value, or the whole value when unknown. */
  inner(path: Path, from: number, to: number): Span {
    return this.exactInner(path, from, to) ?? this.best(path);
  }

  /** A sealed map records again by going back to a Map: rare, so it is not made cheap. */
  private recording(): Map<string, number> {
    if (this.slots) return this.slots;
    this.slots = new Map(this.keys.map((key, slot) => [key, slot]));
    this.spans = [...this.spans];
    this.keys = [];
    this.byKey = undefined;
    return this.slots;
  }

  private entries(): Iterable<[string, number]> {
    return this.slots ?? this.keys.map((key, slot): [string, number] => [key, slot]);
  }

  private slotFor(key: string): number | undefined {
    if (this.slots) return this.slots.get(key);
    const byKey = (this.byKey ??= this.sortedSlots());
    let low = 0;
    let high = byKey.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const slot = byKey[middle] ?? 0;
      const order = compareKeys(this.keys[slot] ?? '', key);
      if (order === 0) return slot;
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** Built on the first lookup: most files are never asked after decoding (only a problem needs a span). */
  private sortedSlots(): Uint16Array | Uint32Array {
    const keys = this.keys;
    const order = keys.length <= 0xffff ? new Uint16Array(keys.length) : new Uint32Array(keys.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    return order.sort((a, b) => compareKeys(keys[a] ?? '', keys[b] ?? ''));
  }

  private slotOf(path: Path): number {
    return this.slotOfKey(pathKey(path), () => [...path]);
  }

  private number(path: Path, field: number): number | undefined {
    const slot = this.slotFor(pathKey(path));
    const value = slot === undefined ? -1 : (this.spans[slot * SLOT + field] ?? -1);
    return value < 0 ? undefined : value;
  }

  private span(path: Path, first: number): Span | undefined {
    const start = this.number(path, first);
    const end = this.number(path, first + 1);
    return start === undefined || end === undefined ? undefined : { start, end };
  }
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const SLOT = 5;
const VALUE_START = 0;
const VALUE_END = 1;
const KEY_START = 2;
const KEY_END = 3;
const STRING_BASE = 4;

/**
 * Path keys and paths shared by every file: thousands of models record the
 * same few hundred paths (`columns.3.name`), and one copy of each is enough.
 */
const INTERNED = new Map<string, { key: string; path: Path }>();

/** The pathKey of `[...parent, child]`, from the parent's. */
export function childKey(parentKey: string, child: string | number): string {
  return parentKey === '' ? String(child) : `${parentKey}.${child}`;
}

function internedPath(key: string): Path {
  return INTERNED.get(key)?.path ?? [];
}

export class DecodeContext {
  private aliasesLeft = MAX_ALIAS_RESOLUTIONS;

  constructor(
    /** What aliases resolve against; the fast reader's documents have none. */
    readonly doc: Document.Parsed | undefined,
    readonly text: string,
    readonly sink: ProblemSink,
    readonly sources: SourceMap,
    readonly warnOnUnknownFields: boolean,
  ) {}

  /** Follows aliases within a budget, so a hostile file cannot make the walk explode. */
  resolve(node: unknown): YamlNode | undefined {
    let current: unknown = node;
    while (isAlias(current)) {
      if (this.aliasesLeft-- <= 0) {
        this.sink.error(
          DiagnosticCode.AliasLimit,
          spanOfNode(current),
          `More than ${MAX_ALIAS_RESOLUTIONS} alias uses; the rest of this file is not checked.`,
        );
        return undefined;
      }
      current = this.doc ? current.resolve(this.doc) : undefined;
    }
    if (current === null || current === undefined) return undefined;
    return current as YamlNode;
  }

  expectMap(node: YamlNode | undefined, path: Path, what: string): YAMLMap | undefined {
    if (isMap(node)) return node;
    this.wrongType(node, path, `${what} (a mapping)`);
    return undefined;
  }

  expectSeq(node: YamlNode | undefined, path: Path, what: string): YAMLSeq | undefined {
    if (isSeq(node)) return node;
    this.wrongType(node, path, `${what} (a list)`);
    return undefined;
  }

  wrongType(node: YamlNode | undefined, path: Path, expected: string): void {
    const span = node ? spanOfNode(node) : this.sources.best(path);
    this.sink.error(DiagnosticCode.WrongType, span, `${label(path)}: expected ${expected}, got ${describeNode(node)}.`);
  }

  record(path: Path, node: YamlNode): void {
    this.recordAt(
      this.sources.slotOfKey(pathKey(path), () => [...path]),
      node,
    );
  }

  recordAt(slot: number, node: YamlNode): void {
    this.sources.recordValueAt(slot, spanOfNode(node));
    if (isScalar(node)) {
      const base = valueOffsetBase(node, this.text);
      if (base !== undefined) this.sources.recordStringAt(slot, base);
    }
  }

  /** Reads a mapping's fields by name; unknown keys are reported once, here. */
  fields(map: YAMLMap, path: Path, known: ReadonlySet<string>, options: FieldOptions): FieldReader {
    return new FieldReader(this, map, path, known, options);
  }
}

export interface FieldOptions {
  /** What the mapping is, for messages ("column", "query"). */
  what: string;
  /** SLayer ignores unknown model fields but rejects unknown query fields. */
  unknown: 'warn' | 'error';
  /** Old spellings SLayer still reads, e.g. `user` for `username`. */
  aliases?: Readonly<Record<string, string>>;
}

export type Decoder<T> = (node: YamlNode, ctx: DecodeContext, path: Path) => T | undefined;

export class FieldReader {
  private readonly byName = new Map<string, YamlNode | undefined>();
  /** Where a missing field is reported: the mapping's first key, a line the user can see. */
  private readonly anchor: Span;

  constructor(
    private readonly ctx: DecodeContext,
    map: YAMLMap,
    private readonly path: Path,
    known: ReadonlySet<string>,
    options: FieldOptions,
  ) {
    const firstKey: unknown = map.items[0]?.key;
    this.anchor = isNode(firstKey) ? spanOfNode(firstKey) : spanOfNode(map);
    const parentKey = pathKey(path);
    for (const item of map.items) {
      if (!isPair(item)) continue;
      const keyNode = ctx.resolve(item.key);
      const keyValue: unknown = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof keyValue !== 'string') {
        ctx.sink.error(DiagnosticCode.WrongType, spanOfNode(keyNode), `${options.what} keys must be strings.`);
        continue;
      }
      const name = options.aliases?.[keyValue] ?? keyValue;
      const slot = ctx.sources.slotOfKey(childKey(parentKey, name), () => [...path, name]);
      ctx.sources.recordKeyAt(slot, spanOfNode(keyNode));
      if (!known.has(name)) {
        this.reportUnknown(keyValue, spanOfNode(keyNode), known, options);
        continue;
      }
      const valueNode = ctx.resolve(item.value);
      if (valueNode) ctx.recordAt(slot, valueNode);
      this.byName.set(name, valueNode);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Absent or null gives undefined, as for SLayer's Optional fields. */
  optional<T>(name: string, decode: Decoder<T>): T | undefined {
    const node = this.byName.get(name);
    if (node === undefined || isNull(node)) return undefined;
    return decode(node, this.ctx, [...this.path, name]);
  }

  required<T>(name: string, decode: Decoder<T>): T | undefined {
    if (!this.byName.has(name) || isNull(this.byName.get(name))) {
      const span = this.ctx.sources.key([...this.path, name]) ?? this.anchor;
      this.ctx.sink.error(DiagnosticCode.MissingField, span, `${label(this.path)}: '${name}' is required.`);
      return undefined;
    }
    return this.optional(name, decode);
  }

  node(name: string): YamlNode | undefined {
    return this.byName.get(name);
  }

  private reportUnknown(key: string, span: Span, known: ReadonlySet<string>, options: FieldOptions): void {
    const named = suggestName(key, known);
    if (options.unknown === 'error') {
      this.ctx.sink.error(
        DiagnosticCode.UnknownField,
        span,
        `Unknown ${options.what} field '${key}'.${named.hint}`,
        named.suggestion,
      );
    } else if (this.ctx.warnOnUnknownFields) {
      this.ctx.sink.warning(
        DiagnosticCode.UnknownField,
        span,
        `SLayer does not know the ${options.what} field '${key}'; it is kept in the file but ignored.${named.hint}`,
        named.suggestion,
      );
    }
  }
}

function isNull(node: YamlNode | undefined): boolean {
  return isScalar(node) && node.value === null;
}

/** "columns[2].name", for messages. */
export function label(path: Path): string {
  if (path.length === 0) return 'Document';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

export const str: Decoder<string> = (node, ctx, path) => {
  if (isScalar(node) && typeof node.value === 'string') return node.value;
  ctx.wrongType(node, path, 'a string');
  return undefined;
};

export const bool: Decoder<boolean> = (node, ctx, path) => {
  if (isScalar(node) && typeof node.value === 'boolean') return node.value;
  ctx.wrongType(node, path, 'true or false');
  return undefined;
};

export const int: Decoder<number> = (node, ctx, path) => {
  if (isScalar(node) && typeof node.value === 'number' && Number.isInteger(node.value)) return node.value;
  ctx.wrongType(node, path, 'an integer');
  return undefined;
};

export const nonNegativeInt: Decoder<number> = (node, ctx, path) => {
  const value = int(node, ctx, path);
  if (value !== undefined && value < 0) {
    ctx.sink.error(DiagnosticCode.InvalidValue, spanOfNode(node), `${label(path)} must not be negative.`);
    return undefined;
  }
  return value;
};

/** Any plain data (meta, variables); aliases are expanded within the same budget. */
export const plainData: Decoder<unknown> = (node, ctx, path) => toPlain(node, ctx, path, 0);

export const record: Decoder<Record<string, unknown>> = (node, ctx, path) => {
  if (!isMap(node)) {
    ctx.wrongType(node, path, 'a mapping');
    return undefined;
  }
  const value = toPlain(node, ctx, path, 0);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
};

const MAX_PLAIN_DEPTH = 64;

function toPlain(node: YamlNode, ctx: DecodeContext, path: Path, depth: number): unknown {
  if (depth > MAX_PLAIN_DEPTH) return undefined;
  if (isScalar(node)) return node.value;
  if (isSeq(node)) {
    return node.items.map((item, i) => {
      const resolved = ctx.resolve(item);
      return resolved ? toPlain(resolved, ctx, [...path, i], depth + 1) : null;
    });
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = ctx.resolve(pair.key);
      const value = ctx.resolve(pair.value);
      const keyText = isScalar(key) ? String(key.value) : '';
      // A plain mapping's keys declare things too (query variables); navigation points at them.
      if (key) ctx.sources.recordKey([...path, keyText], spanOfNode(key));
      out[keyText] = value ? toPlain(value, ctx, [...path, keyText], depth + 1) : null;
    }
    return out;
  }
  return undefined;
}

export function enumOf<T extends string>(
  values: readonly T[],
  options: { caseInsensitive?: boolean } = {},
): Decoder<T> {
  return (node, ctx, path) => {
    const text = str(node, ctx, path);
    if (text === undefined) return undefined;
    const wanted = options.caseInsensitive ? text.trim().toLowerCase() : text;
    const match = values.find((value) => value === wanted);
    if (match !== undefined) return match;
    const named = suggestName(text, new Set(values));
    ctx.sink.error(
      DiagnosticCode.InvalidValue,
      spanOfNode(node),
      `${label(path)}: '${text}' is not one of ${values.join(', ')}.${named.hint}`,
      named.suggestion,
    );
    return undefined;
  };
}

export function listOf<T>(item: Decoder<T>, what: string): Decoder<T[]> {
  return (node, ctx, path) => {
    const seq = ctx.expectSeq(node, path, what);
    if (!seq) return undefined;
    const out: T[] = [];
    seq.items.forEach((child, i) => {
      const resolved = ctx.resolve(child);
      const childPath = [...path, i];
      if (!resolved) {
        ctx.wrongType(undefined, childPath, 'a value');
        return;
      }
      ctx.record(childPath, resolved);
      const value = item(resolved, ctx, childPath);
      if (value !== undefined) out.push(value);
    });
    return out;
  };
}

/** Keeps a scalar string's exact source mapping even when it sits in a list. */
export function isStringScalar(node: YamlNode | undefined): node is Scalar<string> {
  return isScalar(node) && typeof node.value === 'string';
}
