import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { readAhead } from '../../server/src/workspace/read-ahead';

const dir = mkdtempSync(path.join(tmpdir(), 'slayer-read-ahead-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(files: readonly string[]): Promise<(string | undefined)[]> {
  const texts: (string | undefined)[] = [];
  for await (const batch of readAhead(files)) texts.push(...batch);
  return texts;
}

/** `count` files whose texts differ in length and content, so a shifted offset shows. */
function writeFiles(count: number, text: (i: number) => string): string[] {
  return Array.from({ length: count }, (_, i) => {
    const file = path.join(dir, `f${count}_${i}.yaml`);
    writeFileSync(file, text(i));
    return file;
  });
}

test('gives every file its own text, in the order asked, across several batches', async () => {
  const files = writeFiles(150, (i) => `name: m_${i}\n${'x'.repeat(i)}\n`);
  assert.deepEqual(
    await readAll(files),
    files.map((file) => readFileSync(file, 'utf8')),
  );
});

test('decodes as a synchronous UTF-8 read does: multi-byte characters, a BOM, invalid bytes', async () => {
  const files = writeFiles(3, (i) => ['\uFEFFname: café\n', 'label: 売上 📈\n', ''][i] ?? '');
  const invalid = path.join(dir, 'invalid.yaml');
  writeFileSync(invalid, Buffer.from([0x6e, 0xff, 0xfe, 0x0a]));
  const all = [...files, invalid];
  assert.deepEqual(
    await readAll(all),
    all.map((file) => readFileSync(file, 'utf8')),
  );
});

test('a file that cannot be read is undefined, and the files after it keep their texts', async () => {
  // 200 files: the main thread reads the front ones, the worker the back ones; an unreadable file in each part.
  const files = writeFiles(200, (i) => `file ${i}\n`);
  const asked = [...files];
  asked.splice(1, 0, path.join(dir, 'missing.yaml'));
  asked.splice(190, 0, dir);
  const texts = await readAll(asked);
  assert.equal(texts.length, asked.length);
  assert.deepEqual(texts.slice(0, 3), ['file 0\n', undefined, 'file 1\n']);
  assert.deepEqual(texts.slice(189, 192), ['file 188\n', undefined, 'file 189\n']);
  assert.equal(texts.at(-1), 'file 199\n');
});

test('no files: no batches', async () => {
  assert.deepEqual(await readAll([]), []);
});
