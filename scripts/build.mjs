// Bundles the three entry points with esbuild. Type-checking is `tsc -b`'s job.
import { build } from 'esbuild';
import { chmod } from 'node:fs/promises';

const production = process.argv.includes('--production');
/** Native and WebAssembly packages ship files esbuild cannot inline; they stay in node_modules. */
const external = ['vscode', '@duckdb/node-api', 'node-sqlite3-wasm'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: production,
  external,
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js' }),
  build({ ...common, entryPoints: ['server/src/main.ts'], outfile: 'dist/server.js' }),
  build({
    ...common,
    entryPoints: ['server/src/cli.ts'],
    outfile: 'dist/slayer-ls.js',
    banner: { js: '#!/usr/bin/env node' },
  }),
]);
await chmod('dist/slayer-ls.js', 0o755);
