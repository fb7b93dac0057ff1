// Builds the bundles and packages the extension as VSIXs in dist/:
//
//   node scripts/package.mjs        this machine's platform VSIX, dist/slayer-studio-<target>.vsix, copied to
//                                   dist/slayer-studio.vsix (the one the e2e tier installs), and the universal one
//   node scripts/package.mjs --all  a platform VSIX for every target in TARGETS, and the universal one
//
// A platform VSIX (vsce's `target`, as the Marketplace expects) holds exactly one DuckDB binding,
// @duckdb/node-bindings-<target>, at the version package-lock.json pins. dist/slayer-studio-universal.vsix holds
// none; it keeps @duckdb/node-api and @duckdb/node-bindings, so DuckDB fails to load there exactly as a platform
// VSIX fails on a platform it was not built for (DuckDB's own loader cannot find the binding it asks for), and one
// check in the server turns that into a message naming the VSIX to install (server/src/engine/drivers/connect.ts).
// This machine's binding is copied from node_modules, so `npm run package` needs no network; the others come from
// the npm registry (`npm pack`, checked against package-lock.json's integrity, cached in
// node_modules/.cache/slayer-studio-vsix/). Each VSIX is packed from a staging folder in the OS temp folder
// holding the extension's files, the production dependencies and that one binding: the repository's
// node_modules is never changed.
//
// Uses @vscode/vsce's API rather than its CLI: the CLI asks the npm registry for vsce's latest
// version whenever stdout is a terminal, and this must work offline. Every question vsce could
// ask is answered up front (LICENSE exists, repository is allowed to be missing), so it never
// prompts, whether or not CI=true.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVSIX, listFiles, PackageManager } from '@vscode/vsce';
import { familySync, MUSL } from 'detect-libc';

/** vsce targets that get a platform VSIX; server/src/engine/drivers/connect.ts's DUCKDB_TARGETS names the same. */
const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'];
const BINDING = '@duckdb/node-bindings';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const cacheDir = path.join(root, 'node_modules', '.cache', 'slayer-studio-vsix');

function build() {
  // A separate process, so a failed build stops here with esbuild's own messages.
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`build failed (exit ${result.status ?? result.signal})`);
}

