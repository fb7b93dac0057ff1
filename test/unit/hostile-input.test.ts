import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSlayerDocument } from '../../server/src/engine/document';
import { MAX_FILE_BYTES } from '../../server/src/engine/schema/yaml-source';
import { checkText } from '../support/check';

const options = { warnOnUnknownFields: true };

describe('hostile and malformed input never crashes the checker', () => {
  test('an alias bomb stops at the alias budget with a diagnostic', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) {
      lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    }
    lines.push('name: bomb', 'sql_table: t', 'data_source: d', 'meta: {payload: *a11}');
    const started = process.hrtime.bigint();
    const doc = parseSlayerDocument('model', lines.join('\n'), options);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(doc.parseProblems.some((p) => p.code === 'alias-limit'));
    // Not a timing assertion on speed, only that the walk is bounded rather than exponential (10^11 nodes).
    assert.ok(elapsedMs < 60_000);
  });

  test('a file over the size limit is reported, not parsed', () => {
    const doc = parseSlayerDocument('model', `name: big\n# ${'x'.repeat(MAX_FILE_BYTES)}\n`, options);
    assert.deepEqual(
      doc.parseProblems.map((p) => p.code),
      ['file-too-large'],
    );
    assert.equal(doc.model, undefined);
  });

  test('a model that is a list, a scalar or empty gets one clear error', () => {
    for (const [text, expected] of [
      ['- a\n- b\n', /expected a model \(a mapping\), got a list/],
      ['just text\n', /expected a model \(a mapping\), got a string/],
      ['', /The file is empty/],
    ] as const) {
      const checked = checkText('model', text);
      assert.equal(checked.problems.length, 1, text);
      assert.match(checked.problems[0]?.message ?? '', expected);
    }
  });

  test('non-string keys and deeply nested garbage are reported, not thrown', () => {
    const text = 'name: x\nsql_table: t\ndata_source: d\n? [a, b]\n: 1\ncolumns: {not: a list}\n';
    const checked = checkText('model', text);
    assert.ok(checked.problems.some((p) => p.message.includes('keys must be strings')));
    assert.ok(checked.problems.some((p) => p.message.includes('columns: expected columns (a list), got a mapping')));
  });

  test('path-traversal names are rejected as model and datasource names', () => {
    const model = checkText('model', 'name: ../../etc/passwd\nsql_table: t\ndata_source: d\n');
    assert.ok(model.problems.some((p) => p.code === 'invalid-name'));
    const datasource = checkText('datasource', 'name: ../../x\ntype: sqlite\n');
    assert.ok(datasource.problems.some((p) => p.code === 'invalid-name' && p.message.includes('"/"')));
  });
});
