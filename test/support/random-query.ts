/**
 * A seeded generator of random SLayer queries over the engine fixture's shop
 * models, for the cross-driver property test. Each query is built as a
 * structured spec first and printed as SLayer JSON from it, so the plain-SQL
 * reference (plain-sql.ts) reads the same spec without parsing formulas.
 *
 * The graph below restates the fixture's models by hand (tables, join keys,
 * which aggregations a column takes). It is deliberately not read from the
 * engine's catalog: the reference must not share the engine's understanding of
 * the models.
 */
import {
  mulberry32,
  tableRows,
  type CellValue,
  type DemoData,
  type Rng,
  type TableName,
} from '../../scripts/demo/data';

// ---------------------------------------------------------------------------
// The model graph
// ---------------------------------------------------------------------------

export type Aggregation = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'count_distinct';
export type ColumnKind = 'category' | 'number' | 'time' | 'key';

export interface GraphColumn {
  name: string;
  kind: ColumnKind;
  aggregations: readonly Aggregation[];
}

/** `from` is a column of the joining model, `to` one of the target. */
export interface GraphJoin {
  target: string;
  from: string;
  to: string;
}

export interface GraphModel {
  name: string;
  table: TableName;
  columns: readonly GraphColumn[];
  joins: readonly GraphJoin[];
}

const NUMERIC: readonly Aggregation[] = ['sum', 'avg', 'min', 'max', 'count'];
const col = (name: string, kind: ColumnKind, aggregations: readonly Aggregation[] = []): GraphColumn => ({
  name,
  kind,
  aggregations,
});

/** The fixture's models that the generator queries (engine-fixture.ts), restated. */
export const SHOP_GRAPH: readonly GraphModel[] = [
  {
    name: 'orders',
    table: 'orders',
    columns: [
      col('customer_id', 'key', ['count_distinct']),
      col('store_id', 'key', ['count_distinct']),
      col('ordered_at', 'time'),
      col('status', 'category', ['count_distinct']),
      col('subtotal', 'number', NUMERIC),
      // The fixture limits tip to sum, avg and count.
      col('tip', 'number', ['sum', 'avg', 'count']),
      col('amount', 'number', NUMERIC),
    ],
    joins: [
      { target: 'customers', from: 'customer_id', to: 'id' },
      { target: 'stores', from: 'store_id', to: 'id' },
    ],
  },
  {
    name: 'customers',
    table: 'customers',
    columns: [col('region', 'category', ['count_distinct']), col('signed_up_on', 'time')],
    joins: [],
  },
  {
    name: 'stores',
    table: 'stores',
    columns: [col('city', 'category'), col('region', 'category'), col('tax_rate', 'number', ['avg', 'min', 'max'])],
    joins: [],
  },
  {
    name: 'order_items',
    table: 'order_items',
    columns: [
      col('order_id', 'key', ['count_distinct']),
      col('product_id', 'key', ['count_distinct']),
      col('quantity', 'number', NUMERIC),
      col('unit_price', 'number', NUMERIC),
      col('line_total', 'number', NUMERIC),
    ],
    joins: [
      { target: 'orders', from: 'order_id', to: 'id' },
      { target: 'products', from: 'product_id', to: 'id' },
    ],
  },
  {
    name: 'products',
    table: 'products',
    columns: [
      col('name', 'category'),
      col('category', 'category', ['count_distinct']),
      col('price', 'number', NUMERIC),
    ],
    joins: [],
  },
  {
    name: 'shoppers',
    table: 'customers',
    columns: [col('region', 'category', ['count_distinct']), col('name', 'category'), col('signed_up_on', 'time')],
    joins: [{ target: 'purchases', from: 'id', to: 'customer_id' }],
  },
  {
    name: 'purchases',
    table: 'orders',
    columns: [
      col('customer_id', 'key', ['count_distinct']),
      col('ordered_at', 'time'),
      col('status', 'category', ['count_distinct']),
      col('subtotal', 'number', NUMERIC),
      col('tip', 'number', NUMERIC),
      col('amount', 'number', NUMERIC),
    ],
    joins: [
      { target: 'shoppers', from: 'customer_id', to: 'id' },
      { target: 'stores', from: 'store_id', to: 'id' },
    ],
  },
];

