/**
 * The fast reader must build exactly what the `yaml` package builds (kinds,
 * values, scalar styles, flow flags, value ranges) or give up. Checked on
 * the formatter's generator of SLayer files written every which way, on
 * random edits of them (most of which break something), and on the bench's
 * and the demo's model files, which it must read itself.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { isMap, isScalar, isSeq, parseAllDocuments, type Node as YamlNode } from 'yaml';
import { mulberry32 } from '../../scripts/demo/data';
import { generateDemo } from '../../scripts/demo/generate';
import { modelText } from '../../scripts/bench/lsp/workspace';
import { parseFastYaml } from '../../server/src/engine/schema/fast-yaml';
import { generateFile } from '../support/random-yaml';

const FILES = 3000;
const EDITS_PER_FILE = 3;

/** A node as text: kind, value, style, flow flag and value range, children indented. */
function describe(node: unknown, depth = 0): string {
  const pad = ' '.repeat(depth);
  const range = (n: YamlNode): string => `${n.range?.[0]}-${n.range?.[1]}`;
  if (isMap(node)) {
    const pairs = node.items.map((pair) => describe(pair.key, depth + 1) + describe(pair.value, depth + 2));
    return `${pad}map ${range(node)} flow=${Boolean(node.flow)}\n${pairs.join('')}`;
  }
  if (isSeq(node)) {
    const items = node.items.map((item) => describe(item, depth + 1));
    return `${pad}seq ${range(node)} flow=${Boolean(node.flow)}\n${items.join('')}`;
  }
  if (isScalar(node)) return `${pad}${JSON.stringify(node.value)} ${String(node.type)} ${range(node)}\n`;
  return `${pad}${String(node)}\n`;
}

/** What the `yaml` package reads, when it reads it cleanly as one document; undefined otherwise. */
function reference(text: string): string | undefined {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  if (!Array.isArray(docs) || docs.length !== 1) return undefined;
  const [doc] = docs;
  if (!doc || doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
  return describe(doc.contents);
}

/** Compares the readers on `text`; returns whether the fast one read it. */
function agreeOn(text: string, label: string): boolean {
  const fast = parseFastYaml(text);
  if (!fast) return false;
  const expected = reference(text);
  assert.ok(expected !== undefined, `${label}: the fast reader accepted what the yaml package rejects:\n${text}`);
  assert.equal(describe(fast), expected, `${label}:\n${text}`);
  return true;
}

function mutate(text: string, seed: number): string {
  const rng = mulberry32(seed);
  const at = Math.floor(rng() * (text.length + 1));
  const pieces = [' ', '  ', '\n', '- ', ': ', '#', '"', "'", '[', ']', ',', '|', 'x', '0', '-', '\n  '];
  const piece = pieces[Math.floor(rng() * pieces.length)] ?? ' ';
  const cut = Math.floor(rng() * 3);
  return text.slice(0, at) + (rng() < 0.5 ? piece : '') + text.slice(at + cut);
}

test('on generated SLayer files and random edits of them, the fast reader agrees with the yaml package or gives up', () => {
  let read = 0;
  let mutatedRead = 0;
  for (let seed = 1; seed <= FILES; seed++) {
    const { text } = generateFile(seed);
    if (agreeOn(text, `file ${seed}`)) read++;
    for (let edit = 0; edit < EDITS_PER_FILE; edit++) {
      if (agreeOn(mutate(text, seed * 31 + edit), `file ${seed}, edit ${edit}`)) mutatedRead++;
    }
  }
  // The generator writes anchors, tags, CRLF, folded and multi-line scalars on purpose; the rest must be read.
  assert.ok(read > FILES / 10, `only ${read} of ${FILES} generated files were read fast`);
  assert.ok(mutatedRead > 0, 'no edited file was read fast: the edits test nothing');
});

test('the fast reader reads the model files people and the generators write', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'slayer-fast-yaml-'));
  try {
    const demo = await generateDemo(dir, {});
    const modelsDir = path.join(demo.storageRoot, 'models');
    const files = readdirSync(modelsDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length > 0);
    for (const file of files) {
      const text = readFileSync(path.join(modelsDir, file), 'utf8');
      assert.ok(agreeOn(text, file), `the demo's ${file} was not read fast`);
    }
    for (let index = 0; index < 5; index++) assert.ok(agreeOn(modelText(3, index), `bench model ${index}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the fast reader gives up on what it does not read exactly', () => {
  const cases = [
    'a: &x 1\nb: *x\n',
    'a: !!str 1\n',
    'a: {b: 1,\n  c: 2}\n',
    'a: {b: 1, b: 2}\n',
    'a: {b}\n',
    'a: {b:1}\n',
    'a: >\n  one\n\n  two\n',
    'a: >\n  one\n    more\n',
    'a: >\n  trailing \n  space\n',
    'a: >+\n  kept\n',
    'a: one\n  two\n',
    'a: "esc\\n"\n',
    'a: 1\na: 2\n',
    'a: 1\r\n',
    '---\na: 1\n',
    'a: 0x1F\n',
    'a: .inf\n',
    'a: 2024-01-01\n',
    '- - nested\n',
  ];
  for (const text of cases) assert.equal(parseFastYaml(text), undefined, JSON.stringify(text));
});

test('one-line flow mappings and folded scalars of whole lines are read fast', () => {
  const cases = [
    'a: {b: 1, "c d": [x, {e: f}], g: {}}\n',
    '- {dimension: ordered_at, granularity: month}   # a comment\n- {formula: "amount:sum", name: revenue}\n',
    'a: >\n  one\n  two\nb: 1\n',
    'a: >-\n    one\n    two\n\n\nb: 1\n',
  ];
  for (const text of cases) assert.ok(agreeOn(text, JSON.stringify(text)), `not read fast: ${JSON.stringify(text)}`);
});

test('on generated folded scalars, the fast reader agrees with the yaml package or gives up', () => {
  const words = ['one', 'two', 'x: y', '#not a comment', "it's", '"q"', '- dash', '  more', '', 'end '];
  let read = 0;
  for (let seed = 1; seed <= 500; seed++) {
    const rng = mulberry32(seed);
    const pick = (): string => words[Math.floor(rng() * words.length)] ?? '';
    const indent = ' '.repeat(1 + Math.floor(rng() * 4));
    const lines = Array.from({ length: 1 + Math.floor(rng() * 4) }, () => indent + pick());
    const header = rng() < 0.5 ? '>' : '>-';
    const after = rng() < 0.5 ? 'b: 1\n' : '';
    const text = `a: ${header}\n${lines.join('\n')}\n${rng() < 0.3 ? '\n' : ''}${after}`;
    if (agreeOn(text, `folded ${seed}`)) read++;
  }
  assert.ok(read > 50, `only ${read} of 500 folded scalars were read fast`);
});

test('values resolve as YAML 1.2 core: null, booleans, integers and decimals, else strings', () => {
  const text = 'a: ~\nb: True\nc: -0\nd: 12\ne: 1.50\nf: yes\ng: NULL\nh: "1"\n';
  assert.ok(agreeOn(text, 'scalars'));
});
