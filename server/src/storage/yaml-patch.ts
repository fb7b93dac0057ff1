/**
 * The cache patch of a YAML model file, as text: only the byte ranges of the
 * engine-managed keys change, found through the `yaml` package's source
 * ranges and CST tokens. Everything else keeps its bytes: comments, key
 * order, quoting, anchors, flow style, CRLF, a BOM, the trailing newline or
 * its absence.
 *
 * Every result is checked before it may be written: the patched text must
 * parse to exactly the original model with the updates applied
 * (cache-values.ts). patchYamlText checks before it returns; planYamlPatch
 * hands the check to the writer, which runs it while the disk syncs.
 * When the preferred, readable emission fails that check (an exotic layout),
 * the values are emitted as JSON, which is valid in any YAML context; when
 * that fails too, the patch throws rather than write anything doubtful.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  Document,
  isCollection,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseAllDocuments,
  Scalar,
  visit,
  type Node as YamlNode,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import {
  applyCacheUpdates,
  comparableForCache,
  isPlainObject,
  mergeColumns,
  sameColumns,
  SAMPLE_KEYS,
  sampleFieldEqual,
  type Plain,
} from './cache-values';
import type { CacheUpdates } from './types';
import { emitBlockYaml } from './block-yaml';
import { parseFastYaml } from '../engine/schema/fast-yaml';
import { documentOf } from '../engine/schema/yaml-source';

export interface YamlPatchResult {
  text: string;
  changed: boolean;
}

/** How new values are written: readable YAML, or JSON as the always-valid fallback. */
type EmitStyle = 'yaml' | 'json';

interface Edit {
  start: number;
  end: number;
  text: string;
}

interface Layout {
  eol: string;
  /** Spaces per nesting level, as the file already uses. */
  step: number;
  /** Block lists under a key indented (`key:\n  - a`) rather than flush (`key:\n- a`). */
  indentSeq: boolean;
}

interface PlanContext {
  body: string;
  doc: Document.Parsed;
  layout: Layout;
  style: EmitStyle;
  edits: Edit[];
  /** Keys to append per mapping, written in one edit after its last pair. */
  inserts: Map<YAMLMap, [string, unknown][]>;
}

const BOM = '\uFEFF';

export function patchYamlText(text: string, updates: CacheUpdates): YamlPatchResult {
  const planned = planYamlPatch(text, updates);
  if (!planned.changed || planned.check()) return { text: planned.text, changed: planned.changed };
  return planned.fallback();
}

/** A patch in its preferred style, not yet checked. */
export interface PlannedYamlPatch extends YamlPatchResult {
  /**
   * Whether `text` parses to exactly the old model plus the updates: it
   * must be true before the text may be written. Kept apart so a writer can
   * run it while the disk syncs the bytes it may then rename in.
   */
  check(): boolean;
  /** The checked patch in the fallback style (JSON values), for when `check` fails; throws when none holds. */
  fallback(): YamlPatchResult;
}

/** Plans the patch in the preferred, readable style; throws when the file cannot be patched at all. */
export function planYamlPatch(text: string, updates: CacheUpdates): PlannedYamlPatch {
  const bom = text.startsWith(BOM) ? BOM : '';
  const body = text.slice(bom.length);
  const doc = parseModelYaml(body);
  const before = toPlain(doc);
  const layout = detectLayout(body, doc);
  const patchIn = (style: EmitStyle): string | undefined => {
    const edits = planEdits({ body, doc, layout, style, edits: [], inserts: new Map() }, updates);
    return edits.length === 0 ? undefined : applyEdits(body, edits);
  };
  const patched = patchIn('yaml');
  if (patched === undefined)
    return { text, changed: false, check: () => true, fallback: () => ({ text, changed: false }) };
  return {
    text: bom + patched,
    changed: true,
    check: () => matchesExpected(patched, before, updates),
    fallback: () => {
      const json = patchIn('json');
      if (json !== undefined && matchesExpected(json, before, updates)) return { text: bom + json, changed: true };
      throw unpatchable('the patched file would not hold exactly the old content plus the new cache values');
    },
  };
}

function unpatchable(why: string): SlayerError {
  return new SlayerError(ErrorCode.UnpatchableYaml, `Cannot patch the cache of this file safely: ${why}.`);
}

/**
 * The last few documents parsed, by their exact text. A patch's check parses
 * the text it is about to write; when the next patch of that file finds the
 * same bytes (nobody wrote it since), it starts from that parse instead of
 * parsing again. Nothing here mutates a parsed document, so sharing is safe.
 */
