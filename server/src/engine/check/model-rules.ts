import { DiagnosticCode } from '../../../../shared/src/diagnostics';
import { pyList } from '../query/errors';
import type { Path } from '../schema/decode';
import { CURRENT_MODEL_VERSION, type ModelDef } from '../schema/types';
import { suggestName } from '../suggest';
import {
  BUILTIN_AGGREGATIONS,
  DEFAULT_AGGREGATIONS_BY_TYPE,
  PRIMARY_KEY_AGGREGATIONS,
  TIME_TYPES,
} from '../vocabulary';
import type { CheckContext } from './context';
import { bareNames, checkFormulaReferences, parseAt } from './formula-rules';
import { checkQueryStages } from './query-rules';
import { checkSqlModePredicate } from './sql-mode';

/** Every rule SLayer applies to a model, plus the cross-file ones (data sources, joins) it applies at load time. */
export function checkModel(model: ModelDef, path: Path, ctx: CheckContext): void {
  checkVersion(model, path, ctx);
  checkSourceMode(model, path, ctx);
  checkQueryBackedFields(model, path, ctx);
  checkNamespace(model, path, ctx);
  checkAllowedAggregations(model, path, ctx);
  checkCustomAggregations(model, path, ctx);
  checkMeasures(model, path, ctx);
  checkFilters(model, path, ctx);
  checkDefaultTimeDimension(model, path, ctx);
  checkDataSource(model, path, ctx);
  checkJoins(model, path, ctx);
  if (model.source_queries) checkQueryStages(model.source_queries, [...path, 'source_queries'], ctx, model.name);
}

function checkVersion(model: ModelDef, path: Path, ctx: CheckContext): void {
  if (model.version === CURRENT_MODEL_VERSION) return;
  const span = ctx.at([...path, 'version']);
  if (model.version > CURRENT_MODEL_VERSION) {
    ctx.warning(
      DiagnosticCode.SchemaVersion,
      span,
      `Model version ${model.version} is newer than the version ${CURRENT_MODEL_VERSION} SLayer Studio knows; some fields may be reported as unknown.`,
    );
  } else {
    ctx.warning(
      DiagnosticCode.SchemaVersion,
      span,
      `Model version ${model.version} is older than ${CURRENT_MODEL_VERSION}; SLayer migrates it when it loads the file. This check assumes version ${CURRENT_MODEL_VERSION} fields.`,
    );
  }
}

function checkSourceMode(model: ModelDef, path: Path, ctx: CheckContext): void {
  if (model.source_queries?.length === 0) {
    ctx.error(
      DiagnosticCode.SourceExclusive,
      ctx.at([...path, 'source_queries']),
      `Model '${model.name}': source_queries cannot be an empty list; give one or more stages or remove the field.`,
    );
    return;
  }
  const populated = (['sql_table', 'sql', 'source_queries'] as const).filter((field) => {
    const value = model[field];
    return Array.isArray(value) ? value.length > 0 : Boolean(value);
  });
  if (populated.length === 1) return;
  const message =
    populated.length === 0
      ? `Model '${model.name}' must specify exactly one source: sql_table, sql, or source_queries (none specified).`
      : `Model '${model.name}' must specify exactly one source: sql_table, sql, or source_queries (got: ${populated.join(', ')}).`;
  const spans = populated.length === 0 ? [ctx.keyAt([...path, 'name'])] : populated.map((f) => ctx.keyAt([...path, f]));
  for (const span of spans) ctx.error(DiagnosticCode.SourceExclusive, span, message);
}

