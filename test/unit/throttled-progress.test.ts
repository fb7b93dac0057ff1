/** Start-up progress passes at most one report per interval to the client, and its end always. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkDoneProgressReporter } from 'vscode-languageserver/node';
import { throttled } from '../../server/src/features/throttled-progress';

function recorder(): { reporter: WorkDoneProgressReporter; seen: string[] } {
  const seen: string[] = [];
  const reporter: WorkDoneProgressReporter = {
    begin: (title) => void seen.push(`begin ${title}`),
    report: (first: number | string, message?: string) => void seen.push(`report ${first} ${message ?? ''}`.trim()),
    done: () => void seen.push('done'),
  };
  return { reporter, seen };
}

test('reports closer together than the interval are dropped; the first, later ones and done pass', () => {
  const { reporter, seen } = recorder();
  let now = 0;
  const progress = throttled(reporter, 100, () => now);
  progress.begin('indexing', 0);
  for (const [at, share] of [
    [0, 1],
    [40, 2],
    [99, 3],
    [100, 4],
    [150, 5],
    [260, 6],
  ] as const) {
    now = at;
    progress.report(share, `reading ${share}`);
  }
  now = 261;
  progress.report('a message alone');
  progress.done();
  assert.deepEqual(seen, ['begin indexing', 'report 1 reading 1', 'report 4 reading 4', 'report 6 reading 6', 'done']);
});
