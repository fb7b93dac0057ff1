/**
 * The results grid: Tabulator over the server's kept rows. It asks the
 * server for the rows (all it keeps, in one answer) and renders only the
 * visible ones (virtual DOM); it sorts on the server (so a sort covers every
 * row), resizes columns, and copies a selected range as TSV.
 */
import { TabulatorFull as Tabulator, type ColumnDefinition, type CellComponent } from 'tabulator-tables';
import { toTsv } from '../../shared/src/export';
import { formatCell } from '../../shared/src/number-format';
import type { FieldFormat, QueryResult, SortKey } from '../../shared/src/protocol';
import { el } from './dom';
import { requestPage } from './host';

/**
 * Rows per request: in practice every row the server keeps (previewMaxRows caps them), in one answer.
 * Tabulator rebuilds its whole row set for each page it appends, so 500 pages of 200 rows cost minutes
 * at 100,000 rows (bench:view reached row 82,627 in 120 s), where one answer of all of them costs
 * about a second and leaves every row one scroll away.
 */
const PAGE_SIZE = 1_000_000;

export interface Grid {
  sort(): SortKey[];
  /** The selected range as tab-separated lines, values as the query returned them. */
  selectionAsTsv(): string;
  destroy(): void;
}

export function createGrid(
  container: HTMLElement,
  result: QueryResult,
  labelOf: (key: string) => string,
  formatOf: (key: string) => FieldFormat | undefined,
): Grid {
  const resultId = result.result_id;
  const table = new Tabulator(container, {
    height: '100%',
    layout: 'fitDataStretch',
    // SLayer's keys hold dots (`orders.revenue`); they are field names, not paths.
    nestedFieldSeparator: false,
    columns: result.columns.map((key) => column(key, labelOf(key), formatOf(key), isNumeric(result, key))),
    columnDefaults: { resizable: true, headerSort: true, headerTooltip: true },
    selectableRange: 1,
    selectableRangeColumns: true,
    selectableRangeRows: true,
    placeholder: 'No rows',
    ...(resultId
      ? {
          ajaxURL: 'slayer:result',
          ajaxRequestFunc: (_url: string, _config: unknown, params: unknown) => loadPage(resultId, params),
          progressiveLoad: 'load' as const,
          paginationSize: PAGE_SIZE,
          sortMode: 'remote' as const,
          dataReceiveParams: { last_page: 'last_page', data: 'data' },
        }
      : { data: result.data }),
  });
  return {
    sort: () => table.getSorters().map((sorter) => ({ column: String(sorter.field), direction: sorter.dir })),
    selectionAsTsv: () => toTsv(table.getRangesData() as Record<string, unknown>[][], result.columns),
    destroy: () => table.destroy(),
  };
}

async function loadPage(resultId: string, params: unknown): Promise<{ last_page: number; data: unknown[] }> {
  const {
    page = 1,
    size = PAGE_SIZE,
    sort = [],
  } = params as {
    page?: number;
    size?: number;
    sort?: { field: string; dir: 'asc' | 'desc' }[];
  };
  const { rows, rowCount } = await requestPage({
    resultId,
    offset: (page - 1) * size,
    limit: size,
    sort: sort.map((sorter) => ({ column: sorter.field, direction: sorter.dir })),
  });
  return { last_page: Math.max(1, Math.ceil(rowCount / size)), data: rows };
}

function column(key: string, title: string, format: FieldFormat | undefined, numeric: boolean): ColumnDefinition {
  return {
    title,
    field: key,
    hozAlign: numeric ? 'right' : 'left',
    formatter: (cell: CellComponent) => cellNode(cell.getValue(), format),
    tooltip: (_event: MouseEvent, cell: CellComponent) => rawText(cell.getValue()),
  };
}

function cellNode(value: unknown, format: FieldFormat | undefined): HTMLElement {
  const isNull = value === null || value === undefined;
  return el('span', isNull ? { class: 'null' } : {}, formatCell(value, format));
}

function rawText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A measure, or a dimension whose first page holds only numbers. */
function isNumeric(result: QueryResult, key: string): boolean {
  if (result.column_roles[key] === 'measure') return true;
  const values = result.data.map((row) => row[key]).filter((value) => value !== null && value !== undefined);
  return values.length > 0 && values.every((value) => typeof value === 'number');
}