/** Query-backed models own columns/backing_query_sql as an engine-written cache; table-backed ones own data_source. */
function checkQueryBackedFields(model: ModelDef, path: Path, ctx: CheckContext): void {
  const queryBacked = Boolean(model.source_queries?.length);
  if (!queryBacked) {
    if (!model.data_source.trim()) {
      ctx.error(
        DiagnosticCode.MissingField,
        ctx.keyAt([...path, 'name']),
        `Model '${model.name}': 'data_source' must be a non-empty string naming one of the datasources.`,
      );
    }
    if (Object.keys(model.query_variables).length > 0) {
      ctx.error(
        DiagnosticCode.QueryVariablesNotQueryBacked,
        ctx.keyAt([...path, 'query_variables']),
        `query_variables only apply to query-backed models (models with source_queries); '${model.name}' reads ${model.sql_table ? 'a table' : 'SQL'}.`,
      );
    }
    if (model.backing_query_sql !== undefined) {
      ctx.warning(
        DiagnosticCode.EngineManagedField,
        ctx.keyAt([...path, 'backing_query_sql']),
        'backing_query_sql is an engine-managed cache of query-backed models; it has no effect here.',
      );
    }
    return;
  }
  // A cache always comes with backing_query_sql; columns without it were written by hand.
  if (model.columns.length > 0 && model.backing_query_sql === undefined) {
    ctx.error(
      DiagnosticCode.EngineManagedField,
      ctx.keyAt([...path, 'columns']),
      `Model '${model.name}' is query-backed: its columns are generated from source_queries and must not be written by hand. Remove 'columns'; SLayer fills them in.`,
    );
  }
  model.columns.forEach((column, i) => {
    const handWritten = (['filter', 'allowed_aggregations'] as const).filter((field) => column[field] !== undefined);
    for (const field of handWritten) {
      ctx.error(
        DiagnosticCode.EngineManagedField,
        ctx.keyAt([...path, 'columns', i, field]),
        `Columns of query-backed model '${model.name}' are generated; '${field}' cannot be set on them. Define it in a source query instead.`,
      );
    }
  });
}

function checkNamespace(model: ModelDef, path: Path, ctx: CheckContext): void {
  const seenColumns = new Map<string, number>();
  model.columns.forEach((column, i) => {
    if (seenColumns.has(column.name)) {
      ctx.error(
        DiagnosticCode.DuplicateName,
        ctx.at([...path, 'columns', i, 'name']),
        `Model '${model.name}': duplicate column names: ['${column.name}']. Each column name must be unique within a model.`,
      );
    }
    seenColumns.set(column.name, i);
  });
  const seenMeasures = new Set<string>();
  model.measures.forEach((measure, i) => {
    const measurePath = [...path, 'measures', i];
    if (measure.name === undefined) {
      ctx.error(
        DiagnosticCode.MissingField,
        ctx.at(measurePath),
        `Model '${model.name}': every ModelMeasure in 'measures' must have a name. Unnamed formulas: ['${measure.formula}'].`,
      );
      return;
    }
    if (seenMeasures.has(measure.name)) {
      ctx.error(
        DiagnosticCode.DuplicateName,
        ctx.at([...measurePath, 'name']),
        `Model '${model.name}': duplicate measure names: ['${measure.name}']. Each named ModelMeasure must have a unique name within a model.`,
      );
    }
    seenMeasures.add(measure.name);
    if (seenColumns.has(measure.name)) {
      ctx.error(
        DiagnosticCode.NameClash,
        ctx.at([...measurePath, 'name']),
        `Model '${model.name}': name collision between columns and measures: ['${measure.name}']. Each name must be unique within a model (columns and measures share a namespace).`,
      );
    }
  });
}

