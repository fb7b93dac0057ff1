/**
 * The process storage-crash.test.ts kills: cache patches of one model file in
 * a loop, with random short sleeps between the steps, announcing on stdout
 * (synchronously, so the line is in the pipe before the step happens) the
 * step it reaches and the SHA-256 of the bytes each patch is about to install.
 *
 * Usage: node crash-worker.cjs <model file> <seed>
 */
import { readFileSync, writeSync } from 'node:fs';
import { mulberry32 } from '../../scripts/demo/data';
import { revisionOf } from '../../server/src/storage/revision';
import { patchYamlText } from '../../server/src/storage/yaml-patch';
import { applyPatchToFile, type PatchHooks } from '../../server/src/storage/yaml-storage';
import { cacheFor } from './refresh-model';

const say = (line: string): void => {
  writeSync(1, `${line}\n`);
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function hooks(rng: () => number): PatchHooks {
  const step = (name: string) => async (): Promise<void> => {
    say(`step ${name}`);
    if (rng() < 0.5) await sleep(rng() * 2);
  };
  return {
    afterLock: step('afterLock'),
    afterRead: step('afterRead'),
    afterCompute: step('afterCompute'),
    beforeRename: step('beforeRename'),
    afterRename: step('afterRename'),
  };
}

async function main(): Promise<void> {
  const [file = '', seed = '1'] = process.argv.slice(2);
  const rng = mulberry32(Number(seed));
  for (let patches = 0; ; patches++) {
    // After one warm patch, so the kills land in the steady loop rather than in start-up.
    if (patches === 1) say('ready');
    const bytes = readFileSync(file);
    const updates = cacheFor(bytes.toString('utf8'), Math.floor(rng() * 1e9));
    say(`next ${revisionOf(Buffer.from(patchYamlText(bytes.toString('utf8'), updates).text, 'utf8'))}`);
    const result = await applyPatchToFile(file, revisionOf(bytes), updates, hooks(rng));
    if (!result.applied) throw new Error(`a lone writer was refused: ${result.reason} ${result.detail}`);
    say('step done');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
