import type { Hover } from 'vscode-languageserver';
import type { ModelCatalog } from '../engine/catalog';
import { executeQuery, stageCatalogFor, type EngineHost } from '../engine/query/execute';
import { profileColumn, type ColumnProfile } from '../engine/query/inspect';
import { walk, type Expr } from '../engine/formula/ast';
import { parseFormula } from '../engine/formula/parser';
import type { Path } from '../engine/schema/decode';
import { DATA_TYPES, type ModelDef } from '../engine/schema/types';
import {
  AGGREGATION_DESCRIPTIONS,
  DEFAULT_AGGREGATIONS_BY_TYPE,
  normalizeAggregationName,
  REQUIRED_AGGREGATION_PARAMS,
} from '../engine/vocabulary';
import { toSlayerError } from '../../../shared/src/errors';
import * as path from 'node:path';
import type { Declaration } from '../engine/names/model';
import type { LiveCache, LiveResult } from './live-cache';
import type { FileState } from '../workspace/index';

/** What a hover found under the cursor, so the session can refresh the matching cache afterwards. */
export type HoverSubject =
  | { kind: 'column'; model: ModelDef; profile: ColumnProfile }
  | { kind: 'query-backed'; model: ModelDef }
  | { kind: 'other' };

export interface HoverAnswer {
  hover: Hover | null;
  subject: HoverSubject;
}

const SAMPLE_LIMIT = 12;

export interface HoverOptions {
  /** How long the live part may take before the hover shows what it has without it. */
  timeLimitMs: number;
  /** Why no database may be reached at all (Restricted Mode); undefined when it may. */
  offline?: string;
  /**
   * Where live values are kept between hovers: `slot` names the model file's
   * revision, `identity` the state of its data (dataState).
   */
  live?: { cache: LiveCache; slot: string; identity: string };
}

/**
 * Live previews on model files, like dbt Power User's: a column shows its
 * type, label and real sampled values; a saved measure shows its value over
 * the whole model; a query-backed model's name shows the columns it yields.
 * The static part never waits: when the data cannot be had (no database
 * file, a server down, the time limit, Restricted Mode) the hover shows the
 * samples cached in the file and one line saying why they are not live.
 */
export async function hoverModelFile(
  state: FileState,
  offset: number,
  host: EngineHost,
  options: HoverOptions,
): Promise<HoverAnswer> {
  const model = state.parsed.model;
  const at = state.parsed.sources.innermostAt(offset);
  if (!model || !at) return { hover: null, subject: { kind: 'other' } };
  const [first, index, field] = at.path;
  if (first === 'columns' && typeof index === 'number' && (field === 'name' || at.path.length === 2)) {
    return hoverColumn(model, index, host, options);
  }
  const aggregation = aggregationAt(state, at.path, offset);
  if (aggregation) return { hover: hoverAggregation(aggregation, model), subject: { kind: 'other' } };
  if (first === 'measures' && typeof index === 'number') return hoverMeasure(model, index, host, options);
  if (first === 'joins' && typeof index === 'number') return hoverJoin(model, index, host.catalog);
  if (first === 'name' && model.source_queries) return hoverQueryBacked(model, host.catalog);
  if (first === 'name') return hoverModel(model, host, options);
  return { hover: null, subject: { kind: 'other' } };
}

/**
 * A name used somewhere else (a query file's dimension, a formula, a stage's
 * source_model, a `{variable}`) hovers as its declaration does: `owner` is
 * the file that declares it, as the index holds it.
 */
export async function hoverDeclaration(
  declaration: Declaration,
  owner: FileState,
  host: EngineHost,
  options: HoverOptions,
): Promise<HoverAnswer> {
  const model = owner.parsed.model;
  const [list, index] = declaration.entry;
  const none: HoverAnswer = { hover: null, subject: { kind: 'other' } };
  switch (declaration.kind) {
    case 'column':
      return model && list === 'columns' && typeof index === 'number' ? hoverColumn(model, index, host, options) : none;
    case 'measure':
      return model && list === 'measures' && typeof index === 'number'
        ? hoverMeasure(model, index, host, options)
        : none;
    case 'join':
      return model && typeof index === 'number' ? hoverJoin(model, index, host.catalog) : none;
    case 'model':
      if (!model) return none;
      return model.source_queries ? hoverQueryBacked(model, host.catalog) : hoverModel(model, host, options);
    case 'variable':
      return { hover: hoverVariable(declaration, owner), subject: { kind: 'other' } };
    case 'datasource':
      return { hover: hoverDatasource(owner), subject: { kind: 'other' } };
    default:
      return {
        hover: markdown([`**${declaration.name}**: ${declaration.kind}`, declaration.detail ?? '']),
        subject: { kind: 'other' },
      };
  }
}

