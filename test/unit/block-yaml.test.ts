/**
 * The cache patch's fast emitter writes exactly what the `yaml` package would
 * write for the same value and layout, or declines. Pinned by comparing both
 * on generated values, with strings drawn from an alphabet that holds YAML's
 * indicators, quotes, spaces, digits and keywords.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Document } from 'yaml';
import { mulberry32, type Rng } from '../../scripts/demo/data';
import { emitBlockYaml, type BlockLayout } from '../../server/src/storage/block-yaml';

const LAYOUTS: BlockLayout[] = [
  { step: 2, indentSeq: true },
  { step: 2, indentSeq: false },
];

function yamlPackageText(value: unknown, layout: BlockLayout): string {
  return new Document(value)
    .toString({ lineWidth: 0, minContentWidth: 0, indent: layout.step, indentSeq: layout.indentSeq })
    .replace(/\n$/, '');
}

const WORDS = ['column_0', 'TEXT', 'DOUBLE', 'shop', 'null', 'True', 'FALSE', 'yes', 'x', '_y', 'A-b', 'a.b', 'a/b'];
const ALPHABET = 'ab Z_09.-/:#\'"!&*?|>%@`,[]{}\t\n\ré~\u0007\u2028';

/** Lines as SQL is written, with indentation, comments and blank lines, joined at random. */
const LINES = ['SELECT a,', '  SUM(x) AS r -- c', 'FROM t', '', '   ', '\tGROUP BY 1', ' lead', 'trail ', '#x', 'é'];

function randomLines(rng: Rng): string {
  const count = 1 + Math.floor(rng() * 4);
  const lines = Array.from({ length: count }, () => LINES[Math.floor(rng() * LINES.length)] ?? '');
  return lines.join('\n') + (rng() < 0.2 ? '\n' : '');
}

function randomString(rng: Rng): string {
  if (rng() < 0.2) return randomLines(rng);
  if (rng() < 0.5) return WORDS[Math.floor(rng() * WORDS.length)] ?? '';
  const length = Math.floor(rng() * 6);
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(rng() * ALPHABET.length)] ?? '';
  return text;
}

function randomScalar(rng: Rng): unknown {
  const pick = rng();
  if (pick < 0.5) return randomString(rng);
  if (pick < 0.6) return rng() < 0.5;
  if (pick < 0.65) return null;
  if (pick < 0.8) return Math.floor(rng() * 2000) - 1000;
  const odd = [0.5, -0.25, 1e21, -0, 1 / 3, Number.NaN, Number.POSITIVE_INFINITY, 123.456];
  return odd[Math.floor(rng() * odd.length)];
}

function randomValue(rng: Rng, depth: number): unknown {
  const pick = rng();
  if (depth >= 3 || pick < 0.4) return randomScalar(rng);
  const size = Math.floor(rng() * 4);
  if (pick < 0.7) return Array.from({ length: size }, () => randomValue(rng, depth + 1));
  const map: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) map[randomString(rng)] = randomValue(rng, depth + 1);
  return map;
}

/** A column list as the cache patch writes it. */
function columnList(rng: Rng): Record<string, unknown> {
  const columns = Array.from({ length: 1 + Math.floor(rng() * 5) }, (_, i) => ({
    name: `column_${i}`,
    type: rng() < 0.5 ? 'TEXT' : 'DOUBLE',
    ...(rng() < 0.5 ? { sampled_values: [randomScalar(rng), randomScalar(rng)], distinct_count: i * 7 } : {}),
  }));
  return { columns };
}

test('whatever the fast emitter writes is byte for byte what the yaml package writes', () => {
  const rng = mulberry32(20261201);
  let emitted = 0;
  for (let i = 0; i < 3000; i++) {
    const value = i % 2 === 0 ? columnList(rng) : { key: randomValue(rng, 0) };
    for (const layout of LAYOUTS) {
      const fast = emitBlockYaml(value, layout);
      if (fast === undefined) continue;
      emitted++;
      assert.equal(fast, yamlPackageText(value, layout), JSON.stringify({ value, layout }));
    }
  }
  // The comparison means something only if the fast path took a good share of the cases.
  assert.ok(emitted > 1500, `the fast emitter wrote ${emitted} of 6000 cases`);
});

test('a plain column list takes the fast path; a string that needs quotes, or another indent step, does not', () => {
  const columns = { columns: [{ name: 'id', type: 'INT', primary_key: true, sampled_values: [1, 2] }] };
  assert.equal(emitBlockYaml(columns, { step: 2, indentSeq: true }), yamlPackageText(columns, LAYOUTS[0]!));
  assert.equal(emitBlockYaml({ key: 'a: b' }, { step: 2, indentSeq: true }), undefined);
  assert.equal(emitBlockYaml({ key: 'null' }, { step: 2, indentSeq: true }), undefined);
  assert.equal(emitBlockYaml({ key: 'line\nbreak\n' }, { step: 2, indentSeq: true }), undefined);
  const sql = { backing_query_sql: 'SELECT a,\n  SUM(x) AS r\n\nFROM t' };
  assert.equal(emitBlockYaml(sql, { step: 2, indentSeq: true }), yamlPackageText(sql, LAYOUTS[0]!));
  assert.equal(emitBlockYaml(columns, { step: 4, indentSeq: true }), undefined);
});
