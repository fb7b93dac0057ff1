import { SlayerError } from '../../../../shared/src/errors';
import type { ModelCatalog } from '../catalog';
import { walk, type AggregateRef, type Expr, type NameRef } from '../formula/ast';
import { FormulaSyntaxError } from '../formula/lexer';
import { parseFormula } from '../formula/parser';
import type {
  ColumnDef,
  ColumnRefDef,
  DataType,
  MeasureDef,
  ModelDef,
  NumberFormat,
  QueryDef,
  TimeGranularity,
} from '../schema/types';
import type { SqlDialect } from '../sql/dialect';
import { ALL_TRANSFORMS, normalizeAggregationName, TIME_TYPES } from '../vocabulary';
import { aggregateSql, resolveAggregate, type AggregateSpec } from './aggregate';
import { compileExpr, FormulaFailure, type CompileContext } from './compile';
import { invalidQuery, modelNotFound, unknownName, withFormulaContext } from './errors';
import { SourceScope } from './scope';
import { render, sql, type SqlTemplate } from './template';
import { mergeVariables, substituteVariables, type Variables } from './variables';

/** A result column and what the response says about it. */
export interface PlannedField {
  key: string;
  kind: 'dimension' | 'measure';
  label?: string;
  format?: NumberFormat;
  type?: DataType;
  /** Set on time dimensions: values are bucket starts of this granularity. */
  granularity?: TimeGranularity;
}

export interface QueryPlan {
  sql: string;
  fields: PlannedField[];
}

export interface PlanOptions {
  dialect: SqlDialect;
  /** Runtime variables; they win over the query's own. */
  variables?: Variables;
  /** Below the query's own: an outer query's variables and a query-backed model's defaults. */
  fallbackVariables?: Variables;
}

interface PlannedDimension extends PlannedField {
  sql: string;
  /** The reference as written, for re-rooting cross-model measures. */
  parts: string[];
  column: ColumnDef;
}

interface PlannedMeasure extends PlannedField {
  template: SqlTemplate;
}

interface LocalSlot {
  spec: AggregateSpec;
}

/** An aggregate of a joined model, computed in its own sub-query so joins cannot multiply it. */
interface CrossSlot {
  path: string[];
  ref: AggregateRef;
}

/** Compiles one SLayer query (a single stage) to SQL for one dialect. */
export function planQuery(query: QueryDef, catalog: ModelCatalog, options: PlanOptions): QueryPlan {
  const model = sourceModel(query, catalog);
  const planner = new Planner(
    model,
    query.source_model.kind === 'name' ? query.source_model.name : model.name,
    catalog,
    options.dialect,
  );
  const variables = mergeVariables(
    options.variables,
    query.variables,
    options.fallbackVariables,
    model.query_variables,
  );
  planner.addQuery(query, variables);
  return planner.build();
}

/** The model a query stage reads: a stored model, an extended one, or an inline one. */
export function sourceModel(query: QueryDef, catalog: ModelCatalog): ModelDef {
  const source = query.source_model;
  if (source.kind === 'inline') return source.model;
  const name = source.kind === 'name' ? source.name : source.extension.source_name;
  const model = catalog.getModel(name);
  if (!model) throw modelNotFound(name, catalog.modelNames());
  if (source.kind === 'name') return model;
  const extension = source.extension;
  return {
    ...model,
    columns: [...model.columns, ...(extension.columns ?? [])],
    measures: [...model.measures, ...(extension.measures ?? [])],
    joins: [...model.joins, ...(extension.joins ?? [])],
  };
}

function parseOrThrow(text: string, what: string): Expr {
  try {
    return parseFormula(text);
  } catch (error) {
    if (error instanceof FormulaSyntaxError) {
      throw withFormulaContext(invalidQuery(error.message), what, text, error.span);
    }
    throw error;
  }
}

function quoted(dialect: SqlDialect, alias: string): string {
  return dialect.quoteIdentifier(alias);
}

