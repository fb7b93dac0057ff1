/** The results view's cell text: SLayer's formats in full, NULL said as NULL. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCell } from '../../shared/src/number-format';

test('currency puts a one-letter symbol first and a longer one after, with two decimals by default', () => {
  assert.equal(formatCell(1234567.891, { type: 'currency' }), '$1,234,567.89');
  assert.equal(formatCell(-5, { type: 'currency', symbol: '€' }), '-€5.00');
  assert.equal(formatCell(12.5, { type: 'currency', symbol: 'CHF', precision: 0 }), '13 CHF');
});

test('percent multiplies by 100; integer rounds; float keeps its precision or up to six decimals', () => {
  assert.equal(formatCell(0.2534, { type: 'percent' }), '25.34%');
  assert.equal(formatCell(0.2534, { type: 'percent', precision: 0 }), '25%');
  assert.equal(formatCell(1234.6, { type: 'integer' }), '1,235');
  assert.equal(formatCell(3.14159, { type: 'float', precision: 2 }), '3.14');
  assert.equal(formatCell(1 / 3, { type: 'float' }), '0.333333');
});

test('values without a format are shown as they came, and NULL is not an empty string', () => {
  assert.equal(formatCell(2024, undefined), '2024');
  assert.equal(formatCell(null, { type: 'integer' }), 'NULL');
  assert.equal(formatCell('', undefined), '');
  assert.equal(formatCell({ a: 1 }, undefined), '{"a":1}');
  assert.equal(formatCell('text', { type: 'currency' }), 'text');
});
