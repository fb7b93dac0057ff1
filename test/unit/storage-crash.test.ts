/**
 * SIGKILL of a process in the middle of cache patches, at random moments
 * (random delays, and random sleeps between the patch's steps). Pins: after
 * every kill the model file parses and holds exactly the bytes before the
 * interrupted patch or exactly the bytes it was installing, never a mix; and
 * once `recoverStorage` has run (the next start), no temp file, lock or lock
 * intent remains and the next patch goes through.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { mulberry32 } from '../../scripts/demo/data';
import { revisionOf } from '../../server/src/storage/revision';
import { applyPatchToFile, recoverStorage } from '../../server/src/storage/yaml-storage';
import { bundleScript } from '../support/bundle';
import { makeStorageRoot } from '../support/fixtures';
import { cacheFor, MODEL_NAME, randomShape, userModelText } from '../support/refresh-model';
import { parseOne } from '../support/yaml-fidelity';

const CRASH_POINTS = 110;
const PARALLEL = 2;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface CrashOutcome {
  /** The last step the killed process announced: where (roughly) it died. */
  lastStep: string;
  /** Patches it completed before the kill. */
  completed: number;
}

/** Starts the worker, lets it run for `delayMs` after it is ready, kills it, and checks the file. */
async function crashOnce(script: string, seed: number): Promise<CrashOutcome> {
  const rng = mulberry32(seed);
  const fixture = makeStorageRoot({ [`models/shop/${MODEL_NAME}.yaml`]: userModelText(0, randomShape(rng)) });
  const file = fixture.file(`models/shop/${MODEL_NAME}.yaml`);
  const initial = revisionOf(readFileSync(file));
  const child = spawn(process.execPath, [script, file, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready\n')) resolve();
    });
    child.on('close', () => reject(new Error(`worker exited before it was ready: ${stderr}`)));
  });
  await sleep(rng() * 30);
  child.kill('SIGKILL');
  await exited;
  assert.equal(stderr, '', 'the worker itself never failed');

  const lines = stdout.trim().split('\n');
  const announced = lines.filter((line) => line.startsWith('next ')).map((line) => line.slice(5));
  const valid = [announced[announced.length - 2] ?? initial, announced[announced.length - 1] ?? initial];
  const bytes = readFileSync(file);
  parseOne(bytes.toString('utf8'));
  assert.ok(valid.includes(revisionOf(bytes)), 'the file holds the old bytes or the new bytes, nothing else');

  await recoverStorage(fixture.root);
  assert.deepEqual(
    readdirSync(path.dirname(file)),
    [`${MODEL_NAME}.yaml`],
    'no temp file, lock or intent survives recovery',
  );
  const next = await applyPatchToFile(file, revisionOf(bytes), cacheFor(bytes.toString('utf8'), 1e9 + seed));
  assert.ok(next.applied, 'the next patch is not blocked by anything the crash left');
  const steps = lines.filter((line) => line.startsWith('step '));
  return {
    lastStep: lines[lines.length - 1]?.startsWith('next ')
      ? 'computed'
      : (steps[steps.length - 1]?.slice(5) ?? 'start'),
    completed: steps.filter((line) => line === 'step done').length,
  };
}

test(`SIGKILL at ${CRASH_POINTS} random points of a patch: the file is the old or the new bytes, and recovery leaves nothing`, async (t) => {
  const script = await bundleScript(path.join(__dirname, '..', 'support', 'crash-worker.ts'));
  const byStep: Record<string, number> = {};
  let completed = 0;
  for (let start = 0; start < CRASH_POINTS; start += PARALLEL) {
    const batch = Array.from({ length: Math.min(PARALLEL, CRASH_POINTS - start) }, (_, i) =>
      crashOnce(script, 1000 + start + i),
    );
    for (const outcome of await Promise.all(batch)) {
      byStep[outcome.lastStep] = (byStep[outcome.lastStep] ?? 0) + 1;
      completed += outcome.completed;
    }
  }
  t.diagnostic(`crash points tried: ${CRASH_POINTS}; patches completed before the kills: ${completed}`);
  t.diagnostic(`last step announced before each kill: ${JSON.stringify(byStep)}`);
  assert.ok(Object.keys(byStep).length >= 4, 'the kills landed at several different steps');
});