/** `npm` as a child process, its stdout returned; Windows needs a shell to find npm.cmd. */
function npm(args, cwd) {
  return execFileSync('npm', [...args, '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    shell: process.platform === 'win32',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** This machine's target, or undefined when no platform VSIX is built for it (Alpine's musl, Windows on Arm). */
function hostTarget() {
  const musl = process.platform === 'linux' && familySync() === MUSL;
  const name = `${process.platform}-${process.arch}${musl ? '-musl' : ''}`;
  return TARGETS.includes(name) ? name : undefined;
}

/** Each target's binding as package-lock.json pins it, all at the version it pins for linux-x64. */
function pinnedBindings() {
  const { packages } = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const version = packages[`node_modules/${BINDING}-linux-x64`]?.version;
  if (!version) throw new Error(`package-lock.json pins no ${BINDING}-linux-x64; run npm install`);
  return new Map(
    TARGETS.map((target) => {
      const name = `${BINDING}-${target}`;
      const entry = packages[`node_modules/${name}`];
      if (entry?.version !== version || !entry.integrity) {
        throw new Error(`package-lock.json pins ${name}@${entry?.version}, not ${version} as for linux-x64`);
      }
      return [target, { name, version, integrity: entry.integrity }];
    }),
  );
}

function integrityOf(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/** The binding's npm tarball: cached, or fetched with `npm pack`; either way checked against package-lock.json. */
function bindingTarball({ name, version, integrity }) {
  const file = path.join(cacheDir, `${name.slice(1).replace('/', '-')}-${version}.tgz`);
  if (!existsSync(file) || integrityOf(file) !== integrity) {
    console.log(`Fetching ${name}@${version} from the npm registry`);
    mkdirSync(cacheDir, { recursive: true });
    npm(['pack', `${name}@${version}`, '--pack-destination', cacheDir], cacheDir);
    if (integrityOf(file) !== integrity) throw new Error(`${file} does not match package-lock.json's integrity`);
  }
  return file;
}

/** The binding's package in the staging folder: this machine's from node_modules, any other from its tarball. */
async function stageBinding(stage, binding, tarball) {
  const dest = path.join(stage, 'node_modules', binding.name);
  await mkdir(dest, { recursive: true });
  if (tarball) {
    const result = spawnSync('tar', ['-xzf', tarball, '-C', dest, '--strip-components=1'], { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`extracting ${tarball} failed (exit ${result.status ?? result.signal})`);
  } else {
    const installed = path.join(root, 'node_modules', binding.name);
    const { version } = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
    if (version !== binding.version) throw new Error(`node_modules holds ${binding.name}@${version}; run npm ci`);
    await cp(installed, dest, { recursive: true });
  }
  return dest;
}

/**
 * A staging folder with what vsce packs from: the extension's own files (those .vscodeignore lets through) and
 * every production dependency, since vsce runs `npm list --production` there. .vscodeignore still lets only the
 * database engines' packages into the VSIX. No DuckDB binding yet: each VSIX adds its own.
 */
async function stageExtension() {
  const stage = await mkdtemp(path.join(tmpdir(), 'slayer-vsix-'));
  const own = await listFiles({ cwd: root, packageManager: PackageManager.None });
  for (const file of [...own, '.vscodeignore']) await cp(path.join(root, file), path.join(stage, file));
  // Top-level packages (`name` or `@scope/name`) only: copying one copies the packages nested in it.
  const modules = path.join(root, 'node_modules');
  for (const dir of npm(['list', '--omit=dev', '--parseable', '--all'], root).split(/\r?\n/)) {
    const name = path.relative(modules, dir).split(path.sep).join('/');
    const topLevel = /^(@[^/]+\/)?[^@/.][^/]*$/.test(name);
    if (topLevel && !name.startsWith(`${BINDING}-`))
      await cp(dir, path.join(stage, 'node_modules', name), { recursive: true });
  }
  return stage;
}

async function pack(stage, target) {
  const started = Date.now();
  const vsixPath = path.join(dist, `slayer-studio-${target ?? 'universal'}.vsix`);
  await createVSIX({
    cwd: stage,
    packagePath: vsixPath,
    ...(target ? { target } : {}),
    // Pure-JS dependencies are bundled into dist/*.js; .vscodeignore lets only the database engines' packages through.
    dependencies: true,
    allowMissingRepository: true,
    // The README's screenshots are relative paths; there is no repository URL to rewrite them against.
    rewriteRelativeLinks: false,
  });
  report(vsixPath, started);
  return vsixPath;
}

function report(vsixPath, started) {
  const bytes = statSync(vsixPath).size;
  const took = started === undefined ? '' : `, ${((Date.now() - started) / 1000).toFixed(1)} s`;
  console.log(`VSIX: ${path.relative(root, vsixPath)} (${(bytes / 1024).toFixed(1)} KiB, ${bytes} bytes${took})`);
}

const started = Date.now();
const all = process.argv.includes('--all');
const host = hostTarget();
if (!all && !host) {
  throw new Error(`This machine has no platform VSIX (${TARGETS.join(', ')}); \`npm run package:all\` builds them all`);
}
const bindings = pinnedBindings();
const targets = all ? TARGETS : [host];
// Fetched before building, so a registry failure stops here, before any output is replaced.
const tarballs = new Map(targets.filter((t) => t !== host).map((t) => [t, bindingTarball(bindings.get(t))]));

build();
await mkdir(dist, { recursive: true });
const stage = await stageExtension();
try {
  await pack(stage, undefined);
  for (const target of targets) {
    const binding = await stageBinding(stage, bindings.get(target), tarballs.get(target));
    const vsixPath = await pack(stage, target);
    if (target === host) {
      const alias = path.join(dist, 'slayer-studio.vsix');
      await copyFile(vsixPath, alias);
      report(alias);
    }
    await rm(binding, { recursive: true, force: true });
  }
} finally {
  await rm(stage, { recursive: true, force: true });
}
console.log(`Packaged ${targets.length + 1} VSIXs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