/** SLayer's public name for an unnamed formula: `amount:sum / *:count` -> `amount_sum__div___count`. */
export function publicFieldName(formula: string): string {
  return formula.replace(/ /g, '_').replace(/\//g, '_div_').replace(/:/g, '_').replace(/\*/g, '');
}

function usesAggregates(expr: Expr, isMeasureName: (name: string) => boolean): boolean {
  let found = false;
  walk(expr, (node) => {
    if (node.kind === 'agg') found = true;
    if (node.kind === 'ref' && node.path.length === 1 && isMeasureName(node.path[0] ?? '')) found = true;
  });
  return found;
}

function usesTransforms(expr: Expr): boolean {
  let found = false;
  walk(expr, (node) => {
    if (node.kind === 'call' && ALL_TRANSFORMS.has(node.name)) found = true;
  });
  return found;
}

class Planner {
  readonly scope: SourceScope;
  private readonly dimensions: PlannedDimension[] = [];
  private readonly measures: PlannedMeasure[] = [];
  private readonly localSlots = new Map<string, LocalSlot>();
  private readonly crossSlots = new Map<string, CrossSlot>();
  private readonly where: string[] = [];
  private readonly having: SqlTemplate[] = [];
  private readonly order: { template: SqlTemplate; key?: string; direction: 'asc' | 'desc' }[] = [];
  private readonly ranks = new Map<
    string,
    { column: string; orderSql: string; descending: boolean; filterSql?: string }
  >();
  /** Filters that only touch columns, kept as trees so cross-model sub-queries can re-root them. */
  private readonly rowFilters: Expr[] = [];
  private limit: number | undefined;
  private offset: number | undefined;
  private grouped = true;
  private query: QueryDef | undefined;

  constructor(
    readonly model: ModelDef,
    readonly keyRoot: string,
    readonly catalog: ModelCatalog,
    readonly dialect: SqlDialect,
  ) {
    this.scope = new SourceScope(model, catalog, dialect);
  }

  addQuery(query: QueryDef, variables: Variables): void {
    this.query = query;
    this.grouped = query.distinct_dimension_values;
    for (const ref of query.dimensions ?? []) this.addDimension(ref);
    for (const td of query.time_dimensions ?? [])
      this.addTimeDimension(td.dimension, td.granularity, td.label, td.date_range);
    for (const measure of query.measures ?? []) this.addMeasure(measure);
    if (!this.grouped) this.checkRawRows(query);
    for (const filter of this.model.filters) this.where.push(this.scope.qualifySnippet(this.scope.root, filter));
    for (const filter of query.filters ?? []) this.addFilter(filter, variables);
    for (const item of query.order ?? []) this.addOrder(item.column, item.direction);
    this.limit = query.limit;
    this.offset = query.offset;
  }

  // --- dimensions -------------------------------------------------------------------------------

  private keyFor(parts: readonly string[]): string {
    const rest = parts[0] === this.model.name && parts.length > 1 ? parts.slice(1) : parts;
    return `${this.keyRoot}.${rest.join('.')}`;
  }

  private refParts(ref: ColumnRefDef): string[] {
    return [...(ref.model ? ref.model.split('.') : []), ref.name];
  }

  addDimension(ref: ColumnRefDef, key?: string): void {
    const parts = this.refParts(ref);
    const resolved = this.scope.resolveColumn(parts);
    this.pushDimension({
      key: key ?? this.keyFor(parts),
      kind: 'dimension',
      sql: resolved.sql,
      parts,
      column: resolved.column,
      type: resolved.column.type,
      // SLayer describes only the root model's columns; a joined dimension carries just an explicit label.
      ...optionalLabel(ref.label ?? (parts.length === 1 ? resolved.column.label : undefined)),
      ...(resolved.column.format && parts.length === 1 ? { format: resolved.column.format } : {}),
    });
  }

  addTimeDimension(
    ref: ColumnRefDef,
    granularity: TimeGranularity,
    label?: string,
    dateRange?: string[],
    key?: string,
  ): void {
    const parts = this.refParts(ref);
    const resolved = this.scope.resolveColumn(parts);
    if (!TIME_TYPES.has(resolved.column.type)) {
      throw invalidQuery(
        `Time dimension '${parts.join('.')}' is a ${resolved.column.type} column; time dimensions need a DATE or TIMESTAMP column.`,
      );
    }
    if (dateRange && dateRange.length === 2) {
      const [start = '', end = ''] = dateRange;
      const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
      this.where.push(`${resolved.sql} BETWEEN ${literal(start)} AND ${literal(end)}`);
    }
    this.pushDimension({
      key: key ?? this.keyFor(parts),
      kind: 'dimension',
      sql: this.dialect.dateTrunc(resolved.sql, granularity),
      parts,
      column: resolved.column,
      type: resolved.column.type,
      granularity,
      ...optionalLabel(label ?? ref.label),
    });
  }

  private pushDimension(dimension: PlannedDimension): void {
    if (this.dimensions.some((existing) => existing.key === dimension.key)) {
      throw invalidQuery(
        `Column '${dimension.key}' appears more than once in dimensions and time_dimensions — ambiguous projection. Use one.`,
      );
    }
    this.dimensions.push(dimension);
  }

  // --- measures ---------------------------------------------------------------------------------

  private savedMeasure(name: string): MeasureDef | undefined {
    return this.model.measures.find((measure) => measure.name === name);
  }

  addMeasure(measure: MeasureDef): void {
    const formula = measure.formula.trim();
    const saved = measure.name === undefined ? this.savedMeasure(formula) : undefined;
    const expr = parseOrThrow(formula, `Measure '${measure.name ?? formula}'`);
    if (expr.kind === 'ref' && !saved && !this.savedMeasure(expr.path.join('.'))) {
      this.addBareNameMeasure(expr, formula);
      return;
    }
    // Compiled before naming: a bad reference is reported with its place in the formula.
    const template = this.compileOrExplain(expr, formula, `Measure '${measure.name ?? formula}'`);
    const name = measure.name ?? saved?.name ?? this.defaultName(expr, formula);
    const key = this.measureKey(expr, name, measure.name !== undefined || saved !== undefined);
    if (this.measures.some((existing) => existing.key === key)) {
      throw invalidQuery(
        `Measure '${formula}' surfaces as '${key}', which an earlier measure of this query already uses.`,
      );
    }
    const described = this.describeMeasure(expr, []);
    this.measures.push({
      key,
      kind: 'measure',
      template,
      ...optionalLabel(
        measure.label ??
          (expr.kind === 'agg' && expr.target !== '*' && expr.target.length > 1 ? undefined : described.label),
      ),
      ...(described.format ? { format: described.format } : {}),
    });
  }

  /** A lone local aggregate is named canonically (`amount_percentile_p_0_9`); anything else by its text. */
  private defaultName(expr: Expr, formula: string): string {
    if (expr.kind !== 'agg' || (expr.target !== '*' && expr.target.length > 1)) return publicFieldName(formula);
    return resolveAggregate(expr, this.scope, this.scope.root).canonicalName;
  }

  /** SLayer reads a bare column name in `measures` as a dimension; any other bare name is an error. */
  private addBareNameMeasure(ref: NameRef, formula: string): void {
    const owner = ref.path.length > 1 ? undefined : this.model.columns.find((column) => column.name === ref.path[0]);
    if (owner || ref.path.length > 1) {
      this.addDimension({
        name: ref.path[ref.path.length - 1] ?? '',
        ...(ref.path.length > 1 ? { model: ref.path.slice(0, -1).join('.') } : {}),
      });
      return;
    }
    throw invalidQuery(
      `Bare measure name '${formula}' is not valid. Use colon syntax (e.g., '${formula}:sum', '${formula}:avg'). For COUNT(*), use '*:count'.`,
    );
  }

  /**
   * SLayer's response metadata for a measure: a lone aggregate takes its
   * column's label, counts are integers, averages floats, other aggregates
   * keep the column's format; any arithmetic is a float.
   */
  private describeMeasure(expr: Expr, chain: readonly string[]): { label?: string; format?: NumberFormat } {
    if (expr.kind === 'ref' && expr.path.length === 1) {
      const saved = this.savedMeasure(expr.path[0] ?? '');
      if (saved && !chain.includes(saved.name ?? '')) {
        return this.describeMeasure(parseOrThrow(saved.formula, `Saved measure '${saved.name ?? ''}'`), [
          ...chain,
          saved.name ?? '',
        ]);
      }
    }
    if (expr.kind !== 'agg') return { format: { type: 'float' } };
    const aggregation = normalizeAggregationName(expr.aggregation);
    if (expr.target === '*' || ['count', 'count_distinct'].includes(aggregation)) {
      return { ...this.columnLabel(expr), format: { type: 'integer' } };
    }
    if (['avg', 'weighted_avg', 'median'].includes(aggregation))
      return { ...this.columnLabel(expr), format: { type: 'float' } };
    if (aggregation === 'count_distinct_approx') return this.columnLabel(expr);
    const column = this.columnOf(expr);
    return { ...this.columnLabel(expr), ...(column?.format ? { format: column.format } : {}) };
  }

  private columnOf(ref: AggregateRef): ColumnDef | undefined {
    if (ref.target === '*') return undefined;
    try {
      return this.scope.resolveColumn(ref.target).column;
    } catch {
      return undefined;
    }
  }

  private columnLabel(ref: AggregateRef): { label?: string } {
    return optionalLabel(this.columnOf(ref)?.label);
  }

  /** A lone cross-model aggregate keeps its hop path in the key: `orders.customers.score_avg`. */
  private measureKey(expr: Expr, name: string, explicit: boolean): string {
    if (expr.kind === 'agg' && expr.target !== '*' && expr.target.length > 1) {
      const hops = expr.target.slice(0, -1);
      const leaf = explicit ? name : this.crossCanonical(expr);
      return `${this.keyRoot}.${[...hops, leaf].join('.')}`;
    }
    return `${this.keyRoot}.${name}`;
  }

  private crossCanonical(ref: AggregateRef): string {
    const table = this.scope.reach(this.scope.root, (ref.target as string[]).slice(0, -1));
    const local: AggregateRef = { ...ref, target: [(ref.target as string[])[ref.target.length - 1] ?? ''] };
    return resolveAggregate(local, new SourceScope(table.model, this.catalog, this.dialect), {
      model: table.model,
      path: [],
      alias: table.model.name,
    }).canonicalName;
  }

  private compileOrExplain(
    expr: Expr,
    formula: string,
    what: string,
    ctx: CompileContext = this.aggregateContext([]),
  ): SqlTemplate {
    try {
      return compileExpr(expr, ctx);
    } catch (error) {
      if (error instanceof FormulaFailure) throw withFormulaContext(error.error, what, formula, error.span);
      throw error;
    }
  }

  private aggregateContext(chain: readonly string[]): CompileContext {
    return {
      scope: this.scope,
      aggregates: true,
      aggregate: (ref) => this.slotFor(ref),
      namedMeasure: (name, ref) => this.expandNamed(name, ref, chain),
    };
  }

  private rowCtx(): CompileContext {
    return { scope: this.scope, aggregates: false, aggregate: () => [], namedMeasure: () => undefined };
  }

  /** Saved measures expand by name, transitively; a cycle is an error naming the chain. */
  private expandNamed(name: string, ref: NameRef, chain: readonly string[]): SqlTemplate | undefined {
    const queryMeasure = this.measures.find((measure) => measure.key === `${this.keyRoot}.${name}`);
    if (queryMeasure) return sql('(', queryMeasure.template, ')');
    const saved = this.savedMeasure(name);
    if (!saved) return this.dimensionColumn(ref) ? undefined : this.notAMeasure(name);
    if (chain.includes(name)) {
      throw invalidQuery(`Circular measure reference: ${[...chain, name].join(' -> ')}.`);
    }
    const expr = parseOrThrow(saved.formula, `Saved measure '${name}'`);
    const inner = this.compileOrExplain(
      expr,
      saved.formula,
      `Saved measure '${name}'`,
      this.aggregateContext([...chain, name]),
    );
    return sql('(', inner, ')');
  }

  private dimensionColumn(ref: NameRef): boolean {
    return this.model.columns.some((column) => column.name === ref.path[0]);
  }

  private notAMeasure(name: string): never {
    const candidates = [
      ...this.model.measures.flatMap((m) => (m.name ? [m.name] : [])),
      ...this.model.columns.map((c) => c.name),
    ];
    throw unknownName(`'${name}' is not a column or measure of model '${this.model.name}'.`, name, candidates);
  }

  private slotFor(ref: AggregateRef): SqlTemplate {
    if (ref.target !== '*' && ref.target.length > 1 && ref.target[0] !== this.model.name) return this.crossSlotFor(ref);
    const local: AggregateRef =
      ref.target !== '*' && ref.target[0] === this.model.name && ref.target.length > 1
        ? { ...ref, target: ref.target.slice(1) }
        : ref;
    const spec = resolveAggregate(local, this.scope, this.scope.root);
    if (spec.kwargs['window'] !== undefined) {
      throw new SlayerError(
        'SLAYER_UNSUPPORTED',
        `Windowed aggregations (window='${spec.kwargs['window']}') are not supported yet.`,
      );
    }
    if (!this.localSlots.has(spec.canonicalName)) this.localSlots.set(spec.canonicalName, { spec });
    return [{ slot: spec.canonicalName }];
  }

  private crossSlotFor(ref: AggregateRef): SqlTemplate {
    const target = ref.target as string[];
    const path = target.slice(0, -1);
    const id = `${path.join('.')}.${this.crossCanonical(ref)}`;
    if (!this.crossSlots.has(id)) this.crossSlots.set(id, { path, ref: { ...ref, target: target.slice(-1) } });
    return [{ slot: id }];
  }

  // --- filters and order ------------------------------------------------------------------------

  private isMeasureName(name: string): boolean {
    return this.savedMeasure(name) !== undefined || this.measures.some((m) => m.key === `${this.keyRoot}.${name}`);
  }

  addFilter(filter: string, variables: Variables): void {
    const text = substituteVariables(filter, variables);
    const expr = parseOrThrow(text, `Filter '${text}'`);
    if (usesTransforms(expr)) this.compileOrExplain(expr, text, `Filter '${text}'`);
    if (usesAggregates(expr, (name) => this.isMeasureName(name))) {
      if (!this.grouped)
        throw invalidQuery(
          `Filter '${text}' references a measure; distinct_dimension_values: false returns raw rows, so filters may only use columns.`,
        );
      this.having.push(this.compileOrExplain(expr, text, `Filter '${text}'`));
      return;
    }
    const template = this.compileOrExplain(expr, text, `Filter '${text}'`, this.rowCtx());
    this.where.push(render(template, () => ''));
    this.rowFilters.push(expr);
  }

  addOrder(column: string, direction: 'asc' | 'desc'): void {
    const field = this.findField(column);
    if (field) {
      this.order.push({ template: [], key: field, direction });
      return;
    }
    const expr = parseOrThrow(column, `Order '${column}'`);
    const template = usesAggregates(expr, (name) => this.isMeasureName(name))
      ? this.compileOrExplain(expr, column, `Order '${column}'`)
      : this.compileOrExplain(expr, column, `Order '${column}'`, this.rowCtx());
    this.order.push({ template, direction });
  }

  /** An order item names a result column by its short alias, its key, or its formula. */
  private findField(column: string): string | undefined {
    const asKey = `${this.keyRoot}.${column}`;
    const all = [...this.dimensions, ...this.measures];
    const direct = all.find((field) => field.key === column || field.key === asKey);
    if (direct) return direct.key;
    const asFormula = `${this.keyRoot}.${publicFieldName(column)}`;
    return all.find((field) => field.key === asFormula)?.key;
  }

  private checkRawRows(query: QueryDef): void {
    if ((query.measures ?? []).length > 0) {
      throw invalidQuery('distinct_dimension_values: false returns raw rows, so the query must not have measures.');
    }
    if (this.dimensions.length === 0) {
      throw invalidQuery('distinct_dimension_values: false needs at least one dimension or time dimension to project.');
    }
  }

  // --- first/last ranking -----------------------------------------------------------------------

  /** SLayer's choice of time column for :first/:last without an explicit one. */
  private defaultRankTime(): string {
    const query = this.query;
    if (query?.main_time_dimension) return this.scope.resolveColumn(query.main_time_dimension.split('.')).sql;
    const timeDimension =
      this.dimensions.find((d) => d.type !== undefined && TIME_TYPES.has(d.type) && d.granularity === undefined) ??
      this.dimensions.find((d) => d.granularity !== undefined);
    if (timeDimension) return this.scope.resolveColumn(timeDimension.parts).sql;
    const timeColumns = this.model.columns.filter((c) => TIME_TYPES.has(c.type));
    const mentioned = timeColumns.find((c) => (query?.filters ?? []).some((f) => f.includes(c.name)));
    if (mentioned) return this.scope.columnSql(this.scope.root, mentioned);
    if (this.model.default_time_dimension) return this.scope.resolveColumn([this.model.default_time_dimension]).sql;
    throw invalidQuery(
      `first/last aggregation on model '${this.model.name}' needs a time column: pass one (amount:last(ordered_at)), ` +
        'add a time dimension, or set default_time_dimension on the model.',
    );
  }

  rankColumn(spec: AggregateSpec): string {
    const timeArg = spec.args[0];
    const orderSql = timeArg
      ? this.scope.resolveColumn([...spec.table.path, ...timeArg.split('.')]).sql
      : this.defaultRankTime();
    const descending = spec.aggregation === 'last';
    const filterSql = spec.column?.filter ? this.scope.qualifySnippet(spec.table, spec.column.filter) : undefined;
    const id = `${descending}|${orderSql}|${filterSql ?? ''}`;
    const existing = this.ranks.get(id);
    if (existing) return `${this.scope.root.alias}.${existing.column}`;
    const base = descending ? '_last_rn' : '_first_rn';
    const count = [...this.ranks.values()].filter((rank) => rank.column.startsWith(base)).length;
    const column = count === 0 ? base : `${base}_${count + 1}`;
    this.ranks.set(id, { column, orderSql, descending, ...(filterSql ? { filterSql } : {}) });
    return `${this.scope.root.alias}.${column}`;
  }

  // --- SQL --------------------------------------------------------------------------------------

  build(): QueryPlan {
    if (this.dimensions.length === 0 && this.measures.length === 0) {
      throw invalidQuery(
        `The query on '${this.keyRoot}' asks for nothing: add measures, dimensions or time_dimensions.`,
      );
    }
    const fields: PlannedField[] = [...this.dimensions, ...this.measures].map(fieldOf);
    const sqlText = this.crossSlots.size > 0 ? this.layeredSql() : this.singleSelectSql();
    return { sql: sqlText, fields };
  }

  private aggregateSqlOf(slot: string): string {
    const local = this.localSlots.get(slot);
    if (!local) throw new SlayerError('SLAYER_INTERNAL', `No aggregate registered for '${slot}'.`);
    return aggregateSql(local.spec, this.scope, this);
  }

  private groupBy(): string[] {
    return this.dimensions.map((dimension) => dimension.sql);
  }

  /** One SELECT: dimensions, aggregates inlined, WHERE/GROUP BY/HAVING/ORDER/LIMIT. */
  private singleSelectSql(): string {
    const select = [
      ...this.dimensions.map((d) => `${d.sql} AS ${quoted(this.dialect, d.key)}`),
      ...this.measures.map(
        (m) => `${render(m.template, (slot) => this.aggregateSqlOf(slot))} AS ${quoted(this.dialect, m.key)}`,
      ),
    ];
    const lines = [`SELECT ${select.join(', ')}`, this.fromWithRanks()];
    if (this.where.length > 0) lines.push(`WHERE ${this.where.map((w) => `(${w})`).join(' AND ')}`);
    const aggregated = this.measures.length > 0 || this.having.length > 0;
    if (this.dimensions.length > 0 && (aggregated || this.grouped)) lines.push(`GROUP BY ${this.groupBy().join(', ')}`);
    if (this.having.length > 0) {
      lines.push(
        `HAVING ${this.having.map((h) => `(${render(h, (slot) => this.aggregateSqlOf(slot))})`).join(' AND ')}`,
      );
    }
    lines.push(...this.orderAndPage((template) => render(template, (slot) => this.aggregateSqlOf(slot))));
    return lines.join('\n');
  }

  private orderAndPage(renderExpr: (template: SqlTemplate) => string): string[] {
    const lines: string[] = [];
    if (this.order.length > 0) {
      const items = this.order.map((item) => {
        const target = item.key !== undefined ? quoted(this.dialect, item.key) : renderExpr(item.template);
        // SLayer sorts NULLs last in ascending order on every dialect.
        return `${target} ${item.direction === 'asc' ? 'ASC NULLS LAST' : 'DESC'}`;
      });
      lines.push(`ORDER BY ${items.join(', ')}`);
    }
    if (this.limit !== undefined) lines.push(`LIMIT ${this.limit}`);
    else if (this.offset !== undefined && this.dialect.name === 'sqlite') lines.push('LIMIT -1');
    if (this.offset !== undefined) lines.push(`OFFSET ${this.offset}`);
    return lines;
  }

  /** FROM with joins; when :first/:last are used, the root rows carry ROW_NUMBER columns per group. */
  private fromWithRanks(): string {
    // Rendering aggregates registers rank columns, so render them first.
    for (const slot of this.localSlots.keys()) this.aggregateSqlOf(slot);
    const plain = this.scope.fromClause();
    if (this.ranks.size === 0) return plain;
    const partition = this.groupBy();
    const rankSelect = [...this.ranks.values()].map((rank) => {
      const filterFirst = rank.filterSql ? `CASE WHEN ${rank.filterSql} THEN 0 ELSE 1 END, ` : '';
      const over = `${partition.length > 0 ? `PARTITION BY ${partition.join(', ')} ` : ''}ORDER BY ${filterFirst}${rank.orderSql} ${rank.descending ? 'DESC' : 'ASC'}`;
      return `ROW_NUMBER() OVER (${over}) AS ${rank.column}`;
    });
    const where = this.where.length > 0 ? `\nWHERE ${this.where.map((w) => `(${w})`).join(' AND ')}` : '';
    const ranked = `(SELECT ${this.scope.root.alias}.*, ${rankSelect.join(', ')}\n${plain}${where})`;
    return plain.replace(/^FROM .*? AS (\w+)$/m, (_line, alias: string) => `FROM ${ranked} AS ${alias}`);
  }

  /** Base aggregates in one CTE, each cross-model aggregate in its own, joined on shared dimensions. */
  private layeredSql(): string {
    const base = this.baseCte();
    const ctes: string[] = [`_base AS (\n${base}\n)`];
    const joins: string[] = [];
    const crossColumns = new Map<string, string>();
    let index = 0;
    for (const [id, cross] of this.crossSlots) {
      index++;
      const name = `_cm_${index}`;
      const { sql: cteSql, sharedKeys } = this.crossCte(cross);
      ctes.push(`${name} AS (\n${cteSql}\n)`);
      crossColumns.set(id, `${name}.${quoted(this.dialect, '_value')}`);
      // Plain equality, as SLayer joins them: a NULL dimension gets no cross-model value.
      const on = sharedKeys.map((key) => `_base.${quoted(this.dialect, key)} = ${name}.${quoted(this.dialect, key)}`);
      joins.push(on.length > 0 ? `LEFT JOIN ${name} ON ${on.join(' AND ')}` : `CROSS JOIN ${name}`);
    }
    const slotSql = (slot: string): string =>
      crossColumns.get(slot) ?? `_base.${quoted(this.dialect, this.hiddenAlias(slot))}`;
    const select = [
      ...this.dimensions.map((d) => `_base.${quoted(this.dialect, d.key)} AS ${quoted(this.dialect, d.key)}`),
      ...this.measures.map((m) => `${render(m.template, slotSql)} AS ${quoted(this.dialect, m.key)}`),
    ];
    const lines = [`WITH ${ctes.join(',\n')}`, `SELECT ${select.join(', ')}`, 'FROM _base', ...joins];
    if (this.having.length > 0) lines.push(`WHERE ${this.having.map((h) => `(${render(h, slotSql)})`).join(' AND ')}`);
    lines.push(...this.orderAndPage((template) => render(template, slotSql)));
    return lines.join('\n');
  }

  private hiddenAlias(slot: string): string {
    return `_agg.${slot}`;
  }

  private baseCte(): string {
    const localIds = new Set(this.localSlots.keys());
    const select = [
      ...this.dimensions.map((d) => `${d.sql} AS ${quoted(this.dialect, d.key)}`),
      ...[...localIds].map((id) => `${this.aggregateSqlOf(id)} AS ${quoted(this.dialect, this.hiddenAlias(id))}`),
    ];
    if (select.length === 0) select.push('1 AS _one');
    const lines = [`SELECT ${select.join(', ')}`, this.fromWithRanks()];
    if (this.where.length > 0) lines.push(`WHERE ${this.where.map((w) => `(${w})`).join(' AND ')}`);
    if (this.dimensions.length > 0) lines.push(`GROUP BY ${this.groupBy().join(', ')}`);
    else if (localIds.size === 0) lines.push('LIMIT 1');
    return lines.join('\n');
  }

  /**
   * A cross-model aggregate re-rooted on its own model (SLayer's "re-rooted
   * sub-query"): dimensions the target can reach survive, the rest drop, and
   * so do filters on columns it cannot see. That is what keeps a customer's
   * score from being counted once per order.
   */
  private crossCte(cross: CrossSlot): { sql: string; sharedKeys: string[] } {
    const target = this.scope.reach(this.scope.root, cross.path);
    const sub = new Planner(target.model, target.model.name, this.catalog, this.dialect);
    const sharedKeys: string[] = [];
    for (const dimension of this.dimensions) {
      const rerooted = rerootParts(dimension.parts, cross.path, this.model.name);
      if (!rerooted) continue;
      const ref: ColumnRefDef = {
        name: rerooted[rerooted.length - 1] ?? '',
        ...(rerooted.length > 1 ? { model: rerooted.slice(0, -1).join('.') } : {}),
      };
      if (dimension.granularity) sub.addTimeDimension(ref, dimension.granularity, undefined, undefined, dimension.key);
      else sub.addDimension(ref, dimension.key);
      sharedKeys.push(dimension.key);
    }
    for (const filter of target.model.filters) sub.where.push(sub.scope.qualifySnippet(sub.scope.root, filter));
    for (const filter of this.rowFilters) {
      const rerooted = rerootExpr(filter, cross.path, this.model.name);
      if (rerooted) sub.where.push(render(compileExpr(rerooted, sub.rowCtx()), () => ''));
    }
    for (const range of this.query?.time_dimensions ?? []) {
      const parts = this.refParts(range.dimension);
      const rerooted = rerootParts(parts, cross.path, this.model.name);
      if (!rerooted || !range.date_range || range.date_range.length !== 2) continue;
      const column = sub.scope.resolveColumn(rerooted).sql;
      const [start = '', end = ''] = range.date_range;
      sub.where.push(`${column} BETWEEN '${start.replace(/'/g, "''")}' AND '${end.replace(/'/g, "''")}'`);
    }
    const template = sub.slotFor(cross.ref);
    sub.measures.push({ key: '_value', kind: 'measure', template });
    return { sql: sub.singleSelectSql(), sharedKeys };
  }
}

/** `customers.regions.name` seen from `customers` is `regions.name`; undefined when not under the path. */
function rerootParts(parts: readonly string[], path: readonly string[], rootName: string): string[] | undefined {
  const absolute = parts[0] === rootName && parts.length > 1 ? parts.slice(1) : parts;
  if (absolute.length <= path.length) return undefined;
  for (const [index, step] of path.entries()) if (absolute[index] !== step) return undefined;
  return absolute.slice(path.length);
}

function rerootExpr(expr: Expr, path: readonly string[], rootName: string): Expr | undefined {
  let ok = true;
  const clone = structuredClone(expr);
  walk(clone, (node) => {
    if (node.kind === 'ref') {
      const rerooted = rerootParts(node.path, path, rootName);
      if (rerooted) node.path = rerooted;
      else ok = false;
    }
    if (node.kind === 'agg') ok = false;
  });
  return ok ? clone : undefined;
}

function optionalLabel(label: string | undefined): { label?: string } {
  return label === undefined ? {} : { label };
}

function fieldOf(field: PlannedField): PlannedField {
  return {
    key: field.key,
    kind: field.kind,
    ...optionalLabel(field.label),
    ...(field.format ? { format: field.format } : {}),
    ...(field.type ? { type: field.type } : {}),
    ...(field.granularity ? { granularity: field.granularity } : {}),
  };
}