function checkAllowedAggregations(model: ModelDef, path: Path, ctx: CheckContext): void {
  const custom = new Set(model.aggregations.map((a) => a.name));
  model.columns.forEach((column, ci) => {
    column.allowed_aggregations?.forEach((aggregation, ai) => {
      const span = ctx.at([...path, 'columns', ci, 'allowed_aggregations', ai]);
      if (!BUILTIN_AGGREGATIONS.has(aggregation) && !custom.has(aggregation)) {
        const named = suggestName(aggregation, [...BUILTIN_AGGREGATIONS, ...custom]);
        ctx.error(
          DiagnosticCode.UnknownAggregation,
          span,
          `Column '${column.name}': allowed_aggregations contains '${aggregation}', which is not a built-in aggregation or defined in this model's aggregations.${named.hint} Valid: ${pyList([...BUILTIN_AGGREGATIONS, ...custom].sort())}.`,
          named.suggestion,
        );
        return;
      }
      if (column.primary_key) {
        if (!PRIMARY_KEY_AGGREGATIONS.has(aggregation)) {
          ctx.error(
            DiagnosticCode.AggregationNotAllowed,
            span,
            `Column '${column.name}': '${aggregation}' is not allowed on a primary-key column. PK columns can only be aggregated with ${pyList([...PRIMARY_KEY_AGGREGATIONS].sort())}.`,
          );
        }
        return;
      }
      const customOnly = custom.has(aggregation) && !BUILTIN_AGGREGATIONS.has(aggregation);
      if (!customOnly && !DEFAULT_AGGREGATIONS_BY_TYPE[column.type].has(aggregation)) {
        ctx.error(
          DiagnosticCode.AggregationNotAllowed,
          span,
          `Column '${column.name}': aggregation '${aggregation}' is not applicable to ${column.type} columns. allowed_aggregations must be a subset of the type-default set ${pyList([...DEFAULT_AGGREGATIONS_BY_TYPE[column.type]].sort())} (plus any custom aggregations defined on this model).`,
        );
      }
    });
  });
}

function checkCustomAggregations(model: ModelDef, path: Path, ctx: CheckContext): void {
  const seen = new Set<string>();
  model.aggregations.forEach((aggregation, i) => {
    const aggPath = [...path, 'aggregations', i];
    if (seen.has(aggregation.name)) {
      ctx.error(
        DiagnosticCode.DuplicateName,
        ctx.at([...aggPath, 'name']),
        `Duplicate aggregation name '${aggregation.name}'.`,
      );
    }
    seen.add(aggregation.name);
    if (!BUILTIN_AGGREGATIONS.has(aggregation.name) && aggregation.formula === undefined) {
      ctx.error(
        DiagnosticCode.CustomAggregationFormula,
        ctx.at([...aggPath, 'name']),
        `Aggregation '${aggregation.name}' is not a built-in aggregation; a 'formula' is required (an SQL template using {value}). Built-in aggregations: ${[...BUILTIN_AGGREGATIONS].sort().join(', ')}.`,
      );
    }
  });
}

function checkMeasures(model: ModelDef, path: Path, ctx: CheckContext): void {
  const graph = new Map<string, string[]>();
  const measureNames = new Set(model.measures.flatMap((m) => (m.name ? [m.name] : [])));
  model.measures.forEach((measure, i) => {
    const formulaPath = [...path, 'measures', i, 'formula'];
    const expr = parseAt(measure.formula, formulaPath, ctx, 'formula');
    if (!expr) return;
    checkFormulaReferences(expr, formulaPath, { model, source: { kind: 'formula', text: measure.formula } }, ctx);
    if (measure.name) {
      graph.set(
        measure.name,
        bareNames(expr).flatMap((ref) => (measureNames.has(ref.path[0] ?? '') ? [ref.path[0] ?? ''] : [])),
      );
    }
  });
  reportCycles(graph, model, path, ctx);
}

/** Named measures expand into each other; a cycle would expand forever, so SLayer rejects it with the chain. */
function reportCycles(graph: Map<string, string[]>, model: ModelDef, path: Path, ctx: CheckContext): void {
  const reported = new Set<string>();
  for (const start of graph.keys()) {
    const chain = findCycle(start, graph);
    if (!chain || reported.has(start)) continue;
    for (const name of chain) reported.add(name);
    for (const name of new Set(chain)) {
      const index = model.measures.findIndex((m) => m.name === name);
      // SLayer names the measure the expansion returns to, with the chain from it.
      const from = chain.indexOf(name);
      const text = [...chain.slice(from), ...chain.slice(0, from), name].join(' → ');
      ctx.error(
        DiagnosticCode.MeasureCycle,
        ctx.at([...path, 'measures', index, 'formula']),
        `Saved measure '${name}' has a cyclic reference: ${text}.`,
      );
    }
  }
}

