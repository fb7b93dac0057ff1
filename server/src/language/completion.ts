import { resolveJoinPath, type ModelCatalog } from '../engine/catalog';
import { aggregationRefusal } from '../engine/check/formula-rules';
import { parseSlayerDocument, type ParsedDocument, type SlayerFileKind } from '../engine/document';
import { StageCatalog } from '../engine/query/stages';
import { dialectFor } from '../engine/sql/dialect';
import { DATASOURCE_FIELDS } from '../engine/schema/decode-datasource';
import {
  AGGREGATION_FIELDS,
  COLUMN_FIELDS,
  JOIN_FIELDS,
  MEASURE_FIELDS,
  MODEL_FIELDS,
} from '../engine/schema/decode-model';
import { ORDER_FIELDS, QUERY_FIELDS, TIME_DIMENSION_FIELDS } from '../engine/schema/decode-query';
import { DATA_TYPES, TIME_GRANULARITIES, type ColumnDef, type ModelDef, type QueryDef } from '../engine/schema/types';
import {
  AGGREGATION_DESCRIPTIONS,
  ALL_TRANSFORMS,
  BUILTIN_AGGREGATIONS,
  REQUIRED_AGGREGATION_PARAMS,
  SCALAR_FUNCTIONS,
} from '../engine/vocabulary';
import { cursorContext, enclosingSourceModel, type CursorContext } from './yaml-context';

export type CompletionKind =
  | 'model'
  | 'datasource'
  | 'column'
  | 'measure'
  | 'join'
  | 'aggregation'
  | 'transform'
  | 'function'
  | 'variable'
  | 'value'
  | 'key'
  | 'snippet';

export interface CompletionEntry {
  label: string;
  kind: CompletionKind;
  detail?: string;
  documentation?: string;
  /** Text to insert; a snippet (`${1}` placeholders) when `snippet` is set. */
  insertText: string;
  snippet: boolean;
  /** Lower sorts first: the names of the model come before the vocabulary. */
  rank: number;
}

export interface CompletionAnswer {
  items: CompletionEntry[];
  /** The characters the chosen item replaces: the partial word, after any `.` or `:`. */
  replace: { start: number; end: number };
}

export interface CompletionInput {
  kind: SlayerFileKind;
  text: string;
  offset: number;
  /** The model this file declares (model files), as the index last decoded it. */
  model: ModelDef | undefined;
  catalog: ModelCatalog;
}

/** Fields whose value is a formula or a name read against the query's (or model's) source model. */
const FORMULA_KEYS = new Set([
  'formula',
  'filters',
  'filter',
  'dimensions',
  'dimension',
  'column',
  'default_time_dimension',
  'main_time_dimension',
  'measures',
]);

/** Completion items for the cursor, from the index alone: no database, no disk. */
export function completeAt(input: CompletionInput): CompletionAnswer | undefined {
  const context = cursorContext(input.text, input.offset);
  if (!context) return undefined;
  const withModel =
    input.model || input.kind !== 'model' ? input : { ...input, model: parsedWithoutCursorLine(input).model };
  const scalarItem = context.kind === 'key' ? asScalarListItem(withModel, context) : undefined;
  if (scalarItem) return valueCompletion(withModel, scalarItem);
  if (context.kind === 'key') return keyCompletion(withModel, context);
  return valueCompletion(withModel, context);
}

/** Lists whose items are names or formulas, so `- sta` is a value being typed, not a key. */
const SCALAR_LISTS = new Set(['dimensions', 'filters', 'measures', 'allowed_aggregations']);

function asScalarListItem(
  input: CompletionInput,
  context: Extract<CursorContext, { kind: 'key' }>,
): Extract<CursorContext, { kind: 'value' }> | undefined {
  const list = context.parents[context.parents.length - 1];
  if (!context.listItem || list === undefined || !SCALAR_LISTS.has(list)) return undefined;
  // A model's own `measures` are mappings (`- name: ...`); a query's are formulas.
  if (list === 'measures' && input.kind === 'model' && context.parents.length === 1) return undefined;
  return {
    kind: 'value',
    key: list,
    parents: context.parents.slice(0, -1),
    typed: context.typed,
    typedStart: context.typedStart,
  };
}

/**
 * Half-typed text (`formula: amount:`) is often not valid YAML, and the index
 * then has no model for the file. The same text without what is being typed
 * on the cursor's line still is, and its model is what the names come from.
 */
