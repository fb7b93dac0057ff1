/**
 * A seeded generator of SLayer files written the many ways people write YAML,
 * for the formatter's property test: models, query files (one query or a list
 * of stages) and datasources, with keys in random order, unknown keys,
 * comments above keys and after values, blank lines, plain, single- and
 * double-quoted and block scalars, flow lists and flow mappings, long lines
 * folded or not, anchors and aliases, 2- or 4-space indentation, indented or
 * flush lists, CRLF and a BOM. Every file is generated here, in code.
 */
import { Alias, Document, isScalar, Scalar, visit, type Node as YamlNode, type Pair } from 'yaml';
import { mulberry32, type Rng } from '../../scripts/demo/data';
import type { SlayerFileKind } from '../../server/src/engine/document';

export interface GeneratedFile {
  kind: SlayerFileKind;
  text: string;
  /** No alias was written, so every SLayer mapping can be put in canonical order. */
  reorderable: boolean;
}

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
type Json = { [key: string]: Value };

const NAMES = ['orders', 'customers', 'stores', 'status', 'amount', 'customer_id', 'ordered_at', 'region', 'id'];
const ODD_STRINGS = [
  'amount:sum',
  '*:count',
  'revenue:sum / *:count',
  "status == 'completed'",
  'a # not a comment',
  'yes',
  '123',
  '1.50',
  'null',
  '',
  ' leading space',
  'colon: inside',
  '- dash first',
  '{brace}',
  '[bracket]',
  '@at',
  '%percent',
  '"quoted"',
  "it's",
  'tab\there',
  'café ü 東京',
  'line one\nline two\n',
  'kept\n\ntrailing\n\n',
  'no final break\nsecond',
  'SELECT id,\n       status\n  FROM orders\n WHERE amount > 0',
];
const LONG =
  'A long description that goes well past eighty characters, so a formatter that folded lines would wrap it somewhere in the middle.';
const TYPES = ['TEXT', 'INT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP'];
const GRANULARITIES = ['day', 'week', 'month', 'quarter', 'year'];
const METAS: Json[] = [{ team: 'bi' }, { owner: 'ana', tier: 2 }, { tags: ['core', 'finance'] }];

const chance = (rng: Rng, p: number): boolean => rng() < p;
const between = (rng: Rng, low: number, high: number): number => low + Math.floor(rng() * (high - low + 1));

function oneOf<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('oneOf: empty list');
  return item;
}

function text(rng: Rng): string {
  const roll = rng();
  if (roll < 0.45) return oneOf(rng, NAMES);
  if (roll < 0.9) return oneOf(rng, ODD_STRINGS);
  return LONG;
}

/** Adds each optional field with probability `p`. */
function some(rng: Rng, p: number, fields: Record<string, () => Value>): Json {
  const out: Json = {};
  for (const [key, make] of Object.entries(fields)) if (chance(rng, p)) out[key] = make();
  return out;
}

function listOf(rng: Rng, low: number, high: number, make: () => Value): Value[] {
  return Array.from({ length: between(rng, low, high) }, make);
}

function column(rng: Rng): Json {
  return {
    name: oneOf(rng, NAMES),
    ...some(rng, 0.35, {
      sql: () => text(rng),
      type: () => oneOf(rng, TYPES),
      primary_key: () => chance(rng, 0.5),
      description: () => text(rng),
      label: () => text(rng),
      format: () => ({ type: 'currency', precision: between(rng, 0, 4), symbol: '€' }),
      allowed_aggregations: () => ['sum', 'avg'],
      filter: () => "status = 'done'",
      meta: () => oneOf(rng, METAS),
      sampled_values: () => listOf(rng, 0, 3, () => text(rng)),
      x_origin: () => 'dbt',
    }),
  };
}

function measure(rng: Rng): Value {
  if (chance(rng, 0.2)) return oneOf(rng, ['*:count', 'amount:sum']);
  return {
    formula: oneOf(rng, ['amount:sum', '*:count', 'revenue:sum / *:count']),
    ...some(rng, 0.4, { name: () => oneOf(rng, NAMES), label: () => text(rng), type: () => 'DOUBLE' }),
  };
}

