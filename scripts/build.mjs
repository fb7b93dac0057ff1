// Bundles the entry points with esbuild. Type-checking is `tsc -b`'s job.
import { build } from 'esbuild';
import { chmod, writeFile } from 'node:fs/promises';

const production = process.argv.includes('--production');
/**
 * Native and WebAssembly packages ship files esbuild cannot inline; they stay in node_modules.
 * pg-native is pg's optional libpq binding, loaded only through `pg.native`, which we never use.
 */
const external = ['vscode', '@duckdb/node-api', 'node-sqlite3-wasm', 'pg-native'];

/**
 * Database client libraries, each bundled into dist/vendor/<name>.js on its own and required from
 * there by the driver that uses it, on its first connection. Parsing them is half the cost of loading
 * server.js (mysql2 alone is 1.1 MB), and a workspace that never connects to MySQL should not pay it
 * at every start.
 */
const clients = ['mysql2', 'pg', 'tedious'];
const clientsLoadOnUse = {
  name: 'clients-load-on-use',
  setup(build) {
    const names = new RegExp(`^(${clients.join('|')})$`);
    build.onResolve({ filter: names }, (args) => ({ path: `./vendor/${args.path}.js`, external: true }));
  },
};

/**
 * tedious (SQL Server) requires @azure/identity for Azure AD sign-in, which SLayer Studio does not offer:
 * sqlserver-config.ts refuses those sign-ins before tedious is reached. In its place, a module whose
 * credentials throw keeps @azure/identity and MSAL (about 1.2 MB) out of dist/vendor/tedious.js.
 */
const withoutAzureIdentity = {
  name: 'without-azure-identity',
  setup(build) {
    build.onResolve({ filter: /^@azure\/identity$/ }, (args) =>
      /[\\/]node_modules[\\/]tedious[\\/]/.test(args.importer) ? { path: 'identity', namespace: 'refused' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'refused' }, () => ({
      loader: 'js',
      contents: `class Refused { constructor() { throw new Error('Azure AD sign-in is not available in SLayer Studio.'); } }
module.exports = { ClientSecretCredential: Refused, DefaultAzureCredential: Refused,
  ManagedIdentityCredential: Refused, UsernamePasswordCredential: Refused };`,
    }));
  },
};

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
  build({ ...common, entryPoints: ['server/src/main.ts'], outfile: 'dist/server.js', plugins: [clientsLoadOnUse] }),
  build({
    ...common,
    plugins: [withoutAzureIdentity],
    entryPoints: Object.fromEntries(clients.map((name) => [name, name])),
    outdir: 'dist/vendor',
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
// The CLI is in server.js, beside the language server: the package carries one copy of the engine.
await writeFile(
  'dist/slayer-ls.js',
  "#!/usr/bin/env node\n'use strict';\nrequire('./server.js').runCli(process.argv.slice(2));\n",
);
await chmod('dist/slayer-ls.js', 0o755);
