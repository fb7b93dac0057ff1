/**
 * The Chart tab: Vega-Lite compiled to Vega and rendered as SVG. The strict
 * CSP forbids eval, so Vega runs its expressions through vega-interpreter
 * (`ast: true`) instead of generated code.
 */
import { parse, View } from 'vega';
import { expressionInterpreter } from 'vega-interpreter';
import { compile, type TopLevelSpec } from 'vega-lite';
import { formatCell } from '../../shared/src/number-format';
import type { QueryResult } from '../../shared/src/protocol';
import { chartData, chartSpec, type ChartKind } from './chart-spec';
import { el } from './dom';

let current: View | undefined;

export async function renderChart(
  container: HTMLElement,
  kind: ChartKind,
  result: QueryResult,
  labelOf: (key: string) => string,
): Promise<void> {
  current?.finalize();
  current = undefined;
  container.replaceChildren();
  const data = chartData(result, labelOf);
  if (kind === 'table' || !data) {
    container.append(plainTable(result, labelOf));
    return;
  }
  const style = getComputedStyle(document.body);
  const theme = {
    foreground: style.getPropertyValue('--vscode-foreground').trim() || '#888',
    grid: style.getPropertyValue('--vscode-panel-border').trim() || '#8884',
    font: style.getPropertyValue('--vscode-font-family').trim() || 'sans-serif',
  };
  const spec = compile(chartSpec(kind, data, theme) as unknown as TopLevelSpec).spec;
  const target = el('div', { class: 'chart-canvas' });
  container.append(target);
  current = new View(parse(spec, undefined, { ast: true }), {
    expr: expressionInterpreter,
    renderer: 'svg',
    container: target,
    hover: true,
  });
  await current.runAsync();
}

/** "A table otherwise": the rows as they are, for results with nothing to plot against. */
function plainTable(result: QueryResult, labelOf: (key: string) => string): HTMLElement {
  const head = el('tr', {}, ...result.columns.map((key) => el('th', {}, labelOf(key))));
  const rows = result.data.map((row) =>
    el('tr', {}, ...result.columns.map((key) => el('td', {}, formatCell(row[key], undefined)))),
  );
  return el(
    'div',
    { class: 'chart-table' },
    el('p', { class: 'hint' }, 'Nothing to plot: a chart needs a measure and a time dimension or one dimension.'),
    el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)),
  );
}