function model(rng: Rng, depth: number): Json {
  return {
    name: oneOf(rng, NAMES),
    ...some(rng, 0.45, {
      version: () => 7,
      sql_table: () => `public.${oneOf(rng, NAMES)}`,
      sql: () => oneOf(rng, ODD_STRINGS),
      data_source: () => 'shop',
      description: () => text(rng),
      columns: () => listOf(rng, 1, 4, () => column(rng)),
      measures: () => listOf(rng, 1, 3, () => measure(rng)),
      aggregations: () => [{ name: 'trimmed', formula: 'AVG({value})', params: [{ sql: '0.1', name: 'p' }] }],
      joins: () => [{ join_pairs: [['customer_id', 'id']], target_model: 'customers', join_type: 'left' }],
      filters: () => listOf(rng, 1, 2, () => 'amount > {min}'),
      default_time_dimension: () => 'ordered_at',
      query_variables: () => ({ min: between(rng, 0, 9), region: 'West' }),
      hidden: () => chance(rng, 0.5),
      meta: () => oneOf(rng, METAS),
      owner_team: () => 'analytics',
    }),
    ...(depth > 0 && chance(rng, 0.2) ? { source_queries: listOf(rng, 1, 2, () => query(rng, depth - 1)) } : {}),
  };
}

function query(rng: Rng, depth: number): Json {
  const source = rng();
  const extension = { source_name: 'orders', measures: [{ name: 'aov', formula: 'amount:sum / *:count' }] };
  return {
    source_model: source < 0.7 || depth === 0 ? oneOf(rng, NAMES) : source < 0.85 ? model(rng, depth - 1) : extension,
    ...some(rng, 0.45, {
      name: () => `stage_${between(rng, 1, 3)}`,
      measures: () => listOf(rng, 1, 3, () => measure(rng)),
      dimensions: () =>
        listOf(rng, 1, 3, () => (chance(rng, 0.7) ? oneOf(rng, NAMES) : { model: 'customers', name: 'region' })),
      time_dimensions: () => [
        { granularity: oneOf(rng, GRANULARITIES), dimension: 'ordered_at', date_range: ['2024-01-01', '2024-12-31'] },
      ],
      main_time_dimension: () => 'ordered_at',
      filters: () => ["status == 'completed'"],
      variables: () => ({ min: 10 }),
      order: () => (chance(rng, 0.5) ? [{ direction: 'desc', column: 'amount' }] : { amount: 'desc' }),
      limit: () => between(rng, 1, 100),
      offset: () => 0,
      whole_periods_only: () => chance(rng, 0.5),
    }),
  };
}

function datasource(rng: Rng): Json {
  return {
    name: 'shop',
    ...some(rng, 0.5, {
      type: () => oneOf(rng, ['sqlite', 'duckdb', 'postgres']),
      host: () => 'localhost',
      port: () => 5432,
      database: () => 'shop.db',
      username: () => '${PGUSER}',
      password: () => '${PGPASSWORD}',
      schema_name: () => 'public',
      description: () => text(rng),
      x_note: () => 'kept',
    }),
  };
}

// ---------------------------------------------------------------------------
// Writing it: order, styles, comments, aliases
// ---------------------------------------------------------------------------

function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

const STRING_STYLES = [Scalar.PLAIN, Scalar.QUOTE_SINGLE, Scalar.QUOTE_DOUBLE] as const;
const MULTILINE_STYLES = [Scalar.BLOCK_LITERAL, Scalar.BLOCK_FOLDED, Scalar.QUOTE_DOUBLE, Scalar.QUOTE_SINGLE] as const;