const recentParses = new Map<string, Document.Parsed>();
const RECENT_PARSES = 2;

/**
 * Exactly one YAML document, without errors, whose root is a mapping. Most
 * model files are read by the engine's fast reader, at a fiftieth of the
 * `yaml` package's cost; a patch parses twice (the file, then its own result).
 */
function parseModelYaml(body: string): Document.Parsed {
  const recent = recentParses.get(body);
  if (recent) return recent;
  const doc = parseOneMapping(body);
  if (recentParses.size >= RECENT_PARSES) recentParses.delete(recentParses.keys().next().value ?? '');
  recentParses.set(body, doc);
  return doc;
}

function parseOneMapping(body: string): Document.Parsed {
  // The fast reader builds the yaml package's own nodes, values and ranges, or declines (fast-yaml.ts).
  const fast = parseFastYaml(body);
  if (fast && isMap(fast)) return documentOf({ contents: fast, doc: undefined });
  const docs = parseAllDocuments(body, { uniqueKeys: true });
  if (!Array.isArray(docs) || docs.length !== 1) throw unpatchable('the file is not exactly one YAML document');
  const [doc] = docs;
  if (!doc) throw unpatchable('the file is empty');
  if (doc.errors.length > 0) throw unpatchable(`the YAML does not parse (${doc.errors[0]?.message.split('\n')[0]})`);
  if (!isMap(doc.contents)) throw unpatchable('the document is not a mapping');
  return doc;
}

function toPlain(doc: Document.Parsed): Plain {
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw unpatchable(error instanceof Error ? error.message : String(error));
  }
  if (!isPlainObject(value)) throw unpatchable('the document is not a mapping');
  return value;
}

/** The patched text must decode to the old model plus the updates, and nothing else. */
function matchesExpected(patched: string, before: Plain, updates: CacheUpdates): boolean {
  let after: Plain;
  try {
    after = toPlain(parseModelYaml(patched));
  } catch {
    return false;
  }
  const expected = applyCacheUpdates(before, updates);
  return isDeepStrictEqual(comparableForCache(after, updates), comparableForCache(expected, updates));
}

