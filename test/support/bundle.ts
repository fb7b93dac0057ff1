/**
 * Child-process scripts for the storage tests, bundled once with esbuild into
 * `.test-artifacts/bundles/`: a bundled script starts in tens of milliseconds,
 * where `node --import tsx` takes several hundred, which matters when a test
 * starts a hundred processes. node-sqlite3-wasm stays external (it loads its
 * .wasm from its own folder) and resolves from this repository's node_modules.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

const REPO = path.resolve(__dirname, '..', '..');

export async function bundleScript(entry: string): Promise<string> {
  const outdir = path.join(REPO, '.test-artifacts', 'bundles');
  mkdirSync(outdir, { recursive: true });
  const outfile = path.join(outdir, `${path.basename(entry, '.ts')}.cjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['node-sqlite3-wasm'],
    logLevel: 'warning',
  });
  return outfile;
}
