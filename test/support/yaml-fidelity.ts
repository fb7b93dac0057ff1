/**
 * Measuring what a cache patch changed in a YAML file: where the cache keys
 * sit, which bytes differ between two versions (a line diff refined to
 * characters), and the file with its cache keys cut out, so two versions can
 * be compared on everything a user wrote.
 */
import assert from 'node:assert/strict';
import { isMap, isScalar, isSeq, parseAllDocuments, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';

export const TOP_CACHE_KEYS = ['columns', 'backing_query_sql', 'data_source'] as const;
export const SAMPLE_KEYS = ['sampled', 'sampled_values', 'distinct_count'] as const;

export interface CacheKeyOptions {
  /** Query-backed: the whole `columns` list is cache. Table-backed: only the samples inside each column. */
  columnsAreCache: boolean;
}

type Range = [number, number];

function stripBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

export function parseOne(text: string): YAMLMap {
  const docs = parseAllDocuments(stripBom(text));
  assert.ok(Array.isArray(docs) && docs.length === 1, 'exactly one YAML document');
  const doc = docs[0];
  assert.ok(doc && doc.errors.length === 0, `parses without errors: ${doc?.errors[0]?.message ?? ''}`);
  assert.ok(isMap(doc.contents), 'the document is a mapping');
  return doc.contents;
}

export function toPlain(text: string): Record<string, unknown> {
  const docs = parseAllDocuments(stripBom(text));
  assert.ok(Array.isArray(docs) && docs.length === 1);
  return docs[0]?.toJS() as Record<string, unknown>;
}

function keyName(pair: Pair): string | undefined {
  return isScalar(pair.key) && typeof pair.key.value === 'string' ? pair.key.value : undefined;
}

/** Last offset of a node's own text: the deepest last value's end, never trailing comments. */
function endOf(node: YamlNode): number {
  if ((isMap(node) || isSeq(node)) && !node.flow) {
    const last = node.items[node.items.length - 1];
    if (last && isMap(node)) {
      const pair = last as Pair;
      const value = pair.value as YamlNode | null;
      return value?.range && value.range[1] > value.range[0] ? endOf(value) : ((pair.key as YamlNode).range?.[1] ?? 0);
    }
    if (last) return endOf(last as YamlNode);
  }
  return node.range?.[1] ?? 0;
}

/** From a pair's key to its value's end, reaching back over the separator before it (line break, indent, comma). */
function pairRange(body: string, pair: Pair): Range {
  const key = pair.key as YamlNode;
  const value = pair.value as YamlNode | null;
  let start = key.range?.[0] ?? 0;
  // Only the separator a new key is written with: indentation plus one line break, or `, ` in a flow mapping.
  while (start > 0 && /[ \t]/.test(body[start - 1] ?? '')) start--;
  if (body[start - 1] === ',') start--;
  else if (body[start - 1] === '\n') start -= body[start - 2] === '\r' ? 2 : 1;
  const end = value?.range && value.range[1] > value.range[0] ? endOf(value) : (key.range?.[1] ?? 0) + 1;
  return [start, end];
}

/** The byte ranges (in the text without BOM) the cache keys occupy. */
export function cacheRanges(text: string, options: CacheKeyOptions): Range[] {
  const body = stripBom(text);
  const root = parseOne(text);
  const ranges: Range[] = [];
  for (const pair of root.items) {
    const name = keyName(pair);
    if (name === 'columns' && !options.columnsAreCache && isSeq(pair.value)) {
      for (const item of pair.value.items) {
        if (!isMap(item)) continue;
        for (const inner of item.items) {
          if ((SAMPLE_KEYS as readonly string[]).includes(keyName(inner) ?? '')) ranges.push(pairRange(body, inner));
        }
      }
    } else if ((TOP_CACHE_KEYS as readonly string[]).includes(name ?? '')) {
      ranges.push(pairRange(body, pair));
    }
  }
  return ranges;
}

/** The text with every cache key cut out: what the user wrote, byte for byte. */
export function withoutCache(text: string, options: CacheKeyOptions): string {
  const body = stripBom(text);
  const ranges = cacheRanges(text, options).sort((a, b) => b[0] - a[0]);
  let out = body;
  for (const [start, end] of ranges) out = out.slice(0, start) + out.slice(end);
  return (text.startsWith('\uFEFF') ? '\uFEFF' : '') + out;
}

/** The model without its cache fields, as a reader sees it. */
export function nonCacheValue(text: string, options: CacheKeyOptions): Record<string, unknown> {
  const plain = { ...toPlain(text) };
  for (const key of TOP_CACHE_KEYS) if (key !== 'columns' || options.columnsAreCache) delete plain[key];
  if (!options.columnsAreCache && Array.isArray(plain.columns)) {
    plain.columns = (plain.columns as Record<string, unknown>[]).map((column) => {
      const copy = { ...column };
      for (const key of SAMPLE_KEYS) delete copy[key];
      return copy;
    });
  }
  return plain;
}

interface Region {
  before: Range;
  after: Range;
}

/** Line-level longest common subsequence, then each differing block narrowed to the characters that differ. */
export function changedRegions(before: string, after: string): Region[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] = a[i] === b[j] ? (lcs[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(lcs[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const offsets = (lines: string[]): number[] => {
    const out = [0];
    for (const line of lines) out.push((out[out.length - 1] ?? 0) + line.length + 1);
    return out;
  };
  const aOff = offsets(a);
  const bOff = offsets(b);
  const regions: Region[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    const [i0, j0] = [i, j];
    while ((i < a.length || j < b.length) && !(i < a.length && j < b.length && a[i] === b[j])) {
      if (j >= b.length || (i < a.length && (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) i++;
      else j++;
    }
    if (i - i0 === j - j0) {
      // As many lines changed as replaced them: each line against its counterpart, so unchanged bytes between stay out.
      for (let k = 0; k < i - i0; k++) {
        const [oi, nj] = [i0 + k, j0 + k];
        regions.push(narrow(before, after, [aOff[oi] ?? 0, aOff[oi + 1] ?? 0], [bOff[nj] ?? 0, bOff[nj + 1] ?? 0]));
      }
    } else {
      regions.push(narrow(before, after, [aOff[i0] ?? 0, aOff[i] ?? 0], [bOff[j0] ?? 0, bOff[j] ?? 0]));
    }
  }
  return regions;
}

/** A whole inserted (or deleted) line is the same bytes as the line break before it plus the line. */
function lineBreakFirst(text: string, [start, end]: Range): Range {
  const block = text.slice(start, end);
  if (block.endsWith('\r\n') && text.slice(start - 2, start) === '\r\n') return [start - 2, end - 2];
  if (block.endsWith('\n') && text[start - 1] === '\n') return [start - 1, end - 1];
  return [start, end];
}

function narrow(before: string, after: string, oldLines: Range, newLines: Range): Region {
  const [as, ae] = [oldLines[0], Math.min(oldLines[1], before.length)];
  const [bs, be] = [newLines[0], Math.min(newLines[1], after.length)];
  if (as === ae) return { before: [as, as], after: lineBreakFirst(after, [bs, be]) };
  if (bs === be) return { before: lineBreakFirst(before, [as, ae]), after: [bs, bs] };
  const oldText = before.slice(as, ae);
  const newText = after.slice(bs, be);
  let prefix = 0;
  while (prefix < oldText.length && prefix < newText.length && oldText[prefix] === newText[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < oldText.length - prefix &&
    suffix < newText.length - prefix &&
    oldText[oldText.length - 1 - suffix] === newText[newText.length - 1 - suffix]
  ) {
    suffix++;
  }
  return { before: [as + prefix, ae - suffix], after: [bs + prefix, be - suffix] };
}

function covered(range: Range, by: readonly Range[]): boolean {
  for (let offset = range[0]; offset < range[1]; offset++) {
    if (!by.some(([start, end]) => offset >= start && offset < end)) return false;
  }
  return true;
}

/** Every byte that differs lies inside a cache key, in the old file and in the new one. */
export function assertOnlyCacheChanged(before: string, after: string, options: CacheKeyOptions): number {
  const oldRanges = cacheRanges(before, options);
  const newRanges = cacheRanges(after, options);
  const oldBody = stripBom(before);
  const newBody = stripBom(after);
  assert.equal(before.startsWith('\uFEFF'), after.startsWith('\uFEFF'), 'the BOM is kept (or stays absent)');
  const regions = changedRegions(oldBody, newBody);
  for (const region of regions) {
    assert.ok(
      covered(region.before, oldRanges),
      `changed old bytes outside the cache keys: ${JSON.stringify(oldBody.slice(...region.before))}`,
    );
    assert.ok(
      covered(region.after, newRanges),
      `changed new bytes outside the cache keys: ${JSON.stringify(newBody.slice(...region.after))}`,
    );
  }
  return regions.length;
}
