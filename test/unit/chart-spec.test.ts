/** Which chart a result gets, and the points it plots: one per row and measure, dots in keys kept out. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueryResult } from '../../shared/src/protocol';
import { chartData, chartSpec, defaultChart } from '../../webview/src/chart-spec';

function result(columns: string[], roles: QueryResult['column_roles'], data: QueryResult['data']): QueryResult {
  return {
    columns,
    data,
    row_count: data.length,
    sql: '',
    truncated: false,
    millis: 1,
    attributes: { dimensions: {}, measures: {} },
    data_source: 'x',
    column_roles: roles,
  };
}

test('a time dimension gets a line, one plain dimension bars, anything else a table', () => {
  assert.equal(defaultChart({ 'o.month': 'time', 'o.n': 'measure' }), 'line');
  assert.equal(defaultChart({ 'o.month': 'time', 'o.status': 'dimension', 'o.n': 'measure' }), 'line');
  assert.equal(defaultChart({ 'o.status': 'dimension', 'o.n': 'measure' }), 'bar');
  assert.equal(defaultChart({ 'o.status': 'dimension', 'o.store': 'dimension', 'o.n': 'measure' }), 'table');
  assert.equal(defaultChart({ 'o.status': 'dimension' }), 'table');
  assert.equal(defaultChart({ 'o.n': 'measure' }), 'table');
});

test('two measures over months make two series of plain x/value points', () => {
  const monthly = result(
    ['o.month', 'o.revenue', 'o.n'],
    { 'o.month': 'time', 'o.revenue': 'measure', 'o.n': 'measure' },
    [
      { 'o.month': '2024-01-01', 'o.revenue': 10, 'o.n': 2 },
      { 'o.month': '2024-02-01', 'o.revenue': 30, 'o.n': 3 },
    ],
  );
  const data = chartData(monthly, (key) => (key === 'o.revenue' ? 'Revenue' : key));
  assert.deepEqual(data?.points, [
    { x: '2024-01-01', series: 'Revenue', value: 10 },
    { x: '2024-01-01', series: 'o.n', value: 2 },
    { x: '2024-02-01', series: 'Revenue', value: 30 },
    { x: '2024-02-01', series: 'o.n', value: 3 },
  ]);
  assert.equal(data?.temporal, true);
  const spec = chartSpec('line', data, { foreground: '#000', grid: '#ccc', font: 'sans' });
  const encoding = spec['encoding'] as Record<string, { field?: string; type?: string }>;
  assert.deepEqual([encoding['x']?.field, encoding['x']?.type], ['x', 'temporal']);
  assert.equal(encoding['color']?.field, 'series', 'a colour per measure');
});

test('a second dimension splits one measure into a series per value, NULL named', () => {
  const split = result(
    ['o.month', 'o.status', 'o.n'],
    { 'o.month': 'time', 'o.status': 'dimension', 'o.n': 'measure' },
    [
      { 'o.month': '2024-01-01', 'o.status': 'open', 'o.n': 1 },
      { 'o.month': '2024-01-01', 'o.status': null, 'o.n': 4 },
    ],
  );
  assert.deepEqual(
    chartData(split, (key) => key)?.points.map((point) => point.series),
    ['open', 'NULL'],
  );
});

test('nothing to plot without a measure or a dimension', () => {
  assert.equal(
    chartData(result(['o.n'], { 'o.n': 'measure' }, [{ 'o.n': 1 }]), (key) => key),
    undefined,
  );
});
