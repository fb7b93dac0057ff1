import { SlayerError } from '../../../../shared/src/errors';
import type { ModelCatalog } from '../catalog';
import { walk, type AggregateRef, type Call, type Expr, type NameRef } from '../formula/ast';
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
import { rawRowsWithMeasures, RAW_ROWS_WITHOUT_COLUMNS } from '../schema/decode-query';
import type { SqlDialect } from '../sql/dialect';
import { ALL_TRANSFORMS, normalizeAggregationName, RANK_TRANSFORMS, TIME_TYPES } from '../vocabulary';
import { parseDuration, wholePeriodFilters, type DurationPart } from './periods';
import { aggregateSql, resolveAggregate, type AggregateSpec } from './aggregate';
import { compileExpr, FormulaFailure, type CompileContext, type FormulaSource } from './compile';
import { CrossPlacement, targetWithJoinBack } from './cross-model';
import {
  filterJoinedColumnMessage,
  filterNotInJoinsMessage,
  filterUnknownNameMessage,
  invalidQuery,
  modelNotFound,
  repr,
  requireSound,
  unknownName,
  withFormulaContext,
} from './errors';
import { SourceScope } from './scope';
import { render, slotsOf, sql, type SqlTemplate } from './template';
import {
  bucketsOf,
  checkTransformArguments,
  consecutiveStages,
  offsetOf,
  partitionNames,
  shiftOf,
  TIME_ORDERED,
  transformOperand,
  windowSql,
  type ShiftTransform,
  type TransformSlot,
  type WindowKind,
  type WindowTransform,
} from './transforms';
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
  /** "Now" for whole_periods_only; tests pin it. */
  today?: Date;
}

interface PlannedDimension extends PlannedField {
  sql: string;
  /** The reference as written, for re-rooting cross-model measures. */
  parts: string[];
  column: ColumnDef;
}

interface PlannedMeasure extends PlannedField {
  template: SqlTemplate;
  /** The formula as written and the name the query gave it (a saved measure's own), for collision messages. */
  formula?: string;
  declaredName?: string;
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
    options.today,
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
  if (source.kind === 'inline') {
    requireSound(source.model);
    return source.model.source_queries && catalog.virtualize ? catalog.virtualize(source.model) : source.model;
  }
  const name = source.kind === 'name' ? source.name : source.extension.source_name;
  const model = catalog.getModel(name);
  if (!model) throw modelNotFound(name, catalog.modelNames());
  requireSound(model);
  if (source.kind === 'name') return model;
  const extension = source.extension;
  return {
    ...model,
    columns: [...model.columns, ...(extension.columns ?? [])],
    measures: [...model.measures, ...(extension.measures ?? [])],
    joins: [...model.joins, ...(extension.joins ?? [])],
  };
}

/**
 * Parses a measure formula or a filter. A syntax error reads as SLayer's
 * ("Invalid filter syntax: 'x' — ..."), which already names the formula, so
 * only a saved measure's name (`owner`) goes before it.
 */
