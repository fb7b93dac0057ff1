/**
 * The results view: one run's header, a Grid / SQL / Chart tab strip, and
 * the run's error, cancellation or "run again" when there is no result.
 * Everything arrives as messages (shared/src/results-messages.ts).
 */
import type { FieldFormat, InspectResult, QueryResult } from '../../shared/src/protocol';
import type { RunSource, ToView } from '../../shared/src/results-messages';
import { renderChart } from './chart';
import { CHART_KINDS, defaultChart, type ChartKind } from './chart-spec';
import { button, el } from './dom';
import { createGrid, type Grid } from './grid';
import { host, requestPage, settlePage } from './host';

type Tab = 'grid' | 'sql' | 'chart';

const root = document.getElementById('root') as HTMLElement;
let grid: Grid | undefined;

window.addEventListener('message', (event: MessageEvent<ToView>) => {
  const message = event.data;
  if (settlePage(message)) return;
  if (message.type !== 'running') host.setState({ title: message.title, source: message.source });
  show(message);
});

// Copy from the grid: the selected range as TSV, through the extension (the webview's clipboard is not reliable).
document.addEventListener('keydown', (event) => {
  if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== 'c') return;
  if (copySelection()) event.preventDefault();
});

/** Sends the grid's selected range to the clipboard; false when nothing is selected. */
function copySelection(): boolean {
  const text = grid?.selectionAsTsv() ?? '';
  if (text) host.postMessage({ type: 'copy', text });
  return text !== '';
}

const restored = host.getState();
if (restored) show({ type: 'restored', ...restored });
host.postMessage({ type: 'ready' });

function show(message: Exclude<ToView, { type: 'page' | 'pageFailed' }>): void {
  if (message.type === 'running') {
    root.querySelector('.status')?.replaceChildren(`Running ${message.title}…`);
    return;
  }
  grid?.destroy();
  grid = undefined;
  root.replaceChildren(el('h3', {}, message.title), el('div', { class: 'status' }));
  switch (message.type) {
    case 'result':
      showResult(message.result);
      return;
    case 'inspection':
      root.append(inspection(message.result));
      return;
    case 'error':
      root.append(
        el('pre', { class: 'error' }, message.message),
        ...(message.suggestion ? [el('p', { class: 'suggestion' }, `Did you mean '${message.suggestion}'?`)] : []),
        rerun(message.source),
      );
      return;
    case 'cancelled':
      root.append(
        el('p', { class: 'cancelled' }, 'Cancelled. The query was stopped in the database.'),
        rerun(message.source),
      );
      return;
    case 'restored':
      root.append(
        el('p', { class: 'hint' }, 'This view was restored after a reload; its rows are gone.'),
        rerun(message.source),
      );
  }
}

function rerun(source: RunSource): HTMLElement {
  const what = source.kind === 'inspect' ? 'Inspect again' : 'Run again';
  return button(what, () => host.postMessage({ type: 'rerun' }), { class: 'rerun' });
}

function showResult(result: QueryResult): void {
  const labelOf = (key: string): string =>
    result.attributes.measures[key]?.label ?? result.attributes.dimensions[key]?.label ?? key;
  const formatOf = (key: string): FieldFormat | undefined =>
    result.attributes.measures[key]?.format ?? result.attributes.dimensions[key]?.format;
  const panes: Record<Tab, HTMLElement> = {
    grid: el('div', { class: 'pane grid-pane' }),
    sql: el('div', { class: 'pane sql-pane' }),
    chart: el('div', { class: 'pane chart-pane' }),
  };
  root.append(summary(result), toolbar(result), tabStrip(panes, result, labelOf), ...Object.values(panes));
  grid = createGrid(panes.grid, result, labelOf, formatOf);
  panes.sql.append(
    button('Copy SQL', () => host.postMessage({ type: 'copy', text: result.sql })),
    el('pre', { class: 'sql' }, result.sql),
  );
}