function applyEdits(body: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  let out = body;
  let limit = Number.POSITIVE_INFINITY;
  for (const edit of sorted) {
    if (edit.end > limit) throw unpatchable('two cache edits overlap');
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
    limit = edit.start;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Layout: line endings and indentation, learnt from the file
// ---------------------------------------------------------------------------

function columnOf(body: string, offset: number): number {
  return offset - (body.lastIndexOf('\n', offset - 1) + 1);
}

function mostCommon(values: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: number | undefined;
  for (const [value, count] of counts) if (best === undefined || count > (counts.get(best) ?? 0)) best = value;
  return best;
}

function detectLayout(body: string, doc: Document.Parsed): Layout {
  const firstBreak = body.indexOf('\n');
  const eol = firstBreak > 0 && body[firstBreak - 1] === '\r' ? '\r\n' : '\n';
  const mapSteps: number[] = [];
  const seqSteps: number[] = [];
  visit(doc, {
    Pair(_key, pair) {
      const key = pair.key as YamlNode | null;
      const value = pair.value as YamlNode | null;
      if (!key?.range || !isCollection(value) || value.flow || !value.range) return;
      if (!body.slice(key.range[1], value.range[0]).includes('\n')) return;
      const delta = columnOf(body, value.range[0]) - columnOf(body, key.range[0]);
      (isSeq(value) ? seqSteps : mapSteps).push(delta);
    },
  });
  const step = mostCommon(mapSteps.filter((d) => d > 0)) ?? mostCommon(seqSteps.filter((d) => d > 0)) ?? 2;
  const seqStep = mostCommon(seqSteps);
  return { eol, step, indentSeq: seqStep === undefined ? true : seqStep > 0 };
}

// ---------------------------------------------------------------------------
// Where things are in the source
// ---------------------------------------------------------------------------

function isBlockScalar(node: YamlNode): boolean {
  return isScalar(node) && (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED);
}

/**
 * Where a value's own text ends: not its trailing comments, and for a block
 * scalar not the line break that closes it (so an edit there keeps the
 * separator, and trailing lines a `|+` keeps stay part of its value).
 */
function contentEnd(body: string, node: YamlNode): number {
  const range = node.range;
  if (!range) throw unpatchable('a value has no source position');
  if (isBlockScalar(node)) {
    const end = range[1];
    if (body.slice(end - 2, end) === '\r\n') return end - 2;
    return body[end - 1] === '\n' ? end - 1 : end;
  }
  if (isCollection(node) && !node.flow) {
    const last = node.items[node.items.length - 1];
    if (last === undefined) return range[1];
    if (isMap(node)) return pairEnd(body, last as Pair);
    return contentEnd(body, last as YamlNode);
  }
  return range[1];
}

function pairEnd(body: string, pair: Pair): number {
  const value = pair.value as YamlNode | null;
  if (value?.range && value.range[1] > value.range[0]) return contentEnd(body, value);
  return colonEnd(body, pair);
}

/**
 * The offset just after a pair's `:` indicator. Between a key and its `:`
 * YAML allows only spaces, line breaks and comments (an explicit `? key`
 * puts the `:` on a later line), so the first other character is the `:`.
 */
function colonEnd(body: string, pair: Pair): number {
  const keyEnd = (pair.key as YamlNode | null)?.range?.[1];
  if (keyEnd === undefined) throw unpatchable('a cache key has no source position');
  for (let at = keyEnd; at < body.length; at++) {
    const char = body[at];
    if (char === ':') return at + 1;
    if (char === '#') at = lineEnd(body, at);
    else if (char !== ' ' && char !== '\t' && char !== '\n' && char !== '\r') break;
  }
  throw unpatchable('a cache key has no `:`');
}

function lineEnd(body: string, offset: number): number {
  const newline = body.indexOf('\n', offset);
  if (newline < 0) return body.length;
  return body[newline - 1] === '\r' ? newline - 1 : newline;
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => isScalar(pair.key) && pair.key.value === key);
}

// ---------------------------------------------------------------------------
// Emitting values
// ---------------------------------------------------------------------------

function reindent(text: string, column: number, eol: string): string {
  const pad = ' '.repeat(column);
  return text
    .split('\n')
    .map((line, i) => (i === 0 || line === '' ? line : pad + line))
    .join(eol);
}

function yamlText(value: unknown, layout: Layout, flow: boolean): string {
  const fast = flow ? undefined : emitBlockYaml(value, layout);
  if (fast !== undefined) return fast;
  const doc = new Document(value);
  if (flow) {
    visit(doc, {
      Collection(_key, node) {
        node.flow = true;
      },
    });
  }
  return doc
    .toString({
      lineWidth: 0,
      minContentWidth: 0,
      indent: layout.step,
      indentSeq: layout.indentSeq,
      flowCollectionPadding: false,
    })
    .replace(/\n$/, '');
}

/**
 * `key: value` as it goes into a mapping whose keys sit at `column`: lines
 * after the first already carry their indentation; the first carries none.
 */
function emitPair(ctx: PlanContext, key: string, value: unknown, flow: boolean, column: number): string {
  if (ctx.style === 'json') return `${key}: ${JSON.stringify(value)}`;
  if (flow) {
    const text = yamlText({ [key]: value }, ctx.layout, true);
    // A flow pair spread over lines would need the surrounding indentation; JSON never does.
    return text.includes('\n') ? `${key}: ${JSON.stringify(value)}` : text.slice(1, -1);
  }
  return reindent(yamlText({ [key]: value }, ctx.layout, false), column, ctx.layout.eol);
}

/** A value alone, starting at `column` on its own line (the old value began on a line after its key). */
function emitValueAt(ctx: PlanContext, value: unknown, column: number): string {
  if (ctx.style === 'json') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) {
    return reindent(yamlText(value, ctx.layout, false), column, ctx.layout.eol);
  }
  // A scalar is emitted as a pair's value so a block scalar's lines sit one step deeper than its header.
  return emitPair(ctx, 'k', value, false, column).slice('k: '.length);
}

// ---------------------------------------------------------------------------
// Planning the edits
// ---------------------------------------------------------------------------

function planEdits(ctx: PlanContext, updates: CacheUpdates): Edit[] {
  const root = ctx.doc.contents as YAMLMap;
  if (updates.columns) {
    const columnsPair = findPair(root, 'columns');
    const existing = columnsPair ? toJsOf(ctx, columnsPair.value) : undefined;
    const next = mergeColumns(existing, updates.columns, updates.column_samples);
    if (!sameColumns(existing, next)) setValue(ctx, root, 'columns', next);
  } else if (updates.column_samples) {
    planSamples(ctx, root, updates.column_samples);
  }
  for (const key of ['backing_query_sql', 'data_source'] as const) {
    const value = updates[key];
    if (value === undefined) continue;
    const pair = findPair(root, key);
    if (pair && toJsOf(ctx, pair.value) === value) continue;
    setValue(ctx, root, key, value);
  }
  for (const [map, pairs] of ctx.inserts) ctx.edits.push(insertionEdit(ctx, map, pairs));
  return ctx.edits;
}

