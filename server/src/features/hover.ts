import type { Hover } from 'vscode-languageserver';
import type { ModelCatalog } from '../engine/catalog';
import { executeQuery, stageCatalogFor, type EngineHost } from '../engine/query/execute';
import { profileColumn, type ColumnProfile } from '../engine/query/inspect';
import type { ModelDef } from '../engine/schema/types';
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

/**
 * Live previews on model files, like dbt Power User's: a column shows its
 * type, label and real sampled values; a saved measure shows its value over
 * the whole model; a query-backed model's name shows the columns it yields.
 */
export async function hoverModelFile(state: FileState, offset: number, host: EngineHost): Promise<HoverAnswer> {
  const model = state.parsed.model;
  const at = state.parsed.sources.innermostAt(offset);
  if (!model || !at) return { hover: null, subject: { kind: 'other' } };
  const [first, index, field] = at.path;
  if (first === 'columns' && typeof index === 'number' && (field === 'name' || at.path.length === 2)) {
    return hoverColumn(model, index, host);
  }
  if (first === 'measures' && typeof index === 'number') return hoverMeasure(model, index, host);
  if (first === 'name' && model.source_queries) return hoverQueryBacked(model, host.catalog);
  return { hover: null, subject: { kind: 'other' } };
}

async function hoverColumn(model: ModelDef, index: number, host: EngineHost): Promise<HoverAnswer> {
  const column = model.columns[index];
  if (!column || model.source_queries) return { hover: null, subject: { kind: 'other' } };
  const profile = await profileColumn(model, column, host, { maxRows: 100 });
  const lines = [
    `**${model.name}.${column.name}** \`${column.type}\`${column.primary_key ? ' · primary key' : ''}`,
    ...(column.label ? [`*${column.label}*`] : []),
    ...(column.description ? [column.description] : []),
    ...(column.sql ? [`\`\`\`sql\n${column.sql}\n\`\`\``] : []),
    profile.sampled === null ? '' : `Sampled: ${truncateValues(profile.sampled)}`,
  ];
  return { hover: markdown(lines), subject: { kind: 'column', model, profile } };
}

async function hoverMeasure(model: ModelDef, index: number, host: EngineHost): Promise<HoverAnswer> {
  const measure = model.measures[index];
  if (!measure?.name) return { hover: null, subject: { kind: 'other' } };
  const response = await executeQuery(
    [
      {
        version: 3,
        source_model: { kind: 'name', name: model.name },
        measures: [{ formula: measure.name }],
        whole_periods_only: false,
        distinct_dimension_values: true,
      },
    ],
    host,
    { maxRows: 1 },
  );
  const value = response.data[0]?.[response.columns[0] ?? ''];
  const lines = [
    `**${model.name}.${measure.name}** = \`${measure.formula}\``,
    ...(measure.label ? [`*${measure.label}*`] : []),
    `Over all rows: **${formatValue(value)}**`,
  ];
  return { hover: markdown(lines), subject: { kind: 'other' } };
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