function summary(result: QueryResult): HTMLElement {
  const rows = `${result.row_count.toLocaleString('en-US')} row${result.row_count === 1 ? '' : 's'}`;
  const parts = [rows, `${result.millis} ms`, `data source ${result.data_source}`];
  const cut = result.truncated
    ? ` · capped at ${result.row_count.toLocaleString('en-US')}: the query returned more`
    : '';
  return el('p', { class: 'summary' }, parts.join(' · '), ...(cut ? [el('strong', {}, cut)] : []));
}

function toolbar(result: QueryResult): HTMLElement {
  const resultId = result.result_id;
  const exporter = (format: 'csv' | 'json') => () => {
    if (resultId) host.postMessage({ type: 'export', resultId, format, sort: grid?.sort() ?? [] });
  };
  return el(
    'div',
    { class: 'toolbar' },
    button('Export CSV', exporter('csv'), { 'data-action': 'export-csv' }),
    button('Export JSON', exporter('json'), { 'data-action': 'export-json' }),
    button('Copy selection', () => copySelection(), {
      title: 'Copy the selected cells as tab-separated text (also Ctrl/Cmd+C)',
    }),
  );
}

function tabStrip(panes: Record<Tab, HTMLElement>, result: QueryResult, labelOf: (key: string) => string): HTMLElement {
  const tabs = el('div', { class: 'tabs', role: 'tablist' });
  let chartShown = false;
  const select = (tab: Tab): void => {
    for (const [name, pane] of Object.entries(panes)) pane.hidden = name !== tab;
    for (const item of tabs.children) item.setAttribute('aria-selected', String(item.getAttribute('data-tab') === tab));
    if (tab === 'chart' && !chartShown) {
      chartShown = true;
      void showChart(panes.chart, result, labelOf);
    }
  };
  for (const tab of ['grid', 'sql', 'chart'] as const) {
    tabs.append(
      button(tab === 'sql' ? 'SQL' : tab[0]?.toUpperCase() + tab.slice(1), () => select(tab), {
        role: 'tab',
        'data-tab': tab,
      }),
    );
  }
  select('grid');
  return tabs;
}

/** The chart reads every kept row (up to the cap), not just the grid's first page. */
async function showChart(pane: HTMLElement, result: QueryResult, labelOf: (key: string) => string): Promise<void> {
  const canvas = el('div', { class: 'chart' });
  const picker = el('select', { 'aria-label': 'Chart type' });
  const initial = defaultChart(result.column_roles);
  for (const kind of CHART_KINDS) {
    const option = el('option', { value: kind }, kind);
    option.selected = kind === initial;
    picker.append(option);
  }
  pane.append(el('label', {}, 'Chart: ', picker), canvas);
  let full = result;
  if (result.result_id && result.data.length < result.row_count) {
    const { rows } = await requestPage({ resultId: result.result_id, offset: 0, limit: result.row_count, sort: [] });
    full = { ...result, data: rows };
  }
  const draw = (): void => void renderChart(canvas, picker.value as ChartKind, full, labelOf);
  picker.addEventListener('change', draw);
  draw();
}

function inspection(result: InspectResult): HTMLElement {
  const head = el('tr', {}, ...['column', 'type', '', 'label', 'sampled'].map((title) => el('th', {}, title)));
  const rows = result.columns.map((column) =>
    el(
      'tr',
      {},
      el('td', {}, column.name),
      el('td', {}, column.type),
      el('td', {}, column.primary_key ? 'key' : ''),
      el('td', {}, column.label ?? ''),
      el('td', {}, column.sampled ?? ''),
    ),
  );
  return el(
    'div',
    {},
    el(
      'p',
      { class: 'summary' },
      `${result.row_count} rows · data source ${result.data_source} · ${result.source_type}`,
    ),
    el('table', { class: 'plain' }, el('thead', {}, head), el('tbody', {}, ...rows)),
  );
}
