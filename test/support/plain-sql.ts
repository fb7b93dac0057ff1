/**
 * The property test's independent reference: plain SQLite SQL written from a
 * query spec by hand, with no call into the engine's planner or dialects. It
 * covers a restricted shape and says so for the rest:
 *
 * - local measures, dimensions and row filters through LEFT JOINs, a time
 *   bucket, a date range, HAVING: one SELECT ... GROUP BY ... HAVING;
 * - cross-model measures, by SLayer's documented semantics: the aggregate is
 *   computed over its own model, restricted to the rows whose re-rooted
 *   dimensions equal the group's (a correlated sub-query per output row),
 *   with the dimensions the target cannot reach dropped, the row filters and
 *   date ranges re-rooted, and NULL where the joined-back sub-query would
 *   have no row; a row filter or date range that cannot be re-rooted makes
 *   the query an error.
 */
import {
  modelAt,
  graphModel,
  type ColumnRef,
  type GraphModel,
  type MeasureSpec,
  type QuerySpec,
  type RowFilter,
  type TimeDimensionSpec,
} from './random-query';

export type PlainPlan =
  | { kind: 'sql'; sql: string }
  /** The reference says every driver must reject the query. */
  | { kind: 'error'; reason: string }
  /** Outside the shapes the reference covers, or where SLayer's docs leave the answer open. */
  | { kind: 'skip'; reason: string };

/** Table aliases along join paths from one root, each join added once. */
class Joins {
  private readonly aliases = new Map<string, string>();
  private readonly lines: string[] = [];

  constructor(
    private readonly root: GraphModel,
    private readonly prefix: string,
  ) {
    this.aliases.set('', `${prefix}0`);
  }

  alias(path: readonly string[]): string {
    const key = path.join('.');
    const known = this.aliases.get(key);
    if (known) return known;
    const parentPath = path.slice(0, -1);
    const parentAlias = this.alias(parentPath);
    const parent = parentPath.length === 0 ? this.root : modelAt(this.root.name, parentPath);
    const step = path[path.length - 1] ?? '';
    const join = parent.joins.find((j) => j.target === step);
    if (!join) throw new Error(`'${parent.name}' has no join to '${step}'`);
    const alias = `${this.prefix}${this.aliases.size}`;
    this.aliases.set(key, alias);
    this.lines.push(
      `LEFT JOIN ${graphModel(step).table} AS ${alias} ON ${parentAlias}.${join.from} = ${alias}.${join.to}`,
    );
    return alias;
  }

  column(ref: ColumnRef): string {
    return `${this.alias(ref.path)}.${ref.column}`;
  }

  from(): string {
    return [`FROM ${this.root.table} AS ${this.prefix}0`, ...this.lines].join('\n');
  }
}