function parseOrThrow(text: string, kind: 'formula' | 'filter', owner?: string): Expr {
  try {
    return parseFormula(text);
  } catch (error) {
    if (error instanceof FormulaSyntaxError) {
      const headline = error.standalone ? error.message : `Invalid ${kind} syntax: ${repr(text)} — ${error.message}`;
      throw withFormulaContext(invalidQuery(headline), owner ?? headline, text, error.span);
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
  /** Filters over transforms or cross-model values: applied on the outermost layer, as SLayer's post-filters. */
  private readonly post: SqlTemplate[] = [];
  private readonly transforms = new Map<string, TransformSlot>();
  private readonly windowedSlots = new Map<string, { spec: AggregateSpec; parts: DurationPart[]; timeKey: string }>();
  /** `date_range`s, kept apart from `where` so a shifted self-join can move them. */
  private readonly dateRanges: { sql: string; start: string; end: string }[] = [];
  private readonly order: { template: SqlTemplate; key?: string; direction: 'asc' | 'desc' }[] = [];
  private readonly ranks = new Map<
    string,
    { column: string; orderSql: string; descending: boolean; filterSql?: string }
  >();
  /** Filters that only touch columns, kept as trees so cross-model sub-queries can re-root them. */
  private readonly rowFilters: { expr: Expr; text: string }[] = [];
  /** The measure or filter being compiled, for SLayer's "Field 'x' (cumsum)" messages. */
  private currentField: string | undefined;
  /** What the aggregate formula being compiled is, for the message when it reads an ungrouped column. */
  private compiling: { role: 'measure' | 'filter' | 'order'; text: string } = { role: 'measure', text: '' };
  private limit: number | undefined;
  private offset: number | undefined;
  private grouped = true;
  private query: QueryDef | undefined;

  constructor(
    readonly model: ModelDef,
    readonly keyRoot: string,
    readonly catalog: ModelCatalog,
    readonly dialect: SqlDialect,
    private readonly today: Date = new Date(),
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
    for (const filter of [...(query.filters ?? []), ...wholePeriodFilters(query, this.today)]) {
      this.addFilter(filter, variables);
    }
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
      // SLayer's enrichment: the reference's label, else the column's, wherever the join path leads; its format.
      ...optionalLabel(ref.label ?? resolved.column.label),
      ...(resolved.column.format ? { format: resolved.column.format } : {}),
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
      this.dateRanges.push({ sql: resolved.sql, start, end });
    }
    this.pushDimension({
      key: key ?? this.keyFor(parts),
      kind: 'dimension',
      sql: this.dialect.dateTrunc(resolved.sql, granularity),
      parts,
      column: resolved.column,
      type: resolved.column.type,
      granularity,
      ...optionalLabel(label ?? ref.label ?? resolved.column.label),
    });
  }

  private pushDimension(dimension: PlannedDimension): void {
    const existing = this.dimensions.find((other) => other.key === dimension.key);
    if (existing && (existing.granularity === undefined) !== (dimension.granularity === undefined)) {
      throw invalidQuery(
        `Column '${dimension.key}' appears in both \`dimensions\` and \`time_dimensions\` — ambiguous projection. Use one or the other.`,
      );
    }
    if (existing) {
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
    const expr = parseOrThrow(formula, 'formula');
    if (expr.kind === 'ref' && !saved && !this.savedMeasure(expr.path.join('.'))) {
      this.addBareNameMeasure(expr, formula);
      return;
    }
    if (measure.name !== undefined && this.model.columns.some((column) => column.name === measure.name)) {
      throw invalidQuery(
        `Query measure name '${measure.name}' collides with a source column on model '${this.model.name}'. ` +
          'Pick a different name (or omit `name` to use the canonical alias). Filters and ORDER BY would otherwise ' +
          'bind to the source column instead of the renamed aggregate.',
      );
    }
    // Compiled before naming: a bad reference is reported with its place in the formula.
    this.currentField = measure.name ?? saved?.name ?? publicFieldName(formula);
    this.compiling = { role: 'measure', text: formula };
    const template = this.compileOrExplain(expr, formula, `Measure '${measure.name ?? formula}'`);
    this.currentField = undefined;
    const name = measure.name ?? saved?.name ?? this.defaultName(expr, formula);
    const key = this.measureKey(expr, name, measure.name !== undefined || saved !== undefined);
    // As in SLayer, asking for a saved measure by name declares that name.
    const declaredName = measure.name ?? saved?.name;
    const earlier = this.measures.find((existing) => existing.key === key);
    if (earlier) throw this.measureCollision(formula, declaredName, earlier, key);
    const dimension = this.dimensions.find((existing) => existing.key === key);
    if (dimension) {
      // Two result columns under one key: the response would keep one value and lose the other, with no error.
      throw invalidQuery(
        `Measure '${formula}' surfaces as '${key}', which collides with the ` +
          `${dimension.granularity === undefined ? 'dimension' : 'time dimension'} on the same query — the outer ` +
          'projection key would be duplicated and the result shape could silently merge values. Pick a different ' +
          '`name`, or remove the duplicate dimension.',
      );
    }
    const described = this.describeMeasure(expr, []);
    this.measures.push({
      key,
      kind: 'measure',
      template,
      formula,
      ...(declaredName === undefined ? {} : { declaredName }),
      ...optionalLabel(
        measure.label ??
          (expr.kind === 'agg' && expr.target !== '*' && expr.target.length > 1 ? undefined : described.label),
      ),
      ...(described.format ? { format: described.format } : {}),
    });
  }

  /** SLayer's words for two measures of one query landing on one result column. */
  private measureCollision(
    formula: string,
    declaredName: string | undefined,
    earlier: PlannedMeasure,
    key: string,
  ): SlayerError {
    const other = earlier.formula ?? key;
    if (declaredName !== undefined && declaredName === earlier.declaredName) {
      return invalidQuery(
        `Measure '${formula}' and measure '${other}' both declare name '${declaredName}'. ` +
          'Two distinct aggregates would otherwise be silently merged into one column. Pick a different `name` for one of them.',
      );
    }
    return invalidQuery(
      `Measure '${formula}' and measure '${other}' both surface as '${key}'. Two distinct aggregates would ` +
        'otherwise be silently merged into one column. Pick a different `name`, or rename the other measure too.',
    );
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
        const inner = this.describeMeasure(
          parseOrThrow(saved.formula, 'formula', `Saved measure '${saved.name ?? ''}'`),
          [...chain, saved.name ?? ''],
        );
        // The saved measure's own label, where it has one: SLayer's engine keeps only the formula (a deliberate difference).
        return saved.label === undefined ? inner : { ...inner, label: saved.label };
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

  /** The aggregated column, for labels and formats; looked up without joining anything into this query. */
  private columnOf(ref: AggregateRef): ColumnDef | undefined {
    if (ref.target === '*') return undefined;
    const parts = ref.target[0] === this.model.name && ref.target.length > 1 ? ref.target.slice(1) : ref.target;
    const leaf = parts[parts.length - 1];
    try {
      return this.scope.modelAt(parts.slice(0, -1)).columns.find((column) => column.name === leaf);
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
    const model = this.scope.modelAt((ref.target as string[]).slice(0, -1));
    const local: AggregateRef = { ...ref, target: [(ref.target as string[])[ref.target.length - 1] ?? ''] };
    return resolveAggregate(local, new SourceScope(model, this.catalog, this.dialect), {
      model,
      path: [],
      alias: model.name,
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
      transform: (call) => this.transformSlot(call, chain),
      groupedColumn: (ref) => this.groupedColumn(ref),
      source: { kind: this.compiling.role === 'filter' ? 'filter' : 'formula', text: this.compiling.text },
    };
  }

  /** A column in an aggregate formula stands for its dimension; any other column is SLayer's error. */
  private groupedColumn(ref: NameRef): SqlTemplate {
    const name = ref.path.join('.');
    const { role, text } = this.compiling;
    if (role === 'measure') {
      const fixed = `${text.slice(0, ref.span.start)}${name}:sum${text.slice(ref.span.end)}`;
      const message =
        ref.path.length > 1
          ? `Cross-model measure '${name}' must include an aggregation (e.g., '${name}:sum').`
          : `Bare measure name '${name}' is not valid. Use colon syntax (e.g., '${name}:sum', '${name}:avg'). For COUNT(*), use '*:count'.`;
      throw invalidQuery(message, fixed);
    }
    const resolvedSql = role === 'filter' ? this.filterColumnSql(ref) : this.scope.resolveColumn(ref.path).sql;
    const dimension = this.dimensions.find((d) => d.granularity === undefined && d.sql === resolvedSql);
    if (dimension) return [{ slot: `${DIMENSION_SLOT}${dimension.key}` }];
    const bucketed = this.dimensions.some((d) => d.granularity !== undefined && d.parts.join('.') === name);
    const why = bucketed ? ` It is a time dimension here, so each group holds a range of its values.` : '';
    if (role === 'filter') {
      throw invalidQuery(
        `Filter '${text}' references measure and dimension '${name}', but '${name}' is not in the query's ` +
          `dimensions or time_dimensions. Add it to dimensions/time_dimensions or split into separate filters.${why}`,
      );
    }
    const parts = this.localParts(ref.path);
    if (parts.length > 1) {
      // SLayer's UnresolvableOrderColumnError: a joined column the query does not project.
      throw invalidQuery(
        `ORDER BY column '${parts.join('.')}' cannot be resolved: it is not a projected field, a base column, or a ` +
          'column on a join that is in scope. Add it to dimensions, or order by a projected field instead: ' +
          `a grouped query can only be ordered by its dimensions and measures.${why}`,
      );
    }
    throw invalidQuery(
      `Order '${text}' references column '${name}', which is not in the query's dimensions or time_dimensions: ` +
        `a grouped query can only be ordered by its dimensions and measures.${why}`,
    );
  }

  /** A reference without a redundant leading "<source model>." (`orders.status` on orders is `status`). */
  private localParts(path: readonly string[]): string[] {
    return path[0] === this.model.name && path.length > 1 ? path.slice(1) : [...path];
  }

  /**
   * A column a filter reads, with SLayer's words when it names nothing:
   * an unknown bare name, a first hop that is not a join, or a joined model
   * without that column. Deeper broken paths keep the scope's own message.
   */
  private filterColumnSql(ref: NameRef): string {
    const parts = this.localParts(ref.path);
    const hops = parts.slice(0, -1);
    const leaf = parts[parts.length - 1] ?? '';
    const first = hops[0];
    if (first !== undefined && !this.model.joins.some((join) => join.target_model === first)) {
      throw unknownName(
        filterNotInJoinsMessage(parts.join('.'), first, this.model.name),
        first,
        this.model.joins.map((join) => join.target_model),
      );
    }
    const owner = this.scope.modelAt(hops);
    if (!owner.columns.some((column) => column.name === leaf)) {
      if (hops.length === 0) this.unknownFilterName(leaf);
      throw unknownName(
        filterJoinedColumnMessage(parts.join('.'), leaf, hops.join('.')),
        leaf,
        owner.columns.map((column) => column.name),
      );
    }
    return this.scope.resolveColumn(ref.path).sql;
  }

  private unknownFilterName(name: string): never {
    throw unknownName(filterUnknownNameMessage(name, this.model.name), name, [
      ...this.model.columns.map((c) => c.name),
      ...this.model.measures.flatMap((m) => (m.name ? [m.name] : [])),
    ]);
  }

  /** A row formula: a filter (WHERE) or the order of a raw-rows query. */
  private rowCtx(source: FormulaSource): CompileContext {
    return {
      scope: this.scope,
      aggregates: false,
      aggregate: () => [],
      namedMeasure: () => undefined,
      source,
      ...(source.kind === 'filter' ? { column: (ref: NameRef) => [this.filterColumnSql(ref)] } : {}),
    };
  }

  /** Saved measures expand by name, transitively; a cycle is an error naming the chain. */
  private expandNamed(name: string, ref: NameRef, chain: readonly string[]): SqlTemplate | undefined {
    const queryMeasure = this.measures.find((measure) => measure.key === `${this.keyRoot}.${name}`);
    if (queryMeasure) return sql('(', queryMeasure.template, ')');
    const saved = this.savedMeasure(name);
    if (!saved) return this.dimensionColumn(ref) ? undefined : this.notAMeasure(name);
    if (chain.includes(name)) {
      throw invalidQuery(`Saved measure '${name}' has a cyclic reference: ${[...chain, name].join(' → ')}.`);
    }
    const expr = parseOrThrow(saved.formula, 'formula', `Saved measure '${name}'`);
    const outer = this.compiling;
    this.compiling = { role: 'measure', text: saved.formula };
    try {
      const inner = this.compileOrExplain(
        expr,
        saved.formula,
        `Saved measure '${name}'`,
        this.aggregateContext([...chain, name]),
      );
      return sql('(', inner, ')');
    } finally {
      this.compiling = outer;
    }
  }

  private dimensionColumn(ref: NameRef): boolean {
    return this.model.columns.some((column) => column.name === ref.path[0]);
  }

  /** A bare name that is no column, saved measure or query measure; worded as SLayer words it where it has words. */
  private notAMeasure(name: string): never {
    const { role } = this.compiling;
    if (role === 'filter') this.unknownFilterName(name);
    const candidates = [
      ...this.model.measures.flatMap((m) => (m.name ? [m.name] : [])),
      ...this.model.columns.map((c) => c.name),
    ];
    const what = `'${name}' is not a column or measure of model '${this.model.name}'.`;
    throw unknownName(
      role === 'measure' ? `Bare measure name '${name}' is not valid: ${what}` : what,
      name,
      candidates,
    );
  }

  private slotFor(ref: AggregateRef): SqlTemplate {
    if (ref.target !== '*' && ref.target.length > 1 && ref.target[0] !== this.model.name) return this.crossSlotFor(ref);
    const local: AggregateRef =
      ref.target !== '*' && ref.target[0] === this.model.name && ref.target.length > 1
        ? { ...ref, target: ref.target.slice(1) }
        : ref;
    const spec = resolveAggregate(local, this.scope, this.scope.root);
    const window = spec.kwargs['window'];
    if (window !== undefined) return this.windowedSlot(spec, window);
    if (!this.localSlots.has(spec.canonicalName)) this.localSlots.set(spec.canonicalName, { spec });
    return [{ slot: spec.canonicalName }];
  }

  /** `amount:sum(window='30d')`: a trailing window over raw rows, ending where each output bucket ends. */
  private windowedSlot(spec: AggregateSpec, window: string): SqlTemplate {
    if (spec.aggregation !== 'sum' && spec.aggregation !== 'avg') {
      throw invalidQuery(
        `Aggregation parameter 'window' is only supported for sum and avg, not '${spec.aggregation}'.`,
      );
    }
    const time = this.transformTime(`${spec.column?.name ?? '*'}:${spec.aggregation}`, 'window');
    if (!this.windowedSlots.has(spec.canonicalName)) {
      this.windowedSlots.set(spec.canonicalName, { spec, parts: parseDuration(window), timeKey: time.key });
    }
    return [{ slot: spec.canonicalName }];
  }

  private crossSlotFor(ref: AggregateRef): SqlTemplate {
    const target = ref.target as string[];
    const path = target.slice(0, -1);
    const id = `${path.join('.')}.${this.crossCanonical(ref)}`;
    if (!this.crossSlots.has(id)) this.crossSlots.set(id, { path, ref: { ...ref, target: target.slice(-1) } });
    return [{ slot: id }];
  }

  // --- transforms ------------------------------------------------------------------------------

  /** SLayer's rule for the time that orders transforms: main_time_dimension, the only one, or the model's default. */
  private transformTime(field: string, transform: string): PlannedDimension {
    const timeDimensions = this.dimensions.filter((d) => d.granularity !== undefined);
    const main = this.query?.main_time_dimension;
    const byName = (name: string): PlannedDimension | undefined =>
      timeDimensions.find((d) => d.parts.join('.') === name || d.parts[d.parts.length - 1] === name);
    const chosen =
      (main ? byName(main) : undefined) ??
      (timeDimensions.length === 1 ? timeDimensions[0] : undefined) ??
      (this.model.default_time_dimension ? byName(this.model.default_time_dimension) : undefined);
    if (chosen) return chosen;
    const what = transform === 'window' ? `Windowed aggregation '${field}'` : `Field '${field}' (${transform})`;
    throw invalidQuery(
      `${what} requires an unambiguous time dimension. Add a single time_dimensions entry, ` +
        'or set main_time_dimension to select among multiple time dimensions.',
    );
  }

  private layerOf(template: SqlTemplate): number {
    return Math.max(0, ...slotsOf(template).map((slot) => this.transforms.get(slot)?.layer ?? 0));
  }

  private addTransform(slot: (WindowTransform | ShiftTransform) & { layer: number }): SqlTemplate {
    const id = `t${this.transforms.size + 1}`;
    this.transforms.set(id, { ...slot, id });
    return [{ slot: id }];
  }

  /** A transform call becomes a column of a layer above what it reads; change/change_pct desugar to a shift. */
  private transformSlot(call: Call, chain: readonly string[]): SqlTemplate {
    const ctx = this.aggregateContext(chain);
    const operand = transformOperand(call);
    checkTransformArguments(call, this.compiling.text);
    const arg = compileExpr(operand, ctx);
    const field = this.currentField ?? `${call.name}(...)`;
    const grain = (): TimeGranularity => this.transformTime(field, call.name).granularity ?? 'day';
    if (TIME_ORDERED.has(call.name)) this.transformTime(field, call.name);
    switch (call.name) {
      case 'time_shift': {
        const { amount, granularity } = shiftOf(call, grain());
        return this.shiftSlot(arg, amount, granularity, call.name, operand);
      }
      case 'change': {
        const { amount, granularity } = shiftOf(call, grain());
        const previous = this.shiftSlot(arg, amount, granularity, call.name, operand);
        return sql('(', arg, ' - ', previous, ')');
      }
      case 'change_pct': {
        const { amount, granularity } = shiftOf(call, grain());
        const previous = this.shiftSlot(arg, amount, granularity, call.name, operand);
        return sql('CASE WHEN ', previous, ' <> 0 THEN (', arg, ' - ', previous, ') / ', previous, ' END');
      }
      default:
        return this.windowSlot(call, arg);
    }
  }

  private shiftSlot(
    arg: SqlTemplate,
    amount: number,
    granularity: TimeGranularity,
    name: string,
    operand: Expr,
  ): SqlTemplate {
    if (slotsOf(arg).some((slot) => !this.localSlots.has(slot))) {
      // SLayer refuses a self-join transform directly around another, in these words.
      const nested = operand.kind === 'call' && SELF_JOIN_TRANSFORMS.has(operand.name) ? operand.name : undefined;
      if (nested !== undefined && (name !== 'time_shift' || nested === 'time_shift')) {
        throw invalidQuery(
          `Nesting '${name}' around '${nested}' is not supported. Both use self-join CTEs. Try wrapping with a ` +
            'window function instead (e.g., cumsum, lag).',
        );
      }
      throw invalidQuery(
        `${name} reads aggregates of this model only: it cannot wrap a window transform or a cross-model measure.`,
      );
    }
    return this.addTransform({ kind: 'time_shift', arg, amount, granularity, layer: 1 });
  }

  private windowSlot(call: Call, arg: SqlTemplate): SqlTemplate {
    const kind = call.name as WindowKind;
    const layer = this.layerOf(arg) + (kind === 'consecutive_periods' ? 2 : 1);
    const base = { kind, arg, layer };
    if (kind === 'lag' || kind === 'lead') return this.addTransform({ ...base, n: offsetOf(call) });
    if (kind === 'ntile') {
      const n = bucketsOf(call, this.compiling.text);
      return this.addTransform({ ...base, n, partitionKeys: this.partitionKeys(call) });
    }
    if (RANK_TRANSFORMS.has(kind)) return this.addTransform({ ...base, partitionKeys: this.partitionKeys(call) });
    return this.addTransform(base);
  }

  /** partition_by= names query dimensions; SLayer rejects anything else. */
  private partitionKeys(call: Call): string[] {
    return partitionNames(call).map((parts) => {
      const key = this.keyFor(parts);
      const match = this.dimensions.find((d) => d.key === key);
      if (!match) {
        const available = [...new Set(this.dimensions.flatMap((d) => [d.key, d.parts[d.parts.length - 1] ?? '']))];
        throw invalidQuery(
          `Transform '${call.name}': partition_by column '${parts.join('.')}' is not a query dimension. Add it to ` +
            `dimensions/time_dimensions, or choose one of: ${available.sort().join(', ') || '(none)'}.`,
        );
      }
      return match.key;
    });
  }

  // --- filters and order ------------------------------------------------------------------------

  private isMeasureName(name: string): boolean {
    return this.savedMeasure(name) !== undefined || this.measures.some((m) => m.key === `${this.keyRoot}.${name}`);
  }

  addFilter(filter: string, variables: Variables): void {
    const text = substituteVariables(filter, variables);
    const expr = parseOrThrow(text, 'filter');
    if (usesTransforms(expr) || usesAggregates(expr, (name) => this.isMeasureName(name))) {
      if (!this.grouped)
        throw invalidQuery(
          `distinct_dimension_values: false rejects measure references. Filter ${repr(text)} references a measure; ` +
            'raw rows have no groups to aggregate over, so filters may only use columns.',
        );
      this.compiling = { role: 'filter', text };
      const template = this.compileOrExplain(expr, text, `Filter '${text}'`);
      // Over plain aggregates: HAVING. Over transforms or cross-model values: a post-filter on the outer layer.
      if (slotsOf(template).every((slot) => this.localSlots.has(slot) || isDimensionSlot(slot))) {
        this.having.push(template);
      } else this.post.push(template);
      return;
    }
    const template = this.compileOrExplain(expr, text, `Filter '${text}'`, this.rowCtx({ kind: 'filter', text }));
    this.where.push(render(template, () => ''));
    this.rowFilters.push({ expr, text });
  }

  addOrder(column: string, direction: 'asc' | 'desc'): void {
    const field = this.findField(column);
    if (field) {
      this.order.push({ template: [], key: field, direction });
      return;
    }
    const expr = parseOrThrow(column, 'formula', `Order '${column}'`);
    // A grouped query is ordered per group, so its order may read aggregates and dimensions, never raw rows.
    this.compiling = { role: 'order', text: column };
    const template = this.grouped
      ? this.compileOrExplain(expr, column, `Order '${column}'`)
      : this.compileOrExplain(expr, column, `Order '${column}'`, this.rowCtx({ kind: 'formula', text: column }));
    this.order.push({ template, direction });
  }

  /**
   * An order item names a result column by its short alias, its key, or its
   * formula; as in SLayer, `count` also finds `*:count`'s `_count`.
   */
  private findField(column: string): string | undefined {
    const all = [...this.dimensions, ...this.measures];
    const keys = [column, `${this.keyRoot}.${column}`, `${this.keyRoot}.${publicFieldName(column)}`];
    if (/^\w+$/.test(column)) keys.push(`${this.keyRoot}._${column}`);
    for (const key of keys) {
      const found = all.find((field) => field.key === key);
      if (found) return found.key;
    }
    return undefined;
  }

  private checkRawRows(query: QueryDef): void {
    const measures = (query.measures ?? []).length;
    if (measures > 0) throw invalidQuery(rawRowsWithMeasures(measures));
    if (this.dimensions.length === 0) throw invalidQuery(RAW_ROWS_WITHOUT_COLUMNS);
  }

  // --- first/last ranking -----------------------------------------------------------------------

  /** SLayer's choice of time column for :first/:last without an explicit one. */
  private defaultRankTime(spec: AggregateSpec): string {
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
    const column = spec.column?.name ?? '*';
    throw invalidQuery(
      `Aggregation '${spec.aggregation}' on measure '${column}' requires a time column. Add a time dimension, ` +
        `use an explicit arg (e.g., '${column}:${spec.aggregation}(time_col)'), or set default_time_dimension on the model.`,
    );
  }

  rankColumn(spec: AggregateSpec): string {
    const timeArg = spec.args[0];
    const orderSql = timeArg
      ? this.scope.resolveColumn([...spec.table.path, ...timeArg.split('.')]).sql
      : this.defaultRankTime(spec);
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
    const layered = this.crossSlots.size > 0 || this.transforms.size > 0 || this.windowedSlots.size > 0;
    const sqlText = layered ? this.layeredSql() : this.singleSelectSql();
    return { sql: sqlText, fields };
  }

  private aggregateSqlOf(slot: string): string {
    const dimension = this.dimensionOfSlot(slot);
    if (dimension) return dimension.sql;
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
    lines.push(...this.whereLines());
    const aggregated = this.measures.length > 0 || this.having.length > 0;
    if (this.dimensions.length > 0 && (aggregated || this.grouped)) lines.push(`GROUP BY ${this.groupBy().join(', ')}`);
    if (this.having.length > 0) {
      lines.push(
        `HAVING ${this.having.map((h) => `(${render(h, (slot) => this.aggregateSqlOf(slot))})`).join(' AND ')}`,
      );
    }
    lines.push(
      ...this.orderAndPage(
        (slot) => this.aggregateSqlOf(slot),
        (d) => d.sql,
      ),
    );
    return lines.join('\n');
  }

  /** The SELECT expression behind a result column, in the SELECT that `renderSlot` renders for. */
  private expressionOfKey(
    key: string,
    renderSlot: (slot: string) => string,
    dimensionSql: (d: PlannedDimension) => string,
  ): string | undefined {
    const dimension = this.dimensions.find((d) => d.key === key);
    if (dimension) return dimensionSql(dimension);
    const measure = this.measures.find((m) => m.key === key);
    return measure ? render(measure.template, renderSlot) : undefined;
  }

  private orderAndPage(renderSlot: (slot: string) => string, dimensionSql: (d: PlannedDimension) => string): string[] {
    const lines: string[] = [];
    if (this.order.length > 0) {
      const items = this.order.map((item) => {
        // SLayer sorts NULLs last in either direction on every dialect (and a limit then keeps the same rows).
        if (item.key === undefined) return this.dialect.orderTerm(render(item.template, renderSlot), item.direction);
        // A column is sorted by its name; where NULLs must be tested apart, the test reads its expression.
        const value = this.expressionOfKey(item.key, renderSlot, dimensionSql);
        return this.dialect.orderTerm(quoted(this.dialect, item.key), item.direction, value);
      });
      lines.push(`ORDER BY ${items.join(', ')}`);
    }
    lines.push(...this.dialect.limitAndOffset(this.limit, this.offset, this.order.length > 0));
    return lines;
  }

  /** FROM with joins; when :first/:last are used, the root rows carry ROW_NUMBER columns per group. */
  private fromWithRanks(shift?: { amount: number; granularity: TimeGranularity }): string {
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
    const where = this.whereLines(shift)
      .map((line) => `\n${line}`)
      .join('');
    const ranked = `(SELECT ${this.scope.root.alias}.*, ${rankSelect.join(', ')}\n${plain}${where})`;
    return plain.replace(/^FROM .*? AS (\w+)$/m, (_line, alias: string) => `FROM ${ranked} AS ${alias}`);
  }

  /**
   * Stacked layers: `_base` (dimensions and aggregates), one CTE per
   * cross-model aggregate joined on shared dimensions, then one layer per
   * depth of transforms (a transform reads the layer below it), and the
   * outer SELECT with post-filters, order and paging.
   */
  private layeredSql(): string {
    const q = (name: string): string => quoted(this.dialect, name);
    const ctes: string[] = [`_base AS (\n${this.baseCte()}\n)`];
    const crossColumns = this.crossLayer(ctes);
    let previous = crossColumns > 0 ? '_l0' : '_base';
    if ([...this.transforms.values()].some((t) => t.kind === 'time_shift')) ctes.push(...this.shiftBaseCtes());
    const maxLayer = Math.max(0, ...[...this.transforms.values()].map((t) => t.layer));
    for (let layer = 1; layer <= maxLayer; layer++) {
      const name = `_l${layer}`;
      ctes.push(`${name} AS (\n${this.transformLayer(layer, previous)}\n)`);
      previous = name;
    }
    const slotSql = (slot: string): string => `${previous}.${q(this.columnOfSlot(slot))}`;
    const select = [
      ...this.dimensions.map((d) => `${previous}.${q(d.key)} AS ${q(d.key)}`),
      ...this.measures.map((m) => `${render(m.template, slotSql)} AS ${q(m.key)}`),
    ];
    const lines = [`WITH ${ctes.join(',\n')}`, `SELECT ${select.join(', ')}`, `FROM ${previous}`];
    if (this.post.length > 0) lines.push(`WHERE ${this.post.map((p) => `(${render(p, slotSql)})`).join(' AND ')}`);
    lines.push(...this.orderAndPage(slotSql, (d) => `${previous}.${q(d.key)}`));
    return lines.join('\n');
  }

  private dimensionOfSlot(slot: string): PlannedDimension | undefined {
    if (!isDimensionSlot(slot)) return undefined;
    return this.dimensions.find((d) => d.key === slot.slice(DIMENSION_SLOT.length));
  }

  /** Where a slot's value lives in the layers: aggregates, cross-model values and transforms by prefix. */
  private columnOfSlot(slot: string): string {
    const dimension = this.dimensionOfSlot(slot);
    if (dimension) return dimension.key;
    if (this.transforms.has(slot)) return `_t.${slot}`;
    if (this.crossSlots.has(slot)) return `_cm.${slot}`;
    if (this.windowedSlots.has(slot)) return `_wm.${slot}`;
    return this.hiddenAlias(slot);
  }

  /**
   * `_l0`: the base with every cross-model and windowed value joined on, by
   * plain equality as SLayer joins them (a NULL dimension gets none). Returns
   * how many were joined.
   */
  private crossLayer(ctes: string[]): number {
    const q = (name: string): string => quoted(this.dialect, name);
    const columns: string[] = [];
    const joins: string[] = [];
    let index = 0;
    for (const [id, cross] of this.crossSlots) {
      index++;
      const name = `_cm_${index}`;
      const { sql: cteSql, sharedKeys } = this.crossCte(cross);
      ctes.push(`${name} AS (\n${cteSql}\n)`);
      columns.push(`${name}.${q('_value')} AS ${q(this.columnOfSlot(id))}`);
      const on = sharedKeys.map((key) => `_base.${q(key)} = ${name}.${q(key)}`);
      joins.push(on.length > 0 ? `LEFT JOIN ${name} ON ${on.join(' AND ')}` : `CROSS JOIN ${name}`);
    }
    for (const [id, windowed] of this.windowedSlots) {
      index++;
      const name = `_wm_${index}`;
      ctes.push(`${name} AS (\n${this.windowedCte(windowed)}\n)`);
      columns.push(`${name}.${q('_value')} AS ${q(this.columnOfSlot(id))}`);
      const on = this.dimensions.map((d) => `_base.${q(d.key)} = ${name}.${q(d.key)}`);
      joins.push(on.length > 0 ? `LEFT JOIN ${name} ON ${on.join(' AND ')}` : `CROSS JOIN ${name}`);
    }
    if (columns.length > 0)
      ctes.push(`_l0 AS (\nSELECT _base.*, ${columns.join(', ')}\nFROM _base\n${joins.join('\n')}\n)`);
    return columns.length;
  }

  /**
   * SLayer's windowed aggregation: for every output row, the raw rows of the
   * same dimensions whose time falls in [bucket end - window, bucket end).
   * The date range does not limit the window: it reaches back before it.
   */
  private windowedCte(windowed: { spec: AggregateSpec; parts: DurationPart[]; timeKey: string }): string {
    const q = (name: string): string => quoted(this.dialect, name);
    const time = this.dimensions.find((d) => d.key === windowed.timeKey);
    if (!time?.granularity) throw invalidQuery('A windowed aggregation needs its time dimension.');
    const { spec } = windowed;
    const raw = spec.column ? this.scope.columnSql(spec.table, spec.column) : '1';
    const filterSql = spec.column?.filter ? this.scope.qualifySnippet(spec.table, spec.column.filter) : undefined;
    const value = filterSql ? `CASE WHEN ${filterSql} THEN ${raw} END` : raw;
    const others = this.dimensions.filter((d) => d !== time);
    const sourceColumns = [
      ...others.map((d, i) => `${d.sql} AS _w_dim_${i}`),
      `${this.dialect.timeValue(this.scope.resolveColumn(time.parts).sql)} AS _w_time`,
      `${value} AS _w_value`,
    ];
    const source = [`SELECT ${sourceColumns.join(', ')}`, this.scope.fromClause(), ...this.rowWhereLines()].join('\n');
    const bucketEnd = this.dialect.shiftBucket(`_base.${q(time.key)}`, 1, time.granularity);
    const lower = this.dialect.subtractDuration(bucketEnd, windowed.parts);
    const on = [
      ...others.map((d, i) => `_src._w_dim_${i} = _base.${q(d.key)}`),
      `_src._w_time >= ${lower}`,
      `_src._w_time < ${bucketEnd}`,
    ];
    const keys = this.dimensions.map((d) => `_base.${q(d.key)}`);
    return [
      `SELECT ${[...keys, `${spec.aggregation.toUpperCase()}(_src._w_value) AS ${q('_value')}`].join(', ')}`,
      'FROM _base',
      `LEFT JOIN (\n${source}\n) AS _src ON ${on.join(' AND ')}`,
      ...(keys.length > 0 ? [`GROUP BY ${keys.join(', ')}`] : []),
    ].join('\n');
  }

  /** One base per shift, its date ranges moved by the shift, so a lookup can reach outside the result's range. */
  private shiftBaseCtes(): string[] {
    return [...this.transforms.values()].flatMap((t) =>
      t.kind === 'time_shift'
        ? [`_shift_${t.id} AS (\n${this.baseCte({ amount: t.amount, granularity: t.granularity })}\n)`]
        : [],
    );
  }

  private transformLayer(layer: number, previous: string): string {
    const q = (name: string): string => quoted(this.dialect, name);
    const slotSql = (slot: string): string => `${previous}.${q(this.columnOfSlot(slot))}`;
    const time = (field: string, name: string): string => `${previous}.${q(this.transformTime(field, name).key)}`;
    const items: string[] = [];
    const joins: string[] = [];
    for (const t of this.transforms.values()) {
      const arg = render(t.arg, slotSql);
      const timeKey = TIME_ORDERED.has(t.kind) ? this.transformTime(`${t.kind}(...)`, t.kind).key : undefined;
      // SLayer partitions time-ordered transforms by the query's non-time dimensions.
      const others = this.dimensions.filter((d) => d.granularity === undefined).map((d) => `${previous}.${q(d.key)}`);
      if (t.kind === 'consecutive_periods' && t.layer === layer + 1) {
        const stages = consecutiveStages(
          { arg, partition: others, time: time('consecutive_periods(...)', t.kind) },
          q(`_cp.${t.id}.flag`),
          q(`_cp.${t.id}.run`),
        );
        items.push(...stages.first);
      }
      if (t.layer !== layer) continue;
      if (t.kind === 'time_shift') {
        const shifted = `_s_${t.id}`;
        const on = [
          `${shifted}.${q(timeKey ?? '')} = ${this.dialect.shiftBucket(`${previous}.${q(timeKey ?? '')}`, t.amount, t.granularity)}`,
          ...this.dimensions
            .filter((d) => d.granularity === undefined)
            .map((d) => `${shifted}.${q(d.key)} = ${previous}.${q(d.key)}`),
        ];
        joins.push(`LEFT JOIN _shift_${t.id} AS ${shifted} ON ${on.join(' AND ')}`);
        items.push(
          `${render(t.arg, (slot) => `${shifted}.${q(this.hiddenAlias(slot))}`)} AS ${q(this.columnOfSlot(t.id))}`,
        );
      } else if (t.kind === 'consecutive_periods') {
        const stages = consecutiveStages(
          { arg, partition: others, time: time('consecutive_periods(...)', t.kind) },
          `${previous}.${q(`_cp.${t.id}.flag`)}`,
          `${previous}.${q(`_cp.${t.id}.run`)}`,
        );
        items.push(`${stages.second} AS ${q(this.columnOfSlot(t.id))}`);
      } else {
        const rankFamily = RANK_TRANSFORMS.has(t.kind);
        const partition = rankFamily ? (t.partitionKeys ?? []).map((k) => `${previous}.${q(k)}`) : others;
        const timeSql = timeKey ? `${previous}.${q(timeKey)}` : undefined;
        items.push(`${windowSql(t, { arg, partition, time: timeSql }, this.dialect)} AS ${q(this.columnOfSlot(t.id))}`);
      }
    }
    return [`SELECT ${[`${previous}.*`, ...items].join(', ')}`, `FROM ${previous}`, ...joins].join('\n');
  }

  private hiddenAlias(slot: string): string {
    return `_agg.${slot}`;
  }

  /** WHERE without the date ranges: what a trailing window reads. */
  private rowWhereLines(): string[] {
    return this.where.length > 0 ? [`WHERE ${this.where.map((w) => `(${w})`).join(' AND ')}`] : [];
  }

  /** WHERE: date ranges (moved by `shift` granules for a shifted self-join) and row filters. */
  private whereLines(shift?: { amount: number; granularity: TimeGranularity }): string[] {
    const literal = (text: string): string =>
      shift
        ? this.dialect.shiftBucket(this.dialect.stringLiteral(text), shift.amount, shift.granularity)
        : this.dialect.timeLiteral(text);
    const ranges = this.dateRanges.map(
      (r) => `${this.dialect.timeValue(r.sql)} BETWEEN ${literal(r.start)} AND ${literal(r.end)}`,
    );
    const all = [...ranges, ...this.where];
    return all.length > 0 ? [`WHERE ${all.map((w) => `(${w})`).join(' AND ')}`] : [];
  }

  private baseCte(shift?: { amount: number; granularity: TimeGranularity }): string {
    const localIds = new Set(this.localSlots.keys());
    const select = [
      ...this.dimensions.map((d) => `${d.sql} AS ${quoted(this.dialect, d.key)}`),
      ...[...localIds].map((id) => `${this.aggregateSqlOf(id)} AS ${quoted(this.dialect, this.hiddenAlias(id))}`),
    ];
    if (select.length === 0) select.push('1 AS _one');
    const lines = [`SELECT ${select.join(', ')}`, this.fromWithRanks(shift)];
    lines.push(...this.whereLines(shift));
    if (this.dimensions.length > 0) lines.push(`GROUP BY ${this.groupBy().join(', ')}`);
    if (this.having.length > 0) {
      lines.push(
        `HAVING ${this.having.map((h) => `(${render(h, (slot) => this.aggregateSqlOf(slot))})`).join(' AND ')}`,
      );
    }
    if (this.dimensions.length === 0 && localIds.size === 0) lines.push('LIMIT 1');
    return lines.join('\n');
  }

  /**
   * A cross-model aggregate re-rooted on its own model (SLayer's "re-rooted
   * sub-query"): it is grouped by the query's dimensions that the target can
   * reach through its own joins, including a join back to the source, and
   * joined back on them; the dimensions it cannot reach drop, so the value is
   * the target's own grain. Every filter of the query applies inside it, or
   * the query is refused (see CrossPlacement). That is what keeps a
   * customer's score from being counted once per order.
   */
  private crossCte(cross: CrossSlot): { sql: string; sharedKeys: string[] } {
    const target = targetWithJoinBack(this.model, cross.path, this.scope.modelAt(cross.path));
    const placement = new CrossPlacement(this.model, cross.path, target, this.catalog);
    const measure = crossFormula(cross);
    const sub = new Planner(target, target.name, this.catalog, this.dialect, this.today);
    const sharedKeys: string[] = [];
    for (const dimension of this.dimensions) {
      const placed = placement.place(dimension.parts);
      if (!placed) continue;
      const ref: ColumnRefDef = {
        name: placed[placed.length - 1] ?? '',
        ...(placed.length > 1 ? { model: placed.slice(0, -1).join('.') } : {}),
      };
      if (dimension.granularity) sub.addTimeDimension(ref, dimension.granularity, undefined, undefined, dimension.key);
      else sub.addDimension(ref, dimension.key);
      sharedKeys.push(dimension.key);
    }
    for (const filter of target.filters) sub.where.push(sub.scope.qualifySnippet(sub.scope.root, filter));
    this.placeModelFilters(sub, placement, measure);
    for (const filter of this.rowFilters) {
      const what = `Filter '${filter.text}'`;
      const placed = placement.placeExpr(filter.expr);
      if ('unreachable' in placed) throw placement.unplaceableFilter(what, filter.text, measure, placed.unreachable);
      const ctx = sub.rowCtx({ kind: 'filter', text: filter.text });
      sub.where.push(render(sub.compileOrExplain(placed.placed, filter.text, what, ctx), () => ''));
    }
    this.placeDateRanges(sub, placement, measure);
    const template = sub.slotFor(cross.ref);
    sub.measures.push({ key: '_value', kind: 'measure', template });
    return { sql: sub.singleSelectSql(), sharedKeys };
  }

  /** The source model's own filters hold for the cross-model sub-query too, read through the target's join back. */
  private placeModelFilters(sub: Planner, placement: CrossPlacement, measure: string): void {
    if (this.model.filters.length === 0) return;
    const what = `Filter '${this.model.filters[0] ?? ''}' of model '${this.model.name}'`;
    if (!placement.joinsBackToRoot()) throw placement.unplaceableFilter(what, this.model.filters[0] ?? '', measure);
    const rootSeenFromTarget = sub.scope.reach(sub.scope.root, [this.model.name]);
    for (const filter of this.model.filters) sub.where.push(sub.scope.qualifySnippet(rootSeenFromTarget, filter));
  }

  /** A time dimension's date_range is a filter like any other: applied inside, or the query is refused. */
  private placeDateRanges(sub: Planner, placement: CrossPlacement, measure: string): void {
    for (const range of this.query?.time_dimensions ?? []) {
      if (!range.date_range || range.date_range.length !== 2) continue;
      const parts = this.refParts(range.dimension);
      const placed = placement.place(parts);
      const [start = '', end = ''] = range.date_range;
      if (!placed) {
        const text = `${parts.join('.')} BETWEEN '${start}' AND '${end}'`;
        throw placement.unplaceableFilter(`date_range of '${parts.join('.')}'`, text, measure);
      }
      sub.dateRanges.push({ sql: sub.scope.resolveColumn(placed).sql, start, end });
    }
  }
}

/** How the user wrote a cross-model aggregate, for messages: `policy_amount.total_policy_amount:sum`. */
function crossFormula(cross: CrossSlot): string {
  const leaf = cross.ref.target === '*' ? '*' : cross.ref.target.join('.');
  return `${[...cross.path, leaf].join('.')}:${cross.ref.aggregation}`;
}

/** Transforms SLayer computes with a self-join CTE (change and change_pct desugar to time_shift). */
const SELF_JOIN_TRANSFORMS: ReadonlySet<string> = new Set(['time_shift', 'change', 'change_pct']);

/** A template slot that stands for a query dimension, read per group. */
const DIMENSION_SLOT = 'dim:';

function isDimensionSlot(slot: string): boolean {
  return slot.startsWith(DIMENSION_SLOT);
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