/** A `{variable}`: the value it has where it is declared, and where that is. */
function hoverVariable(declaration: Declaration, owner: FileState): Hover {
  const found = walkTo(decodedRoot(owner), declaration.entry);
  const value = found === undefined ? '(no default)' : JSON.stringify(found);
  const where = declaration.entry[0] === 'query_variables' ? `query_variables of model` : 'variables of the query in';
  return markdown([
    `**{${declaration.name}}** = \`${value}\``,
    `From the ${where} \`${path.basename(declaration.file)}\`; a runtime variable of the same name wins.`,
  ]);
}

/** The file's decoded value, addressed the way its source map paths are. */
function decodedRoot(owner: FileState): unknown {
  const parsed = owner.parsed;
  if (parsed.model) return parsed.model;
  return parsed.queryIsList ? parsed.queries : parsed.queries?.[0];
}

function walkTo(root: unknown, entry: readonly (string | number)[]): unknown {
  let current = root;
  for (const step of entry) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

/** A datasource: its name and type, never its connection details, which may hold credentials. */
function hoverDatasource(owner: FileState): Hover {
  const datasource = owner.parsed.datasource;
  return markdown([`**${datasource?.name ?? 'datasource'}**: a \`${datasource?.type ?? 'unknown'}\` datasource`]);
}

/** The aggregation name under the cursor in a formula (`amount:su|m`), if that is where it is. */
function aggregationAt(state: FileState, path: Path, offset: number): string | undefined {
  const span = state.parsed.sources.value(path);
  const text = span ? state.parsed.text.slice(span.start, span.end) : '';
  if (!span || !text.includes(':')) return undefined;
  const raw = /^["']/.test(text) ? text.slice(1, -1) : text;
  let expr: Expr;
  try {
    expr = parseFormula(raw);
  } catch {
    return undefined;
  }
  let found: string | undefined;
  walk(expr, (node) => {
    if (node.kind !== 'agg') return;
    const where = state.parsed.sources.inner(path, node.aggregationSpan.start, node.aggregationSpan.end);
    if (offset >= where.start && offset <= where.end) found = node.aggregation;
  });
  return found;
}

function hoverAggregation(name: string, model: ModelDef): Hover {
  const aggregation = normalizeAggregationName(name);
  const custom = model.aggregations.find((candidate) => candidate.name === name);
  const types = DATA_TYPES.filter((type) => DEFAULT_AGGREGATIONS_BY_TYPE[type].has(aggregation));
  const params = REQUIRED_AGGREGATION_PARAMS[aggregation] ?? [];
  return markdown([
    `**:${name}**${custom ? ` — custom aggregation of '${model.name}'` : ''}`,
    custom?.formula ? `\`\`\`sql\n${custom.formula}\n\`\`\`` : (AGGREGATION_DESCRIPTIONS[aggregation] ?? ''),
    ...(params.length > 0 ? [`Needs: ${params.map((param) => `\`${param}=\``).join(', ')}`] : []),
    ...(custom ? [] : [`Allowed by default on: ${types.join(', ') || 'no type'}; a primary key only counts.`]),
  ]);
}

function hoverJoin(model: ModelDef, index: number, catalog: ModelCatalog): HoverAnswer {
  const join = model.joins[index];
  if (!join) return { hover: null, subject: { kind: 'other' } };
  const target = catalog.getModel(join.target_model, model.data_source || undefined);
  const keys = target?.columns.filter((column) => column.primary_key).map((column) => column.name) ?? [];
  const lines = [
    `**${model.name} → ${join.target_model}** (${join.join_type} join)`,
    `On ${join.join_pairs.map(([left, right]) => `\`${model.name}.${left} = ${join.target_model}.${right}\``).join(' and ')}`,
    target
      ? `Key of '${target.name}': ${keys.length > 0 ? keys.map((key) => `\`${key}\``).join(', ') : 'none declared'}`
      : `Model '${join.target_model}' is not in this storage root.`,
    `Reach its columns as \`${join.target_model}.<column>\`.`,
  ];
  return { hover: markdown(lines), subject: { kind: 'other' } };
}

/** A table model's name: where it reads from, what it declares, and its live row count. */
async function hoverModel(model: ModelDef, host: EngineHost, options: HoverOptions): Promise<HoverAnswer> {
  const source = model.sql_table ? `table \`${model.sql_table}\`` : model.sql ? 'SQL' : 'no source';
  const counts = `${model.columns.length} columns, ${model.measures.length} measures, ${model.joins.length} joins`;
  const live = await withinLimit(options, 'rows', (signal) => measureValue(model, '*:count', host, signal));
  const rows = 'failed' in live ? notLive(live.failed) : `Rows: **${formatValue(live.value)}**`;
  const lines = [
    `**${model.name}** on data source \`${model.data_source}\`, from ${source}`,
    ...(model.description ? [model.description] : []),
    ...(model.sql ? [`\`\`\`sql\n${model.sql}\n\`\`\``] : []),
    counts,
    rows,
  ];
  return { hover: markdown(lines), subject: { kind: 'other' } };
}

async function hoverColumn(
  model: ModelDef,
  index: number,
  host: EngineHost,
  options: HoverOptions,
): Promise<HoverAnswer> {
  const column = model.columns[index];
  if (!column || model.source_queries) return { hover: null, subject: { kind: 'other' } };
  const header = [
    `**${model.name}.${column.name}** \`${column.type}\`${column.primary_key ? ' · primary key' : ''}`,
    ...(column.label ? [`*${column.label}*`] : []),
    ...(column.description ? [column.description] : []),
    ...(column.sql ? [`\`\`\`sql\n${column.sql}\n\`\`\``] : []),
  ];
  const live = await withinLimit(options, `column:${column.name}`, (signal) =>
    profileColumn(model, column, host, { maxRows: 100, signal }),
  );
  if ('failed' in live) {
    const cached = column.sampled ? [`Sampled (cached in the file): ${truncateValues(column.sampled)}`] : [];
    return { hover: markdown([...header, ...cached, notLive(live.failed)]), subject: { kind: 'other' } };
  }
  const profile = live.value;
  const sampled = profile.sampled === null ? '' : `Sampled: ${truncateValues(profile.sampled)}`;
  return { hover: markdown([...header, sampled]), subject: { kind: 'column', model, profile } };
}

async function hoverMeasure(
  model: ModelDef,
  index: number,
  host: EngineHost,
  options: HoverOptions,
): Promise<HoverAnswer> {
  const measure = model.measures[index];
  if (!measure?.name) return { hover: null, subject: { kind: 'other' } };
  const header = [
    `**${model.name}.${measure.name}** = \`${measure.formula}\``,
    ...(measure.label ? [`*${measure.label}*`] : []),
  ];
  const name = measure.name;
  const live = await withinLimit(options, `measure:${name}`, (signal) => measureValue(model, name, host, signal));
  const value = 'failed' in live ? notLive(live.failed) : `Over all rows: **${formatValue(live.value)}**`;
  return { hover: markdown([...header, value]), subject: { kind: 'other' } };
}

async function measureValue(model: ModelDef, measure: string, host: EngineHost, signal: AbortSignal): Promise<unknown> {
  const response = await executeQuery(
    [
      {
        version: 3,
        source_model: { kind: 'name', name: model.name },
        measures: [{ formula: measure }],
        whole_periods_only: false,
        distinct_dimension_values: true,
      },
    ],
    host,
    { maxRows: 1, signal, preferDataSource: model.data_source || undefined },
  );
  return response.data[0]?.[response.columns[0] ?? ''];
}

/** The live part, or why there is none: Restricted Mode, an error, or the time limit (the query is cancelled). */
async function withinLimit<T>(
  options: HoverOptions,
  slot: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<LiveResult<T>> {
  if (options.offline !== undefined) return { failed: options.offline };
  const live = options.live;
  const compute = (): Promise<LiveResult<T>> => attemptWithinLimit(options.timeLimitMs, work);
  return live ? live.cache.read(`${live.slot}|${slot}`, live.identity, compute) : compute();
}

async function attemptWithinLimit<T>(
  timeLimitMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<LiveResult<T>> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<LiveResult<T>>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ failed: `the database did not answer within ${timeLimitMs / 1000} s`, transient: true });
    }, timeLimitMs);
  });
  const attempt = work(controller.signal).then(
    (value) => ({ value }),
    (error: unknown) => ({ failed: toSlayerError(error).message.split('\n')[0] ?? 'the query failed' }),
  );
  try {
    return await Promise.race([attempt, limit]);
  } finally {
    clearTimeout(timer);
  }
}

function notLive(reason: string): string {
  return `_Live data unavailable: ${reason}._`;
}

function hoverQueryBacked(model: ModelDef, catalog: ModelCatalog): HoverAnswer {
  const cache = stageCatalogFor(model, catalog).cacheOf(model);
  const lines = [
    `**${model.name}**: query-backed, on data source \`${cache.data_source}\``,
    ...cache.columns.map((column) => `- \`${column.name}\` ${column.type}${column.label ? ` — ${column.label}` : ''}`),
  ];
  return { hover: markdown(lines), subject: { kind: 'query-backed', model } };
}

function truncateValues(text: string): string {
  const values = text.split(', ');
  return values.length > SAMPLE_LIMIT ? `${values.slice(0, SAMPLE_LIMIT).join(', ')}, …` : text;
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number')
    return Number.isInteger(value)
      ? value.toLocaleString('en-US')
      : value.toLocaleString('en-US', { maximumFractionDigits: 4 });
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function markdown(lines: readonly string[]): Hover {
  return { contents: { kind: 'markdown', value: lines.filter((line) => line !== '').join('\n\n') } };
}
