import { randomUUID } from 'node:crypto';
import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import { toCsv, toJson } from '../../../shared/src/export';
import type { SortKey } from '../../../shared/src/protocol';

type Row = Record<string, unknown>;

interface KeptResult {
  columns: readonly string[];
  rows: readonly Row[];
  sql: string;
  /** The last sort asked for, so scrolling through a sorted grid sorts once. */
  sorted?: { key: string; rows: readonly Row[] };
}

/**
 * The rows of recent runs, kept so the results view can page, sort and export
 * them without running the query again. A run already stops at
 * slayer.previewMaxRows, so each result is bounded; and only the last
 * `capacity` results are kept (a results panel that outlives its result asks
 * for a re-run).
 */
export class ResultStore {
  private readonly results = new Map<string, KeptResult>();

  constructor(private readonly capacity = 16) {}

  keep(result: { columns: readonly string[]; data: readonly Row[]; sql: string }): string {
    const id = randomUUID();
    this.results.set(id, { columns: result.columns, rows: result.data, sql: result.sql });
    for (const oldest of this.results.keys()) {
      if (this.results.size <= this.capacity) break;
      this.results.delete(oldest);
    }
    return id;
  }

  release(id: string): void {
    this.results.delete(id);
  }

  page(id: string, offset: number, limit: number, sort: readonly SortKey[] = []): Row[] {
    return this.rows(id, sort).slice(Math.max(0, offset), Math.max(0, offset) + Math.max(0, limit));
  }

  /** Every row in `sort` order, as a file: the CLI's CSV or JSON, byte for byte. */
  export(id: string, format: 'csv' | 'json', sort: readonly SortKey[] = []): { text: string; row_count: number } {
    const { columns, sql } = this.require(id);
    const data = this.rows(id, sort);
    const text = format === 'csv' ? toCsv(columns, data) : toJson({ columns, data, row_count: data.length, sql });
    return { text, row_count: data.length };
  }

  rowCount(id: string): number {
    return this.require(id).rows.length;
  }

  /** Every row, in `sort` order: a stable sort, NULLs last in either direction. */
  rows(id: string, sort: readonly SortKey[] = []): readonly Row[] {
    const kept = this.require(id);
    const valid = sort.filter((key) => kept.columns.includes(key.column));
    if (valid.length === 0) return kept.rows;
    const key = JSON.stringify(valid);
    if (kept.sorted?.key !== key) kept.sorted = { key, rows: [...kept.rows].sort(compareBy(valid)) };
    return kept.sorted.rows;
  }

  private require(id: string): KeptResult {
    const kept = this.results.get(id);
    if (!kept) {
      throw new SlayerError(
        ErrorCode.NotFound,
        'This result is no longer kept on the server (the server restarted, or newer runs replaced it). Run the query again.',
      );
    }
    return kept;
  }
}

function compareBy(keys: readonly SortKey[]): (a: Row, b: Row) => number {
  return (a, b) => {
    for (const { column, direction } of keys) {
      const order = compareValues(a[column], b[column], direction);
      if (order !== 0) return order;
    }
    return 0;
  };
}

/** NULLs sort last whichever the direction, as the engine's ORDER BY puts them (NULLS LAST). */
function compareValues(a: unknown, b: unknown, direction: SortKey['direction']): number {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) return aNull === bNull ? 0 : aNull ? 1 : -1;
  const order = compareNonNull(a, b);
  return direction === 'desc' ? -order : order;
}

function compareNonNull(a: unknown, b: unknown): number {
  const aNumber = numeric(a);
  const bNumber = numeric(b);
  if (aNumber !== undefined && bNumber !== undefined) return aNumber < bNumber ? -1 : aNumber > bNumber ? 1 : 0;
  // Numbers before text; text by code point, the same on every machine (no locale).
  if (aNumber !== undefined) return -1;
  if (bNumber !== undefined) return 1;
  const aText = typeof a === 'string' ? a : JSON.stringify(a);
  const bText = typeof b === 'string' ? b : JSON.stringify(b);
  return aText < bText ? -1 : aText > bText ? 1 : 0;
}

function numeric(value: unknown): number | bigint | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}
