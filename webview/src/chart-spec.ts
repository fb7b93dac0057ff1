/**
 * Which chart a result gets, and its Vega-Lite spec. Rows are reshaped here
 * into plain `x`/`series`/`value` records: SLayer's keys hold dots, which
 * Vega-Lite would read as nested fields.
 */
import { formatCell } from '../../shared/src/number-format';
import type { ColumnRole, QueryResult } from '../../shared/src/protocol';

export type ChartKind = 'line' | 'bar' | 'table';

export const CHART_KINDS: readonly ChartKind[] = ['line', 'bar', 'table'];

/** A line over a time dimension; bars for one plain dimension; otherwise a table. */
export function defaultChart(roles: Readonly<Record<string, ColumnRole>>): ChartKind {
  const values = Object.values(roles);
  if (!values.includes('measure')) return 'table';
  if (values.includes('time')) return 'line';
  return values.filter((role) => role === 'dimension').length === 1 ? 'bar' : 'table';
}

export interface ChartPoint {
  x: unknown;
  series: string;
  value: unknown;
}

export interface ChartData {
  points: ChartPoint[];
  xTitle: string;
  temporal: boolean;
}

/**
 * One point per row and measure: x is the time dimension (else the first
 * dimension), a series per measure, split by the other dimensions' values.
 */
export function chartData(result: QueryResult, labelOf: (key: string) => string): ChartData | undefined {
  const roleOf = (key: string): ColumnRole | undefined => result.column_roles[key];
  const measures = result.columns.filter((key) => roleOf(key) === 'measure');
  const xKey =
    result.columns.find((key) => roleOf(key) === 'time') ?? result.columns.find((key) => roleOf(key) === 'dimension');
  if (!xKey || measures.length === 0) return undefined;
  const splits = result.columns.filter((key) => key !== xKey && roleOf(key) !== 'measure');
  const points = result.data.flatMap((row) =>
    measures.map((measure) => {
      const split = splits.map((key) => formatCell(row[key], undefined));
      const series = [...(measures.length > 1 || split.length === 0 ? [labelOf(measure)] : []), ...split].join(' · ');
      return { x: row[xKey], series, value: row[measure] };
    }),
  );
  return { points, xTitle: labelOf(xKey), temporal: roleOf(xKey) === 'time' };
}

export interface ChartTheme {
  foreground: string;
  grid: string;
  font: string;
}

/** A Vega-Lite spec (kept as plain JSON so this module needs no Vega types). */
export function chartSpec(kind: 'line' | 'bar', data: ChartData, theme: ChartTheme): Record<string, unknown> {
  const seriesCount = new Set(data.points.map((point) => point.series)).size;
  const x =
    kind === 'line' && data.temporal
      ? { field: 'x', type: 'temporal', title: data.xTitle }
      : { field: 'x', type: kind === 'line' ? 'ordinal' : 'nominal', title: data.xTitle, sort: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 'container',
    height: 320,
    autosize: { type: 'fit-x', contains: 'padding' },
    background: 'transparent',
    data: { values: data.points },
    mark:
      kind === 'line'
        ? { type: 'line', point: data.points.length <= 200, tooltip: true }
        : { type: 'bar', tooltip: true },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative', title: seriesCount === 1 ? data.points[0]?.series : 'value' },
      ...(seriesCount > 1 ? { color: { field: 'series', type: 'nominal', title: null } } : {}),
      ...(kind === 'bar' && seriesCount > 1 ? { xOffset: { field: 'series' } } : {}),
    },
    config: {
      font: theme.font,
      axis: {
        labelColor: theme.foreground,
        titleColor: theme.foreground,
        gridColor: theme.grid,
        domainColor: theme.grid,
      },
      legend: { labelColor: theme.foreground, titleColor: theme.foreground },
      view: { stroke: null },
    },
  };
}
