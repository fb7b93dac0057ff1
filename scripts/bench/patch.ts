/**
 * `npm run bench`, cache write-back: the latency of a revision-checked cache
 * patch of a realistic query-backed model file (comments, 40 columns,
 * measures, joins), end to end (lock, re-read, patch, temp file, fsync,
 * rename, folder fsync, release), and of the pure text patch alone.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ColumnDef } from '../../server/src/engine/schema/types';
import { revisionOf } from '../../server/src/storage/revision';
import type { CacheUpdates } from '../../server/src/storage/types';
import { patchYamlText } from '../../server/src/storage/yaml-patch';
import { applyPatchToFile } from '../../server/src/storage/yaml-storage';
import { describe, summarize } from './stats';
import { fsyncDirectory, writeTempFile } from '../../server/src/storage/atomic-write';
import { rename } from 'node:fs/promises';

const PATCHES = 200;
const COLUMNS = 40;

function realisticModel(): string {
  const lines = [
    '# Revenue per store and month: query-backed.',
    '# columns, backing_query_sql and data_source are engine-managed.',
    'version: 7',
    'name: store_revenue_monthly',
    'description: >',
    '  Revenue, orders and average order value per store and month,',
    '  for the weekly business review.',
    'source_queries:',
    '  - name: base',
    '    source_model: orders',
    '    dimensions: [stores.name, customers.region]   # store and region',
    '    time_dimensions:',
    '      - {dimension: ordered_at, granularity: month}',
    '    measures:',
    '      - {formula: "amount:sum", name: revenue}',
    '      - "*:count"',
    '    filters: ["status != \'test\'"]',
    '  - source_model: base',
    '    measures: [revenue:sum]',
    'query_variables: {region: West}',
    'measures:',
    '  - {name: aov, formula: "revenue:sum / _count:sum"}',
    'joins:',
    '  - target_model: stores',
    '    join_pairs: [[stores__name, name]]',
    'meta:',
    '  owner: analytics   # ask in #data',
    'data_source: shop',
    'columns:',
  ];
  for (let i = 0; i < COLUMNS; i++) lines.push(`  - name: column_${i}`, `    type: ${i % 3 === 0 ? 'TEXT' : 'DOUBLE'}`);
  lines.push('backing_query_sql: SELECT 1', '');
  return lines.join('\n');
}

function updatesFor(round: number): CacheUpdates {
  const columns: ColumnDef[] = Array.from({ length: COLUMNS }, (_, i) => ({
    name: `column_${i}`,
    type: (i + round) % 3 === 0 ? 'TEXT' : 'DOUBLE',
    primary_key: false,
    hidden: false,
  }));
  return {
    columns,
    backing_query_sql: `SELECT stores.name AS stores__name,\n  SUM(amount) AS revenue -- round ${round}\nFROM orders\nGROUP BY 1`,
    data_source: 'shop',
  };
}

export async function benchPatch(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'slayer-bench-patch-'));
  try {
    const file = path.join(dir, 'store_revenue_monthly.yaml');
    const text = realisticModel();
    writeFileSync(file, text);
    for (let warm = 0; warm < 20; warm++) patchYamlText(text, updatesFor(warm));
    const pure: number[] = [];
    const whole: number[] = [];
    const raw: number[] = [];
    const rawTarget = path.join(dir, 'raw.yaml');
    for (let round = 0; round < PATCHES; round++) {
      // A text no patch has seen (a unique trailing comment), so the timing includes both of its parses.
      const unseen = `${text}# round ${round}\n`;
      const start = process.hrtime.bigint();
      patchYamlText(unseen, updatesFor(round + 1));
      pure.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    // Patches in a row, as a refresh writes them: each finds the bytes the one before it wrote.
    for (let round = 0; round < PATCHES; round++) {
      const bytes = readFileSync(file);
      const updates = updatesFor(round + 1);
      let start = process.hrtime.bigint();
      const result = await applyPatchToFile(file, revisionOf(bytes), updates);
      whole.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (!result.applied || !result.changed)
        throw new Error(`bench patch ${round} did not write: ${JSON.stringify(result)}`);
      // The baseline, beside it in the same run: the same bytes written durably with no lock and no checks.
      const written = readFileSync(file);
      start = process.hrtime.bigint();
      await durableWrite(rawTarget, written);
      raw.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    console.log(`cache patch of a ${COLUMNS}-column query-backed model (${text.length} bytes), ${PATCHES} patches`);
    console.log(`  end to end (lock, re-read, patch, temp file, fsync, rename, release): ${describe(whole)}`);
    console.log(`  text patch alone, of a text it has not seen (parse, edit, verify): ${describe(pure)}`);
    console.log(`  raw durable write of the same bytes (temp file, fsync, rename, folder fsync): ${describe(raw)}`);
    const ratio = summarize(whole).p95 / summarize(raw).p95;
    console.log(`  patch p95 / raw write p95: ${ratio.toFixed(2)} (goal <= 3)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function durableWrite(target: string, bytes: Buffer): Promise<void> {
  const temp = await writeTempFile(target, bytes);
  await rename(temp, target);
  await fsyncDirectory(path.dirname(target));
}
