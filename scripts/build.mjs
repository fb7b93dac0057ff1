// Bundles the entry points with esbuild. Type-checking is `tsc -b`'s job.
import { build } from 'esbuild';
import { chmod } from 'node:fs/promises';

const production = process.argv.includes('--production');
/**
 * Native and WebAssembly packages ship files esbuild cannot inline; they stay in node_modules.
 * pg-native is pg's optional libpq binding, loaded only through `pg.native`, which we never use.
 */
const external = ['vscode', '@duckdb/node-api', 'node-sqlite3-wasm', 'pg-native'];

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
  // The SQLite driver's worker thread; server.js and slayer-ls.js start it from their own folder.
  build({
    ...common,
    entryPoints: ['server/src/engine/drivers/sqlite-worker.ts'],
    outfile: 'dist/sqlite-worker.js',
  }),
  // The results view runs in a webview (a browser): its libraries are bundled, nothing is fetched.
  build({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    minify: true,
    sourcemap: !production,
    logLevel: 'warning',
    entryPoints: { results: 'webview/src/results.ts', 'results-style': 'webview/src/results.css' },
    outdir: 'dist/webview',
    loader: { '.woff': 'empty', '.woff2': 'empty', '.ttf': 'empty', '.svg': 'dataurl', '.png': 'dataurl' },
  }),
]);
await chmod('dist/slayer-ls.js', 0o755);