/** A node's value as a reader of the file sees it (aliases resolved). */
function toJsOf(ctx: PlanContext, node: unknown): unknown {
  if (!isNode(node)) return null;
  return node.toJS(ctx.doc, { maxAliasCount: 1000 });
}

function planSamples(ctx: PlanContext, root: YAMLMap, samples: NonNullable<CacheUpdates['column_samples']>): void {
  const columns = findPair(root, 'columns')?.value;
  if (columns === undefined || columns === null) return;
  if (!isSeq(columns)) {
    if (isMap(columns) || isScalar(columns)) return; // not a list: nothing a sample can attach to
    throw unpatchable('`columns` is an alias; its samples would change the anchored list');
  }
  for (const [name, sample] of Object.entries(samples)) {
    const item = columns.items.find((candidate) => {
      const js = toJsOf(ctx, candidate);
      return isPlainObject(js) && js.name === name;
    });
    if (item === undefined) continue;
    if (!isMap(item)) throw unpatchable(`column '${name}' is an alias; its samples would change the anchored column`);
    for (const key of SAMPLE_KEYS) {
      const pair = findPair(item, key);
      const stored = pair ? toJsOf(ctx, pair.value) : undefined;
      if (sampleFieldEqual(stored, sample[key])) continue;
      setValue(ctx, item, key, sample[key]);
    }
  }
}

/** Replaces the key's value, or queues the key to be appended to its mapping. */
function setValue(ctx: PlanContext, map: YAMLMap, key: string, value: unknown): void {
  const pair = findPair(map, key);
  if (!pair) {
    const queued = ctx.inserts.get(map) ?? [];
    queued.push([key, value]);
    ctx.inserts.set(map, queued);
    return;
  }
  ctx.edits.push(replacementEdit(ctx, map, pair, key, value));
}

function replacementEdit(ctx: PlanContext, map: YAMLMap, pair: Pair, key: string, value: unknown): Edit {
  const { body } = ctx;
  const keyNode = pair.key as YamlNode;
  const keyColumn = columnOf(body, keyNode.range?.[0] ?? 0);
  const node = pair.value as YamlNode | null;
  const colon = colonEnd(body, pair);
  const emitted = emitPair(ctx, key, value, Boolean(map.flow), keyColumn);
  // What follows `key:`: " value", or a line break and an indented block.
  const afterKey = emitted.slice(key.length + 1);
  if (!node?.range || node.range[1] === node.range[0]) {
    // `key:` with nothing after it (null): the value goes right after the colon, before any comment.
    return { start: colon, end: colon, text: afterKey };
  }
  const start = node.range[0];
  const end = contentEnd(body, node);
  if (map.flow) return { start, end, text: afterKey.replace(/^ /, '') };
  const sameLine = !body.slice(colon, start).includes('\n');
  if (!sameLine) return { start, end, text: emitValueAt(ctx, value, columnOf(body, start)) };
  // Same line: a scalar keeps the old value's spacing (and props); a block list or map starts on the next line.
  if (afterKey.startsWith(' ')) return { start, end, text: afterKey.slice(1) };
  return { start: colon, end, text: afterKey };
}

/** New keys go after the mapping's last pair, at its keys' indentation (or `, key: value` in a flow mapping). */
function insertionEdit(ctx: PlanContext, map: YAMLMap, pairs: readonly [string, unknown][]): Edit {
  const { body } = ctx;
  const last = map.items[map.items.length - 1];
  if (map.flow) {
    const texts = pairs.map(([key, value]) => emitPair(ctx, key, value, true, 0));
    if (!last) {
      const open = map.range?.[0] ?? -1;
      if (body[open] !== '{') throw unpatchable('an empty flow mapping without `{`');
      return { start: open + 1, end: open + 1, text: texts.join(', ') };
    }
    const at = pairEnd(body, last);
    return { start: at, end: at, text: texts.map((t) => `, ${t}`).join('') };
  }
  const firstKey = map.items[0]?.key as YamlNode | undefined;
  if (!last || !firstKey?.range) throw unpatchable('a block mapping without a key position');
  const column = columnOf(body, firstKey.range[0]);
  const at = lineEnd(body, pairEnd(body, last));
  const pad = ' '.repeat(column);
  const text = pairs.map(([key, value]) => ctx.layout.eol + pad + emitPair(ctx, key, value, false, column)).join('');
  return { start: at, end: at, text };
}