function findCycle(start: string, graph: Map<string, string[]>): string[] | undefined {
  const stack: string[] = [];
  const onStack = new Set<string>();
  const done = new Set<string>();
  const visit = (node: string): string[] | undefined => {
    if (onStack.has(node)) return stack.slice(stack.indexOf(node));
    if (done.has(node)) return undefined;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    onStack.delete(node);
    done.add(node);
    return undefined;
  };
  const cycle = visit(start);
  return cycle && cycle[0] === start ? cycle : undefined;
}

function checkFilters(model: ModelDef, path: Path, ctx: CheckContext): void {
  model.filters.forEach((filter, i) => checkSqlModePredicate(filter, [...path, 'filters', i], ctx, 'A model filter'));
  model.columns.forEach((column, i) => {
    if (column.filter !== undefined) {
      checkSqlModePredicate(
        column.filter,
        [...path, 'columns', i, 'filter'],
        ctx,
        `The filter of column '${column.name}'`,
      );
    }
  });
}

function checkDefaultTimeDimension(model: ModelDef, path: Path, ctx: CheckContext): void {
  const name = model.default_time_dimension;
  if (name === undefined || model.source_queries?.length) return;
  const column = model.columns.find((c) => c.name === name);
  const span = ctx.at([...path, 'default_time_dimension']);
  if (!column) {
    const named = suggestName(
      name,
      model.columns.map((c) => c.name),
    );
    ctx.error(
      DiagnosticCode.UnknownReference,
      span,
      `default_time_dimension '${name}' is not a column of '${model.name}'.${named.hint}`,
      named.suggestion,
    );
  } else if (!TIME_TYPES.has(column.type)) {
    ctx.warning(
      DiagnosticCode.InvalidValue,
      span,
      `default_time_dimension '${name}' is a ${column.type} column, not DATE or TIMESTAMP.`,
    );
  }
}

function checkDataSource(model: ModelDef, path: Path, ctx: CheckContext): void {
  const name = model.data_source;
  if (!name || ctx.catalog.getDatasource(name)) return;
  const named = suggestName(name, ctx.catalog.dataSourceNames());
  ctx.error(
    DiagnosticCode.UnknownDataSource,
    ctx.at([...path, 'data_source']),
    `Datasource '${name}' not found for model '${model.name}': there is no datasources/${name}.yaml in this storage root.${named.hint}`,
    named.suggestion,
  );
}

function checkJoins(model: ModelDef, path: Path, ctx: CheckContext): void {
  model.joins.forEach((join, i) => {
    const joinPath = [...path, 'joins', i];
    if (!join.target_model) return;
    const target = ctx.catalog.getModel(join.target_model, model.data_source || undefined);
    if (!target) {
      const named = suggestName(join.target_model, ctx.catalog.modelNames());
      ctx.error(
        DiagnosticCode.UnknownModel,
        ctx.at([...joinPath, 'target_model']),
        `Model '${join.target_model}' not found.${named.hint}`,
        named.suggestion,
      );
    }
    join.join_pairs.forEach(([source, targetColumn], pi) => {
      checkJoinColumn(model, source, [...joinPath, 'join_pairs', pi, 0], ctx);
      if (target) checkJoinColumn(target, targetColumn, [...joinPath, 'join_pairs', pi, 1], ctx);
    });
  });
}

/**
 * A warning, not an error: SLayer falls back to the raw table column when a
 * join key is not declared. Query-backed models only know their columns once
 * the cache is filled, so they are not checked.
 */
function checkJoinColumn(model: ModelDef, column: string, path: Path, ctx: CheckContext): void {
  if (model.source_queries?.length && model.columns.length === 0) return;
  if (model.columns.some((c) => c.name === column)) return;
  const named = suggestName(
    column,
    model.columns.map((c) => c.name),
  );
  ctx.warning(
    DiagnosticCode.UnknownReference,
    ctx.at(path),
    `Column '${column}' is not declared on model '${model.name}'; the join uses it as a raw table column.${named.hint}`,
    named.suggestion,
  );
}