export function graphModel(name: string): GraphModel {
  const found = SHOP_GRAPH.find((m) => m.name === name);
  if (!found) throw new Error(`no model '${name}' in the test graph`);
  return found;
}

/** The model at the end of a join path from `root`. */
export function modelAt(root: string, path: readonly string[]): GraphModel {
  let current = graphModel(root);
  for (const step of path) {
    if (!current.joins.some((j) => j.target === step)) throw new Error(`'${current.name}' has no join to '${step}'`);
    current = graphModel(step);
  }
  return current;
}

export function columnOf(model: GraphModel, name: string): GraphColumn | undefined {
  return model.columns.find((c) => c.name === name);
}

// ---------------------------------------------------------------------------
// Query specs
// ---------------------------------------------------------------------------

/** A column reached through `path` (join hops from the query's source model). */
export interface ColumnRef {
  path: readonly string[];
  column: string;
}

export interface MeasureSpec {
  path: readonly string[];
  /** A column name, or `*` for a row count. */
  column: string;
  aggregation: Aggregation | 'invalid';
  /** The formula as written; for an invalid measure, the broken text. */
  formula: string;
}

export type CompareOp = '=' | '!=' | '>' | '>=' | '<' | '<=';

export type RowFilter =
  | { kind: 'compare'; ref: ColumnRef; op: CompareOp; value: string | number }
  | { kind: 'in'; ref: ColumnRef; negated: boolean; values: readonly string[] }
  | { kind: 'null'; ref: ColumnRef; negated: boolean }
  | { kind: 'like'; ref: ColumnRef; pattern: string }
  | { kind: 'or'; left: RowFilter; right: RowFilter };

/** A filter on a measure of the query (by index), which SLayer puts in HAVING or a post-filter. */
export interface HavingFilter {
  measure: number;
  op: '>' | '<';
  value: number;
}

export type Granularity = 'month' | 'quarter' | 'year';

export interface TimeDimensionSpec {
  ref: ColumnRef;
  granularity: Granularity;
  dateRange?: readonly [string, string];
}

/** What an order item sorts by: a dimension, the time dimension, or a measure (by index). */
export type OrderTarget = { kind: 'dimension'; index: number } | { kind: 'time' } | { kind: 'measure'; index: number };

export interface OrderSpec {
  items: readonly { target: OrderTarget; direction: 'asc' | 'desc' }[];
  limit?: number;
}

export interface QuerySpec {
  source: string;
  dimensions: readonly ColumnRef[];
  time?: TimeDimensionSpec;
  measures: readonly MeasureSpec[];
  filters: readonly RowFilter[];
  having: readonly HavingFilter[];
  /** Only generated when it sorts by every dimension, so the row order is total. */
  order?: OrderSpec;
  /** Set when the generator broke the query on purpose (an ineligible aggregation, a misspelt name). */
  invalid?: string;
}

export interface GeneratedQuery {
  index: number;
  spec: QuerySpec;
  /** The SLayer query, as the CLI and the editor would send it. */
  query: SlayerQueryJson;
}

export interface SlayerQueryJson {
  source_model: string;
  dimensions?: string[];
  time_dimensions?: { dimension: string; granularity: Granularity; date_range?: string[] }[];
  measures?: string[];
  filters?: string[];
  order?: { column: string; direction: 'asc' | 'desc' }[];
  limit?: number;
}

export const refText = (ref: ColumnRef): string => [...ref.path, ref.column].join('.');

export function measureFormula(path: readonly string[], column: string, aggregation: string): string {
  return `${[...path, column].join('.')}:${aggregation}`;
}

