/**
 * Plain-JavaScript reference computations for the engine tests. They read
 * the generated rows directly, so an expected value never comes from the
 * engine or from SQL.
 */
import assert from 'node:assert/strict';

export type Row = Readonly<Record<string, unknown>>;

export function groupBy<T>(rows: readonly T[], key: (row: T) => unknown): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = JSON.stringify(key(row) ?? null);
    const list = groups.get(k) ?? [];
    list.push(row);
    groups.set(k, list);
  }
  return groups;
}

export function numbers(values: readonly unknown[]): number[] {
  return values.filter((v): v is number => typeof v === 'number');
}

export const sum = (values: readonly number[]): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
export const avg = (values: readonly number[]): number | null =>
  values.length === 0 ? null : (sum(values) ?? 0) / values.length;

/** Postgres' percentile_cont: linear interpolation between closest ranks. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = p * (sorted.length - 1);
  const below = sorted[Math.floor(position)] ?? 0;
  const above = sorted[Math.ceil(position)] ?? 0;
  return below + (above - below) * (position - Math.floor(position));
}

/** Two-pass variance; `sample` divides by n - 1 and is NULL below two values. */
export function variance(values: readonly number[], sample: boolean): number | null {
  const n = values.length;
  if (n === 0 || (sample && n < 2)) return null;
  const mean = (sum(values) ?? 0) / n;
  const squares = values.reduce((acc, v) => acc + (v - mean) ** 2, 0);
  return squares / (sample ? n - 1 : n);
}

export function covariance(pairs: readonly (readonly [number, number])[], sample: boolean): number | null {
  const n = pairs.length;
  if (n === 0 || (sample && n < 2)) return null;
  const mx = pairs.reduce((a, [x]) => a + x, 0) / n;
  const my = pairs.reduce((a, [, y]) => a + y, 0) / n;
  return pairs.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / (sample ? n - 1 : n);
}

export function correlation(pairs: readonly (readonly [number, number])[]): number | null {
  const cov = covariance(pairs, false);
  const vx = variance(
    pairs.map(([x]) => x),
    false,
  );
  const vy = variance(
    pairs.map(([, y]) => y),
    false,
  );
  if (cov === null || !vx || !vy) return null;
  return cov / Math.sqrt(vx * vy);
}

/** Monday of the ISO week of a `YYYY-MM-DD...` text. */
export function mondayOf(text: string): string {
  const date = new Date(`${text.slice(0, 10)}T00:00:00Z`);
  const back = (date.getUTCDay() + 6) % 7;
  date.setUTCDate(date.getUTCDate() - back);
  return date.toISOString().slice(0, 10);
}

export function bucket(text: string, granularity: 'day' | 'week' | 'month' | 'quarter' | 'year'): string {
  const year = text.slice(0, 4);
  const month = Number(text.slice(5, 7));
  switch (granularity) {
    case 'day':
      return text.slice(0, 10);
    case 'week':
      return mondayOf(text);
    case 'month':
      return `${text.slice(0, 7)}-01`;
    case 'quarter':
      return `${year}-${String(Math.floor((month - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
    case 'year':
      return `${year}-01-01`;
  }
}

/** Numbers equal to 9 significant digits (databases sum floats in different orders). */
export function assertClose(actual: unknown, expected: number | null, what: string): void {
  if (expected === null) {
    assert.equal(actual, null, `${what}: expected NULL, got ${String(actual)}`);
    return;
  }
  assert.equal(typeof actual, 'number', `${what}: expected a number, got ${JSON.stringify(actual)}`);
  const a = actual as number;
  const tolerance = Math.max(1e-9, Math.abs(expected) * 1e-9);
  assert.ok(Math.abs(a - expected) <= tolerance, `${what}: expected ${expected}, got ${a}`);
}

/** Compares result rows keyed by dimension values with expected numbers, in any row order. */
export function assertRowsMatch(
  data: readonly Row[],
  dimensionKeys: readonly string[],
  expected: ReadonlyMap<string, Record<string, number | null>>,
  what: string,
): void {
  assert.equal(data.length, expected.size, `${what}: row count`);
  for (const row of data) {
    const key = JSON.stringify(dimensionKeys.map((k) => row[k] ?? null));
    const want = expected.get(key);
    assert.ok(want, `${what}: unexpected group ${key}`);
    for (const [field, value] of Object.entries(want)) assertClose(row[field], value, `${what} ${key} ${field}`);
  }
}
