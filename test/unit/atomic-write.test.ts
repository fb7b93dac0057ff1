/**
 * writeTempWhileChecking: a patch's bytes go to a temp file, and are synced,
 * while the patch is checked; only a checked temp file is handed back, and
 * nothing is left behind otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { TEMP_MARKER, writeTempWhileChecking } from '../../server/src/storage/atomic-write';

const root = mkdtempSync(path.join(tmpdir(), 'slayer-atomic-write-'));
after(() => rmSync(root, { recursive: true, force: true }));

function freshTarget(name: string): string {
  const dir = mkdtempSync(path.join(root, `${name}-`));
  return path.join(dir, 'model.yaml');
}

function tempFilesBeside(target: string): string[] {
  return readdirSync(path.dirname(target)).filter((entry) => entry.includes(TEMP_MARKER));
}

test('a passing check gets the temp file, whose bytes were already written when the check ran', async () => {
  const target = freshTarget('pass');
  const bytes = Buffer.from('name: m\ncolumns: []\n');
  let seenDuringCheck: string[] = [];
  const temp = await writeTempWhileChecking(target, bytes, () => {
    seenDuringCheck = tempFilesBeside(target).map((entry) =>
      readFileSync(path.join(path.dirname(target), entry), 'utf8'),
    );
    return true;
  });
  assert.ok(temp !== undefined);
  assert.equal(path.dirname(temp), path.dirname(target));
  assert.deepEqual(readFileSync(temp), bytes);
  assert.deepEqual(seenDuringCheck, [bytes.toString()]);
});

test('a failing check gets undefined and leaves no temp file', async () => {
  const target = freshTarget('fail');
  const temp = await writeTempWhileChecking(target, Buffer.from('name: m\n'), () => false);
  assert.equal(temp, undefined);
  assert.deepEqual(tempFilesBeside(target), []);
});

test('a check that throws passes its error on and leaves no temp file', async () => {
  const target = freshTarget('throw');
  await assert.rejects(
    writeTempWhileChecking(target, Buffer.from('name: m\n'), () => {
      throw new Error('check broke');
    }),
    /check broke/,
  );
  assert.deepEqual(tempFilesBeside(target), []);
});

test('a temp file that cannot be written fails the call, whatever the check says', async () => {
  const target = path.join(root, 'no-such-folder', 'model.yaml');
  let checked = false;
  await assert.rejects(
    writeTempWhileChecking(target, Buffer.from('name: m\n'), () => (checked = true)),
    /ENOENT/,
  );
  assert.equal(checked, true);
});
