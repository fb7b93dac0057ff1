import { normaliseTimestampText } from '../drivers/normalise';
import type { ColumnRole } from '../../../../shared/src/protocol';
import type { NumberFormat } from '../schema/types';
import type { PlannedField } from './plan';

export interface FieldMetadata {
  label?: string;
  format?: NumberFormat;
}

/** SLayer's SlayerResponse, key for key. */
export interface SlayerResponse {
  columns: string[];
  data: Record<string, unknown>[];
  row_count: number;
  sql: string;
  attributes: { dimensions: Record<string, FieldMetadata>; measures: Record<string, FieldMetadata> };
  /** Ours: true when the preview row cap cut the result short. */
  truncated?: boolean;
  /** Ours: the datasource the query ran on (or, dry, would run on). */
  data_source?: string;
  /** Ours: what each column is, so the results view can choose a chart. */
  column_roles?: Record<string, ColumnRole>;
}

const COARSE_GRAINS = new Set(['day', 'week', 'week_sunday', 'month', 'quarter', 'year']);

/**
 * Time values read back the same from every database: buckets of a day or
 * coarser as `YYYY-MM-DD`, finer ones and raw timestamps as ISO 8601
 * `YYYY-MM-DDTHH:MM:SS`. SQLite hands back whatever text the column held.
 */
export function normaliseTimeValue(value: unknown, field: PlannedField): unknown {
  if (typeof value !== 'string') return value;
  if (field.granularity !== undefined) {
    if (COARSE_GRAINS.has(field.granularity)) return value.slice(0, 10);
    return value.length === 10 ? `${value}T00:00:00` : normaliseTimestampText(value);
  }
  if (field.type === 'DATE') return value.slice(0, 10);
  if (field.type === 'TIMESTAMP') return normaliseTimestampText(value);
  return value;
}

function roleOf(field: PlannedField): ColumnRole {
  if (field.kind === 'measure') return 'measure';
  const isTime = field.granularity !== undefined || field.type === 'DATE' || field.type === 'TIMESTAMP';
  return isTime ? 'time' : 'dimension';
}

export function attributesOf(fields: readonly PlannedField[]): SlayerResponse['attributes'] {
  const attributes: SlayerResponse['attributes'] = { dimensions: {}, measures: {} };
  for (const field of fields) {
    if (field.label === undefined && field.format === undefined) continue;
    const target = field.kind === 'dimension' ? attributes.dimensions : attributes.measures;
    target[field.key] = {
      ...(field.label === undefined ? {} : { label: field.label }),
      ...(field.format === undefined ? {} : { format: field.format }),
    };
  }
  return attributes;
}

export function shapeResponse(
  fields: readonly PlannedField[],
  rows: Record<string, unknown>[],
  sql: string,
  truncated: boolean,
): SlayerResponse {
  const timeFields = fields.filter((f) => f.granularity !== undefined || f.type === 'DATE' || f.type === 'TIMESTAMP');
  // The drivers key rows by the SELECT aliases, which are the field keys in order: only time values need work.
  const data = rows.map((row) => {
    const out = row;
    for (const field of timeFields) out[field.key] = normaliseTimeValue(out[field.key], field);
    return out;
  });
  return {
    columns: fields.map((field) => field.key),
    data,
    row_count: data.length,
    sql,
    attributes: attributesOf(fields),
    column_roles: Object.fromEntries(fields.map((field) => [field.key, roleOf(field)])),
    ...(truncated ? { truncated } : {}),
  };
}
