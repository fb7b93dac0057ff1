/**
 * Row-for-row comparison of two result tables, for the cross-driver property
 * test: numbers within a relative tolerance (databases sum floats in
 * different orders), everything else exactly, and rows as a multiset keyed
 * by their dimension values unless the query fixed a total order.
 */

export interface ResultTable {
  columns: readonly string[];
  rows: readonly (readonly unknown[])[];
}

export interface CompareOptions {
  /** The query sorts by every dimension: rows must come in the same order. */
  ordered: boolean;
  /** How many leading columns are dimensions (the key rows are matched on). */
  keyColumns: number;
  /** The plain-SQL reference names its columns c0..cN: only their number must match. */
  columnNames: boolean;
}

const RELATIVE_TOLERANCE = 1e-9;
const ABSOLUTE_TOLERANCE = 1e-6;
const SHOWN_DIFFERENCES = 4;

/** Records keyed by column, as drivers return them, to positional rows. */
export function tableOf(
  columns: readonly string[],
  records: readonly Readonly<Record<string, unknown>>[],
): ResultTable {
  return { columns, rows: records.map((record) => columns.map((column) => normalise(record[column]))) };
}

/** A 64-bit integer from node-sqlite3-wasm or DuckDB is still a number here. */
function normalise(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  return value === undefined ? null : value;
}

export function valuesAgree(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return Math.abs(a - b) <= Math.max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b)));
  }
  // A number on one side and its text on the other is a disagreement: the driver contract says numbers.
  return a === b;
}

/** Sort key: exact dimension values first, then measures rounded so float noise cannot reorder equal rows. */
function sortKey(row: readonly unknown[], keyColumns: number): string {
  const rounded = row.map((value, i) =>
    i >= keyColumns && typeof value === 'number' ? Number(value.toPrecision(6)) : value,
  );
  return JSON.stringify([rounded.slice(0, keyColumns), rounded.slice(keyColumns)]);
}

function sorted(rows: readonly (readonly unknown[])[], keyColumns: number): (readonly unknown[])[] {
  return [...rows].sort((a, b) => {
    const ka = sortKey(a, keyColumns);
    const kb = sortKey(b, keyColumns);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

const show = (row: readonly unknown[] | undefined): string => (row === undefined ? '(none)' : JSON.stringify(row));

/** Undefined when the tables agree; otherwise what differs, first few rows shown. */
export function diffTables(expected: ResultTable, actual: ResultTable, options: CompareOptions): string | undefined {
  if (options.columnNames && JSON.stringify(expected.columns) !== JSON.stringify(actual.columns)) {
    return `columns differ: ${JSON.stringify(expected.columns)} vs ${JSON.stringify(actual.columns)}`;
  }
  if (expected.columns.length !== actual.columns.length) {
    return `column count differs: ${expected.columns.length} vs ${actual.columns.length}`;
  }
  const problems: string[] = [];
  if (expected.rows.length !== actual.rows.length) {
    problems.push(`row count differs: ${expected.rows.length} vs ${actual.rows.length}`);
  }
  const left = options.ordered ? expected.rows : sorted(expected.rows, options.keyColumns);
  const right = options.ordered ? actual.rows : sorted(actual.rows, options.keyColumns);
  const length = Math.max(left.length, right.length);
  let shown = 0;
  for (let i = 0; i < length && shown < SHOWN_DIFFERENCES; i++) {
    const a = left[i];
    const b = right[i];
    const same = a !== undefined && b !== undefined && a.every((value, c) => valuesAgree(value, b[c]));
    if (!same) {
      problems.push(`row ${i}: ${show(a)} vs ${show(b)}`);
      shown++;
    }
  }
  return problems.length > 0 ? problems.join('\n') : undefined;
}