function parsedWithoutCursorLine(input: CompletionInput): ParsedDocument {
  const lineStart = input.text.lastIndexOf('\n', input.offset - 1) + 1;
  const lineEnd = input.text.indexOf('\n', input.offset);
  const head = input.text.slice(lineStart, input.offset).replace(/:\s.*$/, ':');
  const repaired = input.text.slice(0, lineStart) + head + (lineEnd < 0 ? '' : input.text.slice(lineEnd));
  return parseSlayerDocument(input.kind, repaired, { warnOnUnknownFields: false });
}

// --- keys -----------------------------------------------------------------------------------------

function keyCompletion(input: CompletionInput, context: Extract<CursorContext, { kind: 'key' }>): CompletionAnswer {
  const replace = { start: context.typedStart, end: input.offset };
  const fields = fieldsAt(input.kind, context.parents);
  const items: CompletionEntry[] = [...fields].map((field) => ({
    label: field,
    kind: 'key',
    insertText: `${field}: `,
    snippet: false,
    rank: 0,
  }));
  const parent = context.parents[context.parents.length - 1];
  if (context.listItem && input.kind === 'model' && context.parents.length === 1 && parent !== undefined) {
    items.push(...itemSnippets(parent));
  }
  return { items, replace };
}

function fieldsAt(kind: SlayerFileKind, parents: readonly string[]): ReadonlySet<string> {
  const parent = parents[parents.length - 1];
  if (kind === 'datasource') return DATASOURCE_FIELDS;
  if (parent === undefined) return kind === 'model' ? MODEL_FIELDS : QUERY_FIELDS;
  if (parent === 'time_dimensions') return TIME_DIMENSION_FIELDS;
  if (parent === 'order') return ORDER_FIELDS;
  if (parent === 'source_queries') return QUERY_FIELDS;
  if (kind === 'model' && parents.length === 1) {
    const byList: Record<string, ReadonlySet<string>> = {
      columns: COLUMN_FIELDS,
      measures: MEASURE_FIELDS,
      joins: JOIN_FIELDS,
      aggregations: AGGREGATION_FIELDS,
    };
    return byList[parent] ?? new Set();
  }
  return new Set();
}

/** A whole new column, measure or join, typed at `- ` of its list. */
function itemSnippets(list: string): CompletionEntry[] {
  const snippet = (label: string, insertText: string): CompletionEntry => ({
    label,
    kind: 'snippet',
    insertText,
    snippet: true,
    rank: 1,
  });
  const types = DATA_TYPES.join(',');
  const lineBreak = '\n  ';
  switch (list) {
    case 'columns':
      return [snippet('new column', `name: \${1:name}${lineBreak}type: \${2|${types}|}`)];
    case 'measures':
      return [snippet('new measure', `name: \${1:name}${lineBreak}formula: \${2:column}:\${3:sum}`)];
    case 'joins':
      return [
        snippet(
          'new join',
          `target_model: \${1:model}${lineBreak}join_pairs:${lineBreak}  - [\${2:key}, \${3:id}]${lineBreak}join_type: \${4|left,inner|}`,
        ),
      ];
    default:
      return [];
  }
}

// --- values ---------------------------------------------------------------------------------------

function valueCompletion(
  input: CompletionInput,
  context: Extract<CursorContext, { kind: 'value' }>,
): CompletionAnswer | undefined {
  const whole = { start: context.typedStart, end: input.offset };
  const value = (labels: Iterable<string>, kind: CompletionKind): CompletionAnswer => ({
    items: [...labels].map((label) => ({ label, kind, insertText: label, snippet: false, rank: 0 })),
    replace: whole,
  });
  switch (context.key) {
    case 'source_model':
    case 'target_model':
    case 'source_name':
      return value(modelNames(input), 'model');
    case 'data_source':
      return value(input.catalog.dataSourceNames(), 'datasource');
    case 'granularity':
      return value(TIME_GRANULARITIES, 'value');
    case 'type':
      return context.parents[context.parents.length - 1] === 'columns' ? value(DATA_TYPES, 'value') : undefined;
    case 'join_type':
      return value(['left', 'inner'], 'value');
    case 'direction':
      return value(['asc', 'desc'], 'value');
    default:
      return FORMULA_KEYS.has(context.key) ? formulaCompletion(input, context) : undefined;
  }
}

