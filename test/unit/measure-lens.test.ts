/** The title of a saved measure's lens: Run, then the last value and how long ago it was computed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureLensTitle } from '../../server/src/features/code-lenses';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

test('before any run the lens only offers to run', () => {
  assert.equal(measureLensTitle(undefined, NOW), '$(play) Run');
});

test('a number is grouped with two decimals at most, and the age is in minutes, hours, then days', () => {
  const at = (minutesAgo: number): number => NOW - minutesAgo * 60_000;
  assert.equal(measureLensTitle({ value: 1234567.891, at: at(2) }, NOW), '$(play) Run · 1,234,567.89 (2 min ago)');
  assert.equal(measureLensTitle({ value: 15, at: at(0.5) }, NOW), '$(play) Run · 15 (just now)');
  assert.equal(measureLensTitle({ value: 0.5, at: at(125) }, NOW), '$(play) Run · 0.5 (2 h ago)');
  assert.equal(measureLensTitle({ value: 3, at: at(3 * 24 * 60) }, NOW), '$(play) Run · 3 (3 d ago)');
});

test('NULL and an empty result are said as such, not as 0', () => {
  assert.equal(measureLensTitle({ value: null, at: NOW }, NOW), '$(play) Run · NULL (just now)');
  assert.equal(measureLensTitle({ value: undefined, at: NOW }, NOW), '$(play) Run · no rows (just now)');
});

test("a measure's own format is used, as in the grid", () => {
  const currency = { type: 'currency' as const, precision: 2 };
  assert.equal(
    measureLensTitle({ value: 3860.456, at: NOW, format: currency }, NOW),
    '$(play) Run · $3,860.46 (just now)',
  );
  assert.equal(
    measureLensTitle({ value: 0.25, at: NOW, format: { type: 'percent', precision: 0 } }, NOW),
    '$(play) Run · 25% (just now)',
  );
});