function style(doc: Document, rng: Rng): void {
  let comments = 0;
  const note = (): string => ` note ${++comments}${chance(rng, 0.3) ? ' # with a hash' : ''}`;
  visit(doc, {
    Map(key, node) {
      shuffle(rng, node.items);
      // A flow root holding comments is left as written; the root stays a block so its keys can be checked.
      if (key !== null && chance(rng, 0.15)) node.flow = true;
    },
    Seq(_key, node) {
      const scalars = node.items.every((item) => isScalar(item));
      if (chance(rng, scalars ? 0.5 : 0.1)) node.flow = true;
      // (A comment above an empty list written flush is invalid YAML as the yaml package prints it.)
      if (node.items.length > 0 && chance(rng, 0.15)) node.commentBefore = note();
    },
    Pair(_key, pair: Pair) {
      const key = pair.key as YamlNode | null;
      if (key && chance(rng, 0.2)) key.commentBefore = note();
      if (key && chance(rng, 0.1)) key.spaceBefore = true;
    },
    Scalar(key, node) {
      if (key !== 'key' && chance(rng, 0.12)) node.comment = note();
      if (typeof node.value !== 'string') return;
      node.type = oneOf(rng, node.value.includes('\n') ? MULTILINE_STYLES : STRING_STYLES);
    },
  });
  if (chance(rng, 0.4)) doc.commentBefore = ' The file header.';
  if (chance(rng, 0.3)) doc.comment = ' The end.';
}

/** Later copies of an equal scalar or mapping become aliases of the first: the value stays the same. */
function alias(doc: Document, rng: Rng): number {
  let anchors = 0;
  const seen = new Map<string, YamlNode>();
  const replace = (kind: 'map' | 'scalar') => (key: unknown, node: YamlNode) => {
    if (key === 'key') return undefined;
    const id = `${kind}:${JSON.stringify(node.toJSON())}`;
    const first = seen.get(id);
    if (!first) {
      seen.set(id, node);
      return undefined;
    }
    if (!chance(rng, 0.5)) return undefined;
    first.anchor ??= `a${++anchors}`;
    return new Alias(first.anchor);
  };
  // Mappings first: a mapping replaced later would take anchors inside it with it.
  visit(doc, { Map: replace('map') });
  seen.clear();
  visit(doc, { Scalar: replace('scalar') });
  return anchors;
}

function write(value: Json | Json[], rng: Rng): { text: string; aliases: number } {
  // Shared objects (a META used twice) would be aliased here, before the shuffle; aliases come from alias() only.
  const doc = new Document(value, { aliasDuplicateObjects: false });
  style(doc, rng);
  const aliases = chance(rng, 0.35) ? alias(doc, rng) : 0;
  let text = doc.toString({
    indent: oneOf(rng, [2, 2, 4]),
    indentSeq: chance(rng, 0.6),
    lineWidth: oneOf(rng, [0, 0, 40]),
    minContentWidth: 0,
    flowCollectionPadding: chance(rng, 0.5),
  });
  if (chance(rng, 0.25)) text = text.replace(/\n/g, '\r\n');
  if (chance(rng, 0.15)) text = `\uFEFF${text}`;
  return { text, aliases };
}

export function generateFile(seed: number): GeneratedFile {
  const rng = mulberry32(seed);
  const kind = oneOf<SlayerFileKind>(rng, ['model', 'model', 'query', 'datasource']);
  let value: Json | Json[];
  if (kind === 'model') value = model(rng, 1);
  else if (kind === 'datasource') value = datasource(rng);
  else value = chance(rng, 0.3) ? listOf(rng, 2, 3, () => query(rng, 1)).filter(isJson) : query(rng, 1);
  const { text, aliases } = write(value, rng);
  return { kind, text, reorderable: aliases === 0 };
}

function isJson(value: Value): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The mappings reached through `path` in a parsed value ('*' steps into every item of a list). */
export function mapsAt(value: unknown, path: readonly string[]): Record<string, unknown>[] {
  if (typeof value !== 'object' || value === null) return [];
  const [head, ...rest] = path;
  if (head === undefined) return Array.isArray(value) ? [] : [value as Record<string, unknown>];
  if (head === '*') return Array.isArray(value) ? value.flatMap((item) => mapsAt(item, rest)) : [];
  return Array.isArray(value) ? [] : mapsAt((value as Record<string, unknown>)[head], rest);
}