function modelNames(input: CompletionInput): string[] {
  const names = new Set(input.catalog.modelNames());
  // Stages of a query list are models too, for the stages after them.
  for (const match of input.text.matchAll(/^\s*-\s+name\s*:\s*["']?([\w-]+)/gm)) if (match[1]) names.add(match[1]);
  return [...names].sort();
}

/** The model the formula at the cursor reads: the query's source model, else the model of the file. */
function scopeModel(input: CompletionInput, context: Extract<CursorContext, { kind: 'value' }>): ModelDef | undefined {
  const inQuery = input.kind === 'query' || context.parents.includes('source_queries');
  if (!inQuery) return input.model;
  const name = enclosingSourceModel(input.text, input.offset);
  if (!name) return undefined;
  try {
    return stageCatalog(input).getModel(name, input.model?.data_source);
  } catch {
    // A stage that does not plan yet (half written) has no names to offer.
    return undefined;
  }
}

/**
 * Models as a query stage sees them: the file's own named stages (a query
 * list's, or the model's source_queries) and query-backed models, with their
 * virtual columns (`customers__name`, `revenue_sum`). Names only, so the
 * dialect the stages are planned in does not matter.
 */
function stageCatalog(input: CompletionInput): StageCatalog {
  const stages = input.kind === 'model' ? input.model?.source_queries : parsedWithoutCursorLine(input).queries;
  const named = new Map<string, QueryDef>();
  for (const stage of stages ?? []) if (stage.name) named.set(stage.name, stage);
  const prefer = input.kind === 'model' ? input.model?.data_source || undefined : undefined;
  return new StageCatalog(input.catalog, dialectFor('sqlite'), {}, named, [], {}, prefer);
}

function formulaCompletion(
  input: CompletionInput,
  context: Extract<CursorContext, { kind: 'value' }>,
): CompletionAnswer | undefined {
  const model = scopeModel(input, context);
  const token = /(\{?)([A-Za-z_*][\w.*]*)?(?::(\w*))?$/.exec(context.typed);
  const [, brace = '', path = '', aggregation] = token ?? [];
  if (brace === '{') return variableCompletion(input, model, path);
  if (aggregation !== undefined) {
    const start = input.offset - aggregation.length;
    return { items: aggregationItems(model, path, input.catalog), replace: { start, end: input.offset } };
  }
  const segments = path.split('.');
  const partial = segments.pop() ?? '';
  const replace = { start: input.offset - partial.length, end: input.offset };
  if (!model) return { items: vocabularyItems(), replace };
  if (segments.length === 0) return { items: [...memberItems(model), ...vocabularyItems()], replace };
  const reached = resolveJoinPath(model, segments, input.catalog);
  return { items: reached.ok ? memberItems(reached.model) : [], replace };
}

/** A model's columns, saved measures and joins, as a dotted path continues from it. */
function memberItems(model: ModelDef): CompletionEntry[] {
  const columns = model.columns.map((column): CompletionEntry => ({
    label: column.name,
    kind: 'column',
    detail: [column.type, column.label].filter(Boolean).join(' · '),
    ...(column.description ? { documentation: column.description } : {}),
    insertText: column.name,
    snippet: false,
    rank: 0,
  }));
  const measures = model.measures.flatMap((measure): CompletionEntry[] =>
    measure.name
      ? [
          {
            label: measure.name,
            kind: 'measure',
            detail: [`measure = ${measure.formula}`, measure.label].filter(Boolean).join(' · '),
            ...(measure.description ? { documentation: measure.description } : {}),
            insertText: measure.name,
            snippet: false,
            rank: 0,
          },
        ]
      : [],
  );
  const joins = model.joins.map((join): CompletionEntry => ({
    label: join.target_model,
    kind: 'join',
    detail: `join → ${join.target_model} on ${join.join_pairs.map(([a, b]) => `${a} = ${b}`).join(', ')}`,
    insertText: join.target_model,
    snippet: false,
    rank: 1,
  }));
  return [...columns, ...measures, ...joins];
}

/** `*:count`, transforms and scalar functions, each with its signature. */
function vocabularyItems(): CompletionEntry[] {
  const count: CompletionEntry = {
    label: '*:count',
    kind: 'aggregation',
    detail: 'COUNT(*) of the rows',
    insertText: '*:count',
    snippet: false,
    rank: 2,
  };
  const transforms = [...ALL_TRANSFORMS].sort().map((name): CompletionEntry => ({
    label: name,
    kind: 'transform',
    detail: TRANSFORM_SIGNATURES[name] ?? `${name}(measure)`,
    insertText: `${name}(\${1})`,
    snippet: true,
    rank: 3,
  }));
  const functions = [...SCALAR_FUNCTIONS].sort().map((name): CompletionEntry => ({
    label: name,
    kind: 'function',
    detail: `${name}(…) — SQL scalar function`,
    insertText: `${name}(\${1})`,
    snippet: true,
    rank: 4,
  }));
  return [count, ...transforms, ...functions];
}

const TRANSFORM_SIGNATURES: Readonly<Record<string, string>> = {
  cumsum: 'cumsum(measure) — running total over time',
  change: 'change(measure) — difference from the previous period',
  change_pct: 'change_pct(measure) — relative change from the previous period',
  time_shift: 'time_shift(measure, periods, granularity) — the value shifted in time',
  lag: 'lag(measure, n) — the value n rows earlier',
  lead: 'lead(measure, n) — the value n rows later',
  first: 'first(measure) — the first value of the series',
  last: 'last(measure) — the last value of the series',
  consecutive_periods: 'consecutive_periods(condition) — how many periods in a row it held',
  rank: 'rank(measure, partition_by=dimension)',
  dense_rank: 'dense_rank(measure, partition_by=dimension)',
  percent_rank: 'percent_rank(measure, partition_by=dimension)',
  ntile: 'ntile(measure, n=buckets, partition_by=dimension)',
};

/** After `column:`: what SLayer lets that column aggregate with, parameters as snippet fields. */
function aggregationItems(model: ModelDef | undefined, path: string, catalog: ModelCatalog): CompletionEntry[] {
  if (!model) return [];
  if (path === '*') return [aggregationItem('count')];
  const segments = path.split('.');
  const name = segments.pop() ?? '';
  const reached = resolveJoinPath(model, segments, catalog);
  if (!reached.ok) return [];
  const owner = reached.model;
  const column = owner.columns.find((candidate) => candidate.name === name);
  if (!column) return [];
  const names = new Set([...BUILTIN_AGGREGATIONS, ...owner.aggregations.map((a) => a.name)]);
  return [...names].filter((aggregation) => allows(column, aggregation, owner)).map(aggregationItem);
}

function allows(column: ColumnDef, aggregation: string, model: ModelDef): boolean {
  return aggregationRefusal(column, aggregation, model) === undefined;
}

function aggregationItem(aggregation: string): CompletionEntry {
  const params = REQUIRED_AGGREGATION_PARAMS[aggregation] ?? [];
  const placeholders = params.map((param, index) => `${param}=\${${index + 1}}`).join(', ');
  return {
    label: params.length > 0 ? `${aggregation}(${params.map((p) => `${p}=…`).join(', ')})` : aggregation,
    kind: 'aggregation',
    detail: AGGREGATION_DESCRIPTIONS[aggregation] ?? 'custom aggregation',
    insertText: params.length > 0 ? `${aggregation}(${placeholders})` : aggregation,
    snippet: params.length > 0,
    rank: COMMON_AGGREGATIONS.indexOf(aggregation) >= 0 ? 0 : 1,
  };
}

const COMMON_AGGREGATIONS = ['sum', 'avg', 'count', 'count_distinct', 'min', 'max'];

/** `{name}` placeholders: the model's query_variables and the query's own variables. */
function variableCompletion(input: CompletionInput, model: ModelDef | undefined, typed: string): CompletionAnswer {
  const names = new Set([
    ...Object.keys(model?.query_variables ?? {}),
    ...Object.keys(input.model?.query_variables ?? {}),
  ]);
  for (const match of input.text.matchAll(/^\s*variables\s*:\s*\n((?:\s+[\w-]+\s*:.*\n?)+)/gm)) {
    for (const line of (match[1] ?? '').split('\n')) {
      const name = /^\s+([\w-]+)\s*:/.exec(line)?.[1];
      if (name) names.add(name);
    }
  }
  const items = [...names]
    .sort()
    .map((name): CompletionEntry => ({ label: name, kind: 'variable', insertText: name, snippet: false, rank: 0 }));
  return { items, replace: { start: input.offset - typed.length, end: input.offset } };
}