const quote = (value: string | number): string =>
  typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`;

/** Bucket starts as YYYY-MM-DD text, cut from the stored ISO text (no date functions, so no engine dialect). */
function bucket(expr: string, granularity: TimeDimensionSpec['granularity']): string {
  switch (granularity) {
    case 'year':
      return `substr(${expr}, 1, 4) || '-01-01'`;
    case 'month':
      return `substr(${expr}, 1, 7) || '-01'`;
    case 'quarter': {
      const month = `CAST(substr(${expr}, 6, 2) AS INTEGER)`;
      return `substr(${expr}, 1, 5) || CASE WHEN ${month} <= 3 THEN '01' WHEN ${month} <= 6 THEN '04' WHEN ${month} <= 9 THEN '07' ELSE '10' END || '-01'`;
    }
  }
}

function aggregate(measure: MeasureSpec, column: string): string {
  switch (measure.aggregation) {
    case 'count':
      return measure.column === '*' ? 'COUNT(*)' : `COUNT(${column})`;
    case 'count_distinct':
      return `COUNT(DISTINCT ${column})`;
    case 'sum':
      return `SUM(${column})`;
    case 'avg':
      return `AVG(${column})`;
    case 'min':
      return `MIN(${column})`;
    case 'max':
      return `MAX(${column})`;
    case 'invalid':
      throw new Error('an invalid measure has no SQL');
  }
}

function filterSql(filter: RowFilter, column: (ref: ColumnRef) => string): string {
  switch (filter.kind) {
    case 'compare':
      return `${column(filter.ref)} ${filter.op} ${quote(filter.value)}`;
    case 'in':
      return `${column(filter.ref)} ${filter.negated ? 'NOT IN' : 'IN'} (${filter.values.map(quote).join(', ')})`;
    case 'null':
      return `${column(filter.ref)} IS ${filter.negated ? 'NOT NULL' : 'NULL'}`;
    case 'like':
      return `${column(filter.ref)} LIKE ${quote(filter.pattern)}`;
    case 'or':
      return `(${filterSql(filter.left, column)} OR ${filterSql(filter.right, column)})`;
  }
}

/** SLayer's BETWEEN on the raw value: the end day's timestamps after midnight fall outside. */
function dateRangeSql(column: string, range: readonly [string, string]): string {
  return `${column} >= ${quote(range[0])} AND ${column} <= ${quote(range[1])}`;
}

function refsOf(filter: RowFilter): ColumnRef[] {
  return filter.kind === 'or' ? [...refsOf(filter.left), ...refsOf(filter.right)] : [filter.ref];
}

const isCross = (measure: MeasureSpec): boolean => measure.path.length > 0;

/** Output columns are c0..cN: dimensions, the time dimension, then measures, as the engine orders them. */
function dimensionCount(spec: QuerySpec): number {
  return spec.dimensions.length + (spec.time ? 1 : 0);
}

const measureColumn = (spec: QuerySpec, index: number): string => `c${dimensionCount(spec) + index}`;

export function plainSql(spec: QuerySpec): PlainPlan {
  if (spec.invalid) return { kind: 'error', reason: `invalid measure '${spec.invalid}'` };
  return spec.measures.some(isCross) ? crossSql(spec) : localSql(spec);
}

// ---------------------------------------------------------------------------
// Local measures only
// ---------------------------------------------------------------------------

/** SELECT ... FROM root LEFT JOIN ... WHERE ... GROUP BY ... HAVING ... over the source model. */
function hostSelect(spec: QuerySpec, measures: readonly { measure: MeasureSpec; index: number }[]): string {
  const joins = new Joins(graphModel(spec.source), 't');
  const groups = spec.dimensions.map((ref) => joins.column(ref));
  if (spec.time) groups.push(bucket(joins.column(spec.time.ref), spec.time.granularity));
  const select = [
    ...groups.map((sql, i) => `${sql} AS c${i}`),
    ...measures.map(
      ({ measure, index }) =>
        `${aggregate(measure, joins.column(measureRef(measure)))} AS ${measureColumn(spec, index)}`,
    ),
  ];
  const where = spec.filters.map((f) => `(${filterSql(f, (ref) => joins.column(ref))})`);
  if (spec.time?.dateRange) where.push(`(${dateRangeSql(joins.column(spec.time.ref), spec.time.dateRange)})`);
  const having = spec.having
    .filter((h) => measures.some(({ index }) => index === h.measure))
    .map((h) => {
      const measure = spec.measures[h.measure] as MeasureSpec;
      return `${aggregate(measure, joins.column(measureRef(measure)))} ${h.op} ${h.value}`;
    });
  // Every join is registered by now, so the FROM clause is complete.
  const lines = [`SELECT ${select.length > 0 ? select.join(', ') : '1 AS one'}`, joins.from()];
  if (where.length > 0) lines.push(`WHERE ${where.join(' AND ')}`);
  if (groups.length > 0) lines.push(`GROUP BY ${groups.join(', ')}`);
  if (having.length > 0) {
    // Without GROUP BY the whole table is one group: filter the single row outside instead.
    if (groups.length > 0) lines.push(`HAVING ${having.join(' AND ')}`);
    else return `SELECT * FROM (\n${lines.join('\n')}\n) AS g WHERE ${havingOnColumns(spec, measures)}`;
  }
  return lines.join('\n');
}

function havingOnColumns(spec: QuerySpec, measures: readonly { index: number }[]): string {
  return spec.having
    .filter((h) => measures.some(({ index }) => index === h.measure))
    .map((h) => `${measureColumn(spec, h.measure)} ${h.op} ${h.value}`)
    .join(' AND ');
}

/** The column a measure aggregates, relative to the query's source; `*` counts rows. */
function measureRef(measure: MeasureSpec): ColumnRef {
  return { path: measure.path, column: measure.column === '*' ? 'id' : measure.column };
}

function localSql(spec: QuerySpec): PlainPlan {
  const measures = spec.measures.map((measure, index) => ({ measure, index }));
  return { kind: 'sql', sql: `${hostSelect(spec, measures)}${orderSql(spec, '')}` };
}

/** ORDER BY output columns, NULLs last both ways; LIMIT. */
function orderSql(spec: QuerySpec, qualifier: string): string {
  if (!spec.order) return '';
  const items = spec.order.items.map(({ target, direction }) => {
    const column =
      target.kind === 'dimension'
        ? `c${target.index}`
        : target.kind === 'time'
          ? `c${spec.dimensions.length}`
          : measureColumn(spec, target.index);
    return `${qualifier}${column} ${direction.toUpperCase()} NULLS LAST`;
  });
  const limit = spec.order.limit !== undefined ? `\nLIMIT ${spec.order.limit}` : '';
  return `\nORDER BY ${items.join(', ')}${limit}`;
}

// ---------------------------------------------------------------------------
// Cross-model measures
// ---------------------------------------------------------------------------

type Rerooted = { kind: 'ok'; ref: ColumnRef } | { kind: 'unreachable' } | { kind: 'ambiguous' };

const startsWith = (path: readonly string[], prefix: readonly string[]): boolean =>
  prefix.length <= path.length && prefix.every((step, i) => path[i] === step);

/**
 * A reference of the source's query seen from the target at `targetPath`:
 * under the target, the rest of its path; a source column, through the
 * target's join back to the source (`shoppers.region`). A column elsewhere
 * could only be reached by going back through the source and out again,
 * which SLayer's docs do not settle.
 */
function reroot(ref: ColumnRef, targetPath: readonly string[], source: string): Rerooted {
  if (startsWith(ref.path, targetPath))
    return { kind: 'ok', ref: { path: ref.path.slice(targetPath.length), column: ref.column } };
  const joinsBack = modelAt(source, targetPath).joins.some((j) => j.target === source);
  if (!joinsBack) return { kind: 'unreachable' };
  if (ref.path.length === 0) return { kind: 'ok', ref: { path: [source], column: ref.column } };
  return { kind: 'ambiguous' };
}

/** The re-rooted filters of one cross-model measure, or why the query is an error or out of scope. */
function rerootFilters(spec: QuerySpec, targetPath: readonly string[]): RowFilter[] | PlainPlan {
  const out: RowFilter[] = [];
  for (const filter of spec.filters) {
    const results = refsOf(filter).map((ref) => reroot(ref, targetPath, spec.source));
    if (results.some((r) => r.kind === 'unreachable')) {
      return { kind: 'error', reason: `row filter on a column '${targetPath.join('.')}' cannot reach` };
    }
    if (results.some((r) => r.kind === 'ambiguous')) return { kind: 'skip', reason: 'filter reroot not documented' };
    out.push(mapRefs(filter, (ref) => rerootOk(reroot(ref, targetPath, spec.source))));
  }
  return out;
}

function rerootOk(result: Rerooted): ColumnRef {
  if (result.kind !== 'ok') throw new Error('checked above');
  return result.ref;
}

function mapRefs(filter: RowFilter, map: (ref: ColumnRef) => ColumnRef): RowFilter {
  return filter.kind === 'or'
    ? { kind: 'or', left: mapRefs(filter.left, map), right: mapRefs(filter.right, map) }
    : { ...filter, ref: map(filter.ref) };
}

/**
 * One cross-model value per host row: the target's rows whose re-rooted
 * dimensions equal the row's. With at least one shared dimension the value
 * comes from a joined-back group, so a row the target has no group for
 * (including a NULL key, which equality never matches) gets NULL, not 0.
 */
function correlatedSql(spec: QuerySpec, index: number): string | PlainPlan {
  const measure = spec.measures[index] as MeasureSpec;
  const target = modelAt(spec.source, measure.path);
  const joins = new Joins(target, `s${index}_`);
  const conditions: string[] = [];
  const keyRefs: { ref: ColumnRef; column: string; granularity?: TimeDimensionSpec['granularity'] }[] = [
    ...spec.dimensions.map((ref, i) => ({ ref, column: `c${i}` })),
    ...(spec.time
      ? [{ ref: spec.time.ref, column: `c${spec.dimensions.length}`, granularity: spec.time.granularity }]
      : []),
  ];
  for (const key of keyRefs) {
    const result = reroot(key.ref, measure.path, spec.source);
    if (result.kind === 'ambiguous') return { kind: 'skip', reason: 'dimension reroot not documented' };
    if (result.kind === 'unreachable') continue;
    const column = joins.column(result.ref);
    conditions.push(`${key.granularity ? bucket(column, key.granularity) : column} = h.${key.column}`);
  }
  const shared = conditions.length;
  if (spec.time?.dateRange) {
    const result = reroot(spec.time.ref, measure.path, spec.source);
    // A date range is a row filter: one the target cannot see is an error like any other.
    if (result.kind === 'unreachable') return { kind: 'error', reason: 'date range the target cannot reach' };
    if (result.kind === 'ambiguous') return { kind: 'skip', reason: 'date range reroot not documented' };
    conditions.push(`(${dateRangeSql(joins.column(result.ref), spec.time.dateRange)})`);
  }
  const filters = rerootFilters(spec, measure.path);
  if (!Array.isArray(filters)) return filters;
  conditions.push(...filters.map((f) => `(${filterSql(f, (ref) => joins.column(ref))})`));
  const local: MeasureSpec = { ...measure, path: [] };
  const value = aggregate(local, joins.column(measureRef(local)));
  const select = shared > 0 ? `CASE WHEN COUNT(*) = 0 THEN NULL ELSE ${value} END` : value;
  const where = conditions.length > 0 ? `\nWHERE ${conditions.join(' AND ')}` : '';
  // Joins are registered while the conditions are built, so FROM comes last.
  return `(SELECT ${select}\n${joins.from()}${where})`;
}

function crossSql(spec: QuerySpec): PlainPlan {
  const local = spec.measures.map((measure, index) => ({ measure, index })).filter(({ measure }) => !isCross(measure));
  if (dimensionCount(spec) === 0 && local.length === 0) {
    return { kind: 'skip', reason: 'no host grain: which rows a host-only filter keeps is not documented' };
  }
  const columns: string[] = [];
  for (let i = 0; i < dimensionCount(spec); i++) columns.push(`h.c${i}`);
  for (const [index, measure] of spec.measures.entries()) {
    if (!isCross(measure)) {
      columns.push(`h.${measureColumn(spec, index)}`);
      continue;
    }
    const correlated = correlatedSql(spec, index);
    if (typeof correlated !== 'string') return correlated;
    columns.push(`${correlated} AS ${measureColumn(spec, index)}`);
  }
  const crossHaving = spec.having
    .filter((h) => isCross(spec.measures[h.measure] as MeasureSpec))
    .map((h) => `r.${measureColumn(spec, h.measure)} ${h.op} ${h.value}`);
  const host = hostSelect(spec, local);
  const inner = `SELECT ${columns.join(', ')}\nFROM (\n${host}\n) AS h`;
  const where = crossHaving.length > 0 ? `\nWHERE ${crossHaving.join(' AND ')}` : '';
  return { kind: 'sql', sql: `SELECT * FROM (\n${inner}\n) AS r${where}${orderSql(spec, 'r.')}` };
}

/** How many leading output columns are dimensions: the key rows are matched on. */
export function keyColumnCount(spec: QuerySpec): number {
  return dimensionCount(spec);
}
