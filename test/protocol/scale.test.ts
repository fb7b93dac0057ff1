/**
 * The server on workspaces of thousands of models, over stdio: it answers
 * while it indexes (with progress), and a checkout that rewrites 500 files is
 * applied as one batch, each file's diagnostics published once. Timing is
 * the bench's business (npm run bench:lsp); these pin behaviour.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { generateWorkspace, modelText } from '../../scripts/bench/lsp/workspace';
import { TestClient } from '../support/lsp-client';

function workspaceOf(models: number): { dir: string; models: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'slayer-scale-'));
  return { dir, models: generateWorkspace(dir, models).models };
}

test('requests are answered while a large workspace is still indexing, and indexing reports progress', async () => {
  const { dir } = workspaceOf(4000);
  const client = await TestClient.start(dir, {}, {}, { awaitIndex: false });
  try {
    const symbols: unknown = await client.connection.sendRequest('workspace/symbol', { query: 'm_0_1' });
    const answeredBeforeIndexed = client.indexed.length === 0;
    assert.ok(Array.isArray(symbols));
    await client.waitFor(() => client.indexed.length > 0, 'the first index', 60_000);
    assert.ok(answeredBeforeIndexed, 'the request waited for the whole index');
    const kinds = client.progress.map((value) => value.kind);
    assert.equal(kinds[0], 'begin');
    assert.ok(kinds.includes('report'), `no progress reported: ${kinds.join(', ')}`);
    assert.equal(kinds[kinds.length - 1], 'end');
    assert.ok(client.progress.some((value) => /checking \d+ of 4120 files/.test(value.message ?? '')));
  } finally {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkout that rewrites 500 files is re-checked as one batch and each file is published once', async () => {
  const { dir, models } = workspaceOf(600);
  const client = await TestClient.start(dir);
  try {
    const changed = models.slice(0, 500);
    client.publishCounts.clear();
    for (const file of changed) {
      const [folder = 0, index = 0] = (/m_(\d+)_(\d+)\.yaml$/.exec(file) ?? []).slice(1).map(Number);
      // Every rewritten model gets one error of its own: an aggregation that does not exist.
      writeFileSync(file, modelText(folder, index).replace('formula: amount:sum', 'formula: amount:summ'));
    }
    const hasOneError = (file: string): boolean => client.diagnosticsFor(file)?.length === 1;
    await client.waitFor(() => changed.every(hasOneError), 'an error in each of the 500 files', 60_000);
    // Give a second batch the time to happen, if the server were to make one.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const file of changed) {
      assert.equal(client.publishCounts.get(pathToFileURL(file).toString()), 1, `${path.basename(file)} published`);
      assert.equal(client.diagnosticsFor(file)?.[0]?.code, 'unknown-aggregation');
    }
    const batches = client.logs.filter((line) => /file\(s\) changed on disk/.test(line));
    assert.equal(batches.length, 1, batches.join('\n'));
    // The 500 files, plus the query file of each of their 5 folders, which reads two of them.
    assert.equal(batches[0], 'SLayer: 500 file(s) changed on disk; 505 re-checked.');
    const untouched = models.slice(500);
    assert.ok(untouched.every((file) => (client.diagnosticsFor(file) ?? []).length === 0));
  } finally {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