function literal(value: string | number): string {
  return typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`;
}

export function filterText(filter: RowFilter): string {
  switch (filter.kind) {
    case 'compare':
      return `${refText(filter.ref)} ${filter.op} ${literal(filter.value)}`;
    case 'in':
      return `${refText(filter.ref)} ${filter.negated ? 'NOT IN' : 'IN'} (${filter.values.map(literal).join(', ')})`;
    case 'null':
      return `${refText(filter.ref)} IS ${filter.negated ? 'NOT NULL' : 'NULL'}`;
    case 'like':
      return `${refText(filter.ref)} LIKE ${literal(filter.pattern)}`;
    case 'or':
      return `(${filterText(filter.left)} OR ${filterText(filter.right)})`;
  }
}

export function havingText(spec: QuerySpec, having: HavingFilter): string {
  const measure = spec.measures[having.measure];
  if (!measure) throw new Error(`having names measure ${having.measure}, which the query lacks`);
  return `${measure.formula} ${having.op} ${having.value}`;
}

function orderColumn(spec: QuerySpec, target: OrderTarget): string {
  switch (target.kind) {
    case 'dimension':
      return refText(spec.dimensions[target.index] ?? { path: [], column: '?' });
    case 'time':
      return refText(spec.time?.ref ?? { path: [], column: '?' });
    case 'measure':
      return spec.measures[target.index]?.formula ?? '?';
  }
}

/** The SLayer JSON of a spec; only the keys the spec uses, as a person would write it. */
export function toSlayerQuery(spec: QuerySpec): SlayerQueryJson {
  const query: SlayerQueryJson = { source_model: spec.source };
  if (spec.dimensions.length > 0) query.dimensions = spec.dimensions.map(refText);
  if (spec.time) {
    query.time_dimensions = [
      {
        dimension: refText(spec.time.ref),
        granularity: spec.time.granularity,
        ...(spec.time.dateRange ? { date_range: [...spec.time.dateRange] } : {}),
      },
    ];
  }
  if (spec.measures.length > 0) query.measures = spec.measures.map((m) => m.formula);
  const filters = [...spec.filters.map(filterText), ...spec.having.map((h) => havingText(spec, h))];
  if (filters.length > 0) query.filters = filters;
  if (spec.order) {
    query.order = spec.order.items.map((item) => ({
      column: orderColumn(spec, item.target),
      direction: item.direction,
    }));
    if (spec.order.limit !== undefined) query.limit = spec.order.limit;
  }
  return query;
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

/** Real values of the fixture's data, so filters select something (or, on purpose, nothing). */
class DataValues {
  private readonly cache = new Map<string, CellValue[]>();

  constructor(private readonly data: DemoData) {}

  /** Every value of a column, NULLs included, in row order. */
  column(table: TableName, column: string): CellValue[] {
    const key = `${table}.${column}`;
    let values = this.cache.get(key);
    if (!values) {
      values = tableRows(this.data, table).map((row) => row[column] ?? null);
      this.cache.set(key, values);
    }
    return values;
  }

  distinctText(table: TableName, column: string): string[] {
    const seen = new Set<string>();
    for (const value of this.column(table, column)) if (typeof value === 'string') seen.add(value);
    return [...seen].sort();
  }

  hasNull(table: TableName, column: string): boolean {
    return this.column(table, column).some((value) => value === null);
  }
}

class Picker {
  constructor(readonly rng: Rng) {}

  chance(p: number): boolean {
    return this.rng() < p;
  }

  int(low: number, high: number): number {
    return low + Math.floor(this.rng() * (high - low + 1));
  }

  one<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.rng() * items.length)];
    if (item === undefined) throw new Error('picked from an empty list');
    return item;
  }

  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let target = this.rng() * total;
    for (const [item, weight] of entries) {
      target -= weight;
      if (target < 0) return item;
    }
    const last = entries[entries.length - 1];
    if (!last) throw new Error('picked from an empty list');
    return last[0];
  }

  /** Up to `n` distinct items. */
  some<T>(items: readonly T[], n: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < n && pool.length > 0) {
      const [item] = pool.splice(Math.floor(this.rng() * pool.length), 1);
      if (item !== undefined) out.push(item);
    }
    return out;
  }
}

interface Reach {
  path: readonly string[];
  model: GraphModel;
}

const startsWith = (path: readonly string[], prefix: readonly string[]): boolean =>
  prefix.length <= path.length && prefix.every((step, i) => path[i] === step);

/** Every join path from `root` up to two hops that does not come back to a model already on it. */
export function reachable(root: string, maxDepth = 2): Reach[] {
  const out: Reach[] = [{ path: [], model: graphModel(root) }];
  const walk = (model: GraphModel, path: readonly string[], seen: readonly string[]): void => {
    if (path.length >= maxDepth) return;
    for (const join of model.joins) {
      if (seen.includes(join.target)) continue;
      const next = graphModel(join.target);
      const nextPath = [...path, join.target];
      out.push({ path: nextPath, model: next });
      walk(next, nextPath, [...seen, join.target]);
    }
  };
  walk(graphModel(root), [], [root]);
  return out;
}

const SOURCES: readonly (readonly [string, number])[] = [
  ['orders', 30],
  ['order_items', 22],
  ['purchases', 20],
  ['shoppers', 20],
  ['customers', 4],
  ['products', 4],
];

const DATE_RANGES: readonly (readonly [string, string])[] = [
  ['2023-03-01', '2024-02-29'],
  ['2023-01-01', '2023-12-31'],
  ['2024-04-15', '2024-09-30'],
  ['2023-06-01', '2023-06-30'],
];

const HAVING_THRESHOLDS: Record<Aggregation, readonly number[]> = {
  count: [1, 3, 5, 10, 25, 60],
  count_distinct: [1, 2, 5, 10],
  sum: [50, 200, 1000, 3000],
  avg: [10, 20, 25, 30, 40],
  min: [5, 10, 20],
  max: [30, 50, 80],
};

/** Near a path of few hops: local columns come up most, two-hop ones least, as in real queries. */
const depthWeight = (reach: Reach): number => [6, 3, 1][reach.path.length] ?? 1;

class QueryGenerator {
  private readonly pick: Picker;
  private readonly values: DataValues;

  constructor(seed: number, data: DemoData) {
    this.pick = new Picker(mulberry32(seed));
    this.values = new DataValues(data);
  }

  next(): QuerySpec {
    const source = this.pick.weighted(SOURCES);
    const reach = reachable(source);
    const dimensions = this.dimensions(reach);
    const time = this.pick.chance(0.4) ? this.timeDimension(reach) : undefined;
    const measures = this.measures(reach, dimensions.length > 0 || time !== undefined);
    // Most filters beside a cross-model measure stay on its model's side, where its sub-query can apply them;
    // the rest fall anywhere, and the engine must refuse the ones it cannot place.
    const cross = measures.find((m) => m.path.length > 0);
    const focus = cross && this.pick.chance(0.6) ? reach.filter((r) => startsWith(r.path, cross.path)) : reach;
    const filters = this.rowFilters(focus);
    const spec: QuerySpec = { source, dimensions, ...(time ? { time } : {}), measures, filters, having: [] };
    const having = measures.length > 0 && this.pick.chance(0.3) ? [this.having(spec)] : [];
    const withHaving: QuerySpec = { ...spec, having };
    const order = this.pick.chance(0.3) ? this.order(withHaving) : undefined;
    const complete: QuerySpec = order ? { ...withHaving, order } : withHaving;
    return this.pick.chance(0.04) ? this.breakQuery(complete) : complete;
  }

  private columnsOf(reach: readonly Reach[], kind: ColumnKind): { ref: ColumnRef; weight: number; table: TableName }[] {
    return reach.flatMap((r) =>
      r.model.columns
        .filter((c) => c.kind === kind)
        .map((c) => ({ ref: { path: r.path, column: c.name }, weight: depthWeight(r), table: r.model.table })),
    );
  }

  private dimensions(reach: readonly Reach[]): ColumnRef[] {
    const candidates = this.columnsOf(reach, 'category');
    const count = this.pick.weighted([
      [0, 2],
      [1, 5],
      [2, 3],
    ] as const);
    const chosen: ColumnRef[] = [];
    for (let i = 0; i < count && candidates.length > 0; i++) {
      const ref = this.pick.weighted(candidates.map((c) => [c.ref, c.weight] as const));
      if (!chosen.some((r) => refText(r) === refText(ref))) chosen.push(ref);
    }
    return chosen;
  }

  private timeDimension(reach: readonly Reach[]): TimeDimensionSpec | undefined {
    const candidates = this.columnsOf(reach, 'time');
    if (candidates.length === 0) return undefined;
    const ref = this.pick.weighted(candidates.map((c) => [c.ref, c.weight] as const));
    const granularity = this.pick.one(['month', 'quarter', 'year'] as const);
    const dateRange = this.pick.chance(0.4) ? this.pick.one(DATE_RANGES) : undefined;
    return { ref, granularity, ...(dateRange ? { dateRange } : {}) };
  }

  private measures(reach: readonly Reach[], grouped: boolean): MeasureSpec[] {
    const count = this.pick.weighted([
      [0, grouped ? 1 : 0],
      [1, 5],
      [2, 4],
      [3, 2],
    ] as const);
    const out: MeasureSpec[] = [];
    for (let i = 0; i < count; i++) {
      const cross = reach.length > 1 && this.pick.chance(0.3);
      const candidates = cross ? reach.filter((r) => r.path.length > 0) : reach.slice(0, 1);
      const target = this.pick.one(candidates);
      const measure = this.measureOn(target);
      if (!out.some((m) => m.formula === measure.formula)) out.push(measure);
    }
    return out;
  }

  private measureOn(target: Reach): MeasureSpec {
    const options: [MeasureSpec, number][] = [[this.measure(target.path, '*', 'count'), 3]];
    for (const column of target.model.columns) {
      for (const aggregation of column.aggregations)
        options.push([this.measure(target.path, column.name, aggregation), 1]);
    }
    return this.pick.weighted(options);
  }

  private measure(path: readonly string[], column: string, aggregation: Aggregation): MeasureSpec {
    return { path, column, aggregation, formula: measureFormula(path, column, aggregation) };
  }

  private rowFilters(reach: readonly Reach[]): RowFilter[] {
    const count = this.pick.weighted([
      [0, 4],
      [1, 5],
      [2, 2],
    ] as const);
    const out: RowFilter[] = [];
    for (let i = 0; i < count; i++) {
      out.push(
        this.pick.chance(0.1)
          ? { kind: 'or', left: this.rowFilter(reach), right: this.rowFilter(reach) }
          : this.rowFilter(reach),
      );
    }
    return out;
  }

  private rowFilter(reach: readonly Reach[]): RowFilter {
    const kinds = (['category', 'number', 'time'] as const).filter((k) => this.columnsOf(reach, k).length > 0);
    const weights: Record<(typeof kinds)[number], number> = { category: 6, number: 4, time: 1 };
    const kind = this.pick.weighted(kinds.map((k) => [k, weights[k]] as const));
    const candidates = this.columnsOf(reach, kind);
    const { ref, table } = this.pick.weighted(candidates.map((c) => [c, c.weight] as const));
    if (kind === 'category') return this.categoryFilter(ref, table);
    if (kind === 'number') return this.numberFilter(ref, table);
    return this.timeFilter(ref, table);
  }

  private categoryFilter(ref: ColumnRef, table: TableName): RowFilter {
    const values = this.values.distinctText(table, ref.column);
    const nullable = this.values.hasNull(table, ref.column);
    const form = this.pick.weighted([
      ['=', 5],
      ['!=', 2],
      ['in', 3],
      ['null', nullable ? 2 : 0],
      // LIKE differs in case sensitivity between SQLite and the others; a lower-case pattern shows it.
      ['like', 1],
    ] as const);
    switch (form) {
      case '=':
      case '!=':
        return { kind: 'compare', ref, op: form, value: this.pick.one(values) };
      case 'in':
        return { kind: 'in', ref, negated: this.pick.chance(0.3), values: this.pick.some(values, this.pick.int(1, 3)) };
      case 'null':
        return { kind: 'null', ref, negated: this.pick.chance(0.5) };
      case 'like': {
        const first = this.pick.one(values).slice(0, 1);
        return { kind: 'like', ref, pattern: `${this.pick.chance(0.5) ? first.toLowerCase() : first}%` };
      }
    }
  }

  private numberFilter(ref: ColumnRef, table: TableName): RowFilter {
    const numbers = this.values.column(table, ref.column).filter((v): v is number => typeof v === 'number');
    if (this.values.hasNull(table, ref.column) && this.pick.chance(0.35)) {
      return { kind: 'null', ref, negated: this.pick.chance(0.4) };
    }
    // Two significant digits: round numbers for amounts, and a tax rate of 0.0725 stays a rate (0.073), not 0.
    const value = Number(this.pick.one(numbers).toPrecision(2));
    return { kind: 'compare', ref, op: this.pick.one(['>', '<', '>=', '<='] as const), value };
  }

  private timeFilter(ref: ColumnRef, table: TableName): RowFilter {
    const times = this.values.column(table, ref.column).filter((v): v is string => typeof v === 'string');
    // A day boundary: on SQLite a text comparison, elsewhere a timestamp one; the two agree at midnight.
    const day = this.pick.one(times).slice(0, 10);
    return { kind: 'compare', ref, op: this.pick.one(['>=', '<'] as const), value: day };
  }

  private having(spec: QuerySpec): HavingFilter {
    const index = this.pick.int(0, spec.measures.length - 1);
    const measure = spec.measures[index];
    const aggregation = measure && measure.aggregation !== 'invalid' ? measure.aggregation : 'count';
    const op = aggregation === 'min' ? '<' : this.pick.chance(0.85) ? '>' : '<';
    return { measure: index, op, value: this.pick.one(HAVING_THRESHOLDS[aggregation]) };
  }

  /**
   * Sorts by every dimension (in a random order and direction), so ties are
   * impossible; now and then by an exact measure first (a count, min or max,
   * never a float sum whose last bits differ between databases).
   */
  private order(spec: QuerySpec): OrderSpec | undefined {
    const keys: OrderTarget[] = spec.dimensions.map((_d, index) => ({ kind: 'dimension', index }));
    if (spec.time) keys.push({ kind: 'time' });
    if (keys.length === 0) return undefined;
    const shuffled = this.pick.some(keys, keys.length);
    const exact = spec.measures
      .map((m, index) => ({ m, index }))
      .filter(({ m }) => ['count', 'count_distinct', 'min', 'max'].includes(m.aggregation));
    const measureFirst = exact.length > 0 && this.pick.chance(0.4) ? this.pick.one(exact) : undefined;
    const targets: OrderTarget[] = [
      ...(measureFirst ? [{ kind: 'measure', index: measureFirst.index } as const] : []),
      ...shuffled,
    ];
    const items = targets.map((target) => ({ target, direction: this.pick.chance(0.6) ? 'asc' : 'desc' }) as const);
    return { items, ...(this.pick.chance(0.6) ? { limit: this.pick.int(2, 8) } : {}) };
  }

  /** A query every driver must reject the same way: an ineligible aggregation or a misspelt name. */
  private breakQuery(spec: QuerySpec): QuerySpec {
    const broken = this.pick.weighted([
      ['status:sum', spec.source === 'orders' || spec.source === 'purchases' ? 1 : 0],
      ['tip:max', spec.source === 'orders' ? 1 : 0],
      ['amout:sum', 1],
      ['*:summ', 1],
    ] as const);
    const measure: MeasureSpec = { path: [], column: '?', aggregation: 'invalid', formula: broken };
    return { ...spec, measures: [...spec.measures, measure], invalid: broken };
  }
}

/** `count` queries from `seed`: the same seed and data always give the same queries. */
export function generateQueries(seed: number, count: number, data: DemoData): GeneratedQuery[] {
  const generator = new QueryGenerator(seed, data);
  return Array.from({ length: count }, (_unused, index) => {
    const spec = generator.next();
    return { index, spec, query: toSlayerQuery(spec) };
  });
}
