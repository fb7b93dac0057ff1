/**
 * A file's SourceMap is sealed into a compact form once decoded (start-up
 * memory, issue 9). These pin that sealing changes no answer, and that a
 * sealed map still records.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSlayerDocument } from '../../server/src/engine/document';
import { SourceMap } from '../../server/src/engine/schema/decode';

const MODEL = [
  'name: orders',
  'sql_table: orders',
  'columns:',
  '  - name: status',
  '    type: string',
  '  - name: amount',
  '    type: number',
  'measures:',
  '  - name: revenue',
  '    formula: amount:sum',
  '',
].join('\n');

function recorded(): SourceMap {
  const sources = new SourceMap();
  sources.recordValue(['name'], { start: 6, end: 12 });
  sources.recordKey(['name'], { start: 0, end: 4 });
  sources.recordValue(['columns', 0, 'name'], { start: 40, end: 46 });
  sources.recordValue(['columns'], { start: 30, end: 80 });
  const slot = sources.slotOfKey('columns.0.name', () => ['columns', 0, 'name']);
  sources.recordStringAt(slot, 40);
  return sources;
}

function answers(sources: SourceMap): unknown[] {
  return [
    sources.value(['name']),
    sources.key(['name']),
    sources.value(['columns', 0, 'name']),
    sources.value(['columns']),
    sources.value(['missing']),
    sources.best(['columns', 0, 'type']),
    sources.exactInner(['columns', 0, 'name'], 1, 3),
    sources.innermostAt(42),
    sources.innermostAt(2),
  ];
}

test('a sealed source map answers every lookup as it did before sealing', () => {
  const open = recorded();
  const sealed = recorded();
  sealed.seal();
  assert.deepEqual(answers(sealed), answers(open));
  assert.deepEqual(sealed.value(['columns', 0, 'name']), { start: 40, end: 46 });
  assert.equal(sealed.value(['missing']), undefined);
});

test('a sealed source map records again, keeping what it held', () => {
  const sources = recorded();
  sources.seal();
  sources.recordValue(['sql_table'], { start: 24, end: 30 });
  sources.recordValue(['name'], { start: 7, end: 12 });
  assert.deepEqual(sources.value(['sql_table']), { start: 24, end: 30 });
  assert.deepEqual(sources.value(['name']), { start: 7, end: 12 });
  assert.deepEqual(sources.value(['columns', 0, 'name']), { start: 40, end: 46 });
});

test('a parsed document is sealed and finds the span of every decoded field', () => {
  const doc = parseSlayerDocument('model', MODEL, { warnOnUnknownFields: true });
  const span = (path: (string | number)[]): string | undefined => {
    const found = doc.sources.value(path);
    return found && MODEL.slice(found.start, found.end);
  };
  assert.equal(span(['name']), 'orders');
  assert.equal(span(['columns', 1, 'name']), 'amount');
  assert.equal(span(['measures', 0, 'formula']), 'amount:sum');
  assert.equal(span(['columns', 0, 'type']), 'string');
  assert.equal(span(['columns', 2, 'name']), undefined);
});
