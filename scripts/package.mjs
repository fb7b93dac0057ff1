// Builds the bundles and packages the extension into dist/slayer-studio.vsix.
//
// Uses @vscode/vsce's API rather than its CLI: the CLI asks the npm registry for vsce's latest
// version whenever stdout is a terminal, and this must work offline. Every question vsce could
// ask is answered up front (LICENSE exists, repository is allowed to be missing), so it never
// prompts, whether or not CI=true.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVSIX } from '@vscode/vsce';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vsixPath = path.join(root, 'dist', 'slayer-studio.vsix');

function build() {
  // A separate process, so a failed build stops here with esbuild's own messages.
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`build failed (exit ${result.status ?? result.signal})`);
}

build();
await mkdir(path.dirname(vsixPath), { recursive: true });
await createVSIX({
  cwd: root,
  packagePath: vsixPath,
  // Pure-JS dependencies are bundled into dist/*.js; .vscodeignore lets only the database engines' packages through.
  dependencies: true,
  allowMissingRepository: true,
});
const bytes = statSync(vsixPath).size;
console.log(`VSIX: ${vsixPath} (${(bytes / 1024).toFixed(1)} KiB, ${bytes} bytes)`);
