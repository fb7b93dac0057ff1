/**
 * The CSV every export writes (RFC 4180): the cases that break naive
 * writers, each written out by hand from the RFC's rules.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toCsv, toJson, toTsv } from '../../shared/src/export';

test('a plain table is a header and one CRLF-ended record per row', () => {
  assert.equal(
    toCsv(
      ['region', 'n'],
      [
        { region: 'North', n: 2 },
        { region: 'South', n: 1 },
      ],
    ),
    'region,n\r\nNorth,2\r\nSouth,1\r\n',
  );
});

test('commas, quotes and line breaks are quoted, quotes doubled; the header too', () => {
  const rows = [{ 'a,b': 'x, y', q: 'say "hi"', nl: 'one\ntwo', cr: 'one\r\ntwo' }];
  assert.equal(
    toCsv(['a,b', 'q', 'nl', 'cr'], rows),
    '"a,b",q,nl,cr\r\n"x, y","say ""hi""","one\ntwo","one\r\ntwo"\r\n',
  );
});

test('NULL is an empty field and an empty string is a quoted empty field', () => {
  assert.equal(toCsv(['a', 'b', 'c'], [{ a: null, b: '', c: undefined }]), 'a,b,c\r\n,"",\r\n');
});

test('numbers keep full precision, booleans are words, lists and structs are JSON', () => {
  const rows = [{ x: 0.1 + 0.2, big: 12345678901234, flag: true, list: [1, 'a'], struct: { k: 'v, w' } }];
  assert.equal(
    toCsv(['x', 'big', 'flag', 'list', 'struct'], rows),
    'x,big,flag,list,struct\r\n0.30000000000000004,12345678901234,true,"[1,""a""]","{""k"":""v, w""}"\r\n',
  );
});

test('no rows is the header alone; text outside ASCII passes through', () => {
  assert.equal(toCsv(['café'], []), 'café\r\n');
  assert.equal(toCsv(['city'], [{ city: '東京' }]), 'city\r\n東京\r\n');
});

test('a selection copies as TSV: only each range own columns, NULL empty, tabs and newlines flattened', () => {
  const columns = ['o.month', 'o.status', 'o.n'];
  const ranges = [
    [
      { 'o.status': 'open\tnow', 'o.n': 2 },
      { 'o.status': null, 'o.n': 3 },
    ],
    [{ 'o.month': '2024-01-01' }],
  ];
  assert.equal(toTsv(ranges, columns), 'open now\t2\n\t3\n2024-01-01');
});

test('the JSON export is the CLI json: SLayer response keys, two-space indented, a final newline', () => {
  const text = toJson({ columns: ['a'], data: [{ a: null }], row_count: 1, sql: 'SELECT 1' });
  assert.equal(
    text,
    '{\n  "columns": [\n    "a"\n  ],\n  "data": [\n    {\n      "a": null\n    }\n  ],\n  "row_count": 1,\n  "sql": "SELECT 1"\n}\n',
  );
});
