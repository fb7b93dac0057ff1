/**
 * The VSIXs `npm run package:all` writes to dist/, read as zips: each platform VSIX holds exactly its own DuckDB
 * binding (package, version and a `.node` file built for that platform) and no other, the universal VSIX holds
 * none, and apart from that all six hold the same files. Then, on this machine, the bundled CLI unpacked from
 * its platform VSIX runs a DuckDB query, and unpacked from the universal VSIX fails naming the VSIX to install.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DUCKDB_TARGETS } from '../../server/src/engine/drivers/connect';
import { duckDbHostPlatform } from '../support/duckdb-host';
import { makeStorageRoot } from '../support/fixtures';
import { mysqlUrl } from '../support/mysql';
import { postgresUrl } from '../support/postgres';
import { extractZip, listZip, readZip, type ZipEntry } from './zip';

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist');
const BINDING_ENTRY = /^extension\/node_modules\/@duckdb\/node-bindings-([^/]+)\//;
const MANIFEST = 'extension.vsixmanifest';
/** The manifest names the target; the content types list the binding's file extensions. */
const PER_TARGET = new Set([MANIFEST, '[Content_Types].xml']);

interface LockEntry {
  version: string;
}
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry | undefined>;
};
const PINNED = lock.packages['node_modules/@duckdb/node-bindings-linux-x64']?.version;

function vsixOf(target: string): string {
  return path.join(DIST, `slayer-studio-${target}.vsix`);
}

/** The platform a native module was built for, from its header: ELF e_machine, Mach-O cputype, PE machine. */
function builtFor(binary: Buffer): string {
  const arch = (known: Record<number, string>, value: number) => known[value] ?? `0x${value.toString(16)}`;
  if (binary.readUInt32BE(0) === 0x7f454c46) {
    return `linux-${arch({ 0x3e: 'x64', 0xb7: 'arm64' }, binary.readUInt16LE(18))}`;
  }
  if (binary.readUInt32LE(0) === 0xfeedfacf) {
    return `darwin-${arch({ 0x01000007: 'x64', 0x0100000c: 'arm64' }, binary.readUInt32LE(4))}`;
  }
  if (binary.toString('latin1', 0, 2) === 'MZ') {
    const pe = binary.readUInt32LE(0x3c);
    assert.equal(binary.toString('latin1', pe, pe + 4), 'PE\0\0');
    return `win32-${arch({ 0x8664: 'x64', 0xaa64: 'arm64' }, binary.readUInt16LE(pe + 4))}`;
  }
  return `unknown (${binary.subarray(0, 4).toString('hex')})`;
}

function bindingsIn(entries: readonly ZipEntry[]): string[] {
  return [...new Set(entries.flatMap((entry) => BINDING_ENTRY.exec(entry.name)?.[1] ?? []))];
}

/** Every entry but the DuckDB binding's and the PER_TARGET ones, with its CRC-32. */
function sharedFiles(entries: readonly ZipEntry[]): Map<string, number> {
  return new Map(
    entries.filter((e) => !PER_TARGET.has(e.name) && !BINDING_ENTRY.test(e.name)).map((e) => [e.name, e.crc32]),
  );
}

const entries = new Map<string, ZipEntry[]>();
const ALL = ['universal', ...DUCKDB_TARGETS];
const HOST = duckDbHostPlatform();
const SKIP_HOST = DUCKDB_TARGETS.includes(HOST) ? false : `no platform VSIX for this machine (${HOST})`;

before(async () => {
  assert.ok(PINNED, 'package-lock.json pins @duckdb/node-bindings-linux-x64');
  for (const target of ALL) {
    assert.ok(existsSync(vsixOf(target)), `${vsixOf(target)} is missing; run npm run package:all`);
    entries.set(target, await listZip(vsixOf(target)));
  }
});

test('dist holds one VSIX per DuckDB target the server names, the universal one, and no other', () => {
  const built = readdirSync(DIST).filter((name) => /^slayer-studio-.+\.vsix$/.test(name));
  assert.deepEqual(built.sort(), ALL.map((target) => path.basename(vsixOf(target))).sort());
});

test(`dist/slayer-studio.vsix, which the e2e tier installs, is slayer-studio-${HOST}.vsix`, { skip: SKIP_HOST }, () => {
  assert.ok(readFileSync(path.join(DIST, 'slayer-studio.vsix')).equals(readFileSync(vsixOf(HOST))));
});

for (const target of DUCKDB_TARGETS) {
  describe(`slayer-studio-${target}.vsix`, () => {
    const binding = `extension/node_modules/@duckdb/node-bindings-${target}`;

    test(`holds @duckdb/node-bindings-${target} and no other platform's binding`, () => {
      assert.deepEqual(bindingsIn(entries.get(target) ?? []), [target]);
    });

    test(`its binding is ${target}'s, at the version package-lock.json pins, with a .node built for ${target}`, async () => {
      const files = await readZip(vsixOf(target), (name) => name.startsWith(`${binding}/`) || name === MANIFEST);
      const pkg = JSON.parse(files.get(`${binding}/package.json`)?.toString() ?? '{}') as Record<string, unknown>;
      const [os, cpu] = target.split('-');
      assert.deepEqual(
        { name: pkg.name, version: pkg.version, os: pkg.os, cpu: pkg.cpu },
        { name: `@duckdb/node-bindings-${target}`, version: PINNED, os: [os], cpu: [cpu] },
      );
      const native = files.get(`${binding}/duckdb.node`);
      assert.ok(native, `${binding}/duckdb.node is in the VSIX`);
      assert.equal(builtFor(native), target);
      // The library the .node links against: libduckdb.so, libduckdb.dylib or duckdb.dll.
      const library = [...files.keys()].filter((name) => /\/(lib)?duckdb\.(so|dylib|dll)$/.test(name));
      assert.equal(library.length, 1, `one DuckDB library in ${binding}: ${library.join(', ')}`);
      assert.ok((files.get(library[0] ?? '')?.length ?? 0) > 10_000_000, 'the DuckDB library is the real one');
      assert.match(files.get(MANIFEST)?.toString() ?? '', new RegExp(`TargetPlatform="${target}"`));
    });
  });
}

describe('slayer-studio-universal.vsix', () => {
  test('holds no DuckDB binding and names no target platform, but keeps DuckDB’s loader', async () => {
    const names = (entries.get('universal') ?? []).map((entry) => entry.name);
    assert.deepEqual(bindingsIn(entries.get('universal') ?? []), []);
    assert.deepEqual(
      names.filter((name) => name.endsWith('.node')),
      [],
    );
    for (const kept of ['@duckdb/node-api/package.json', '@duckdb/node-bindings/duckdb.js']) {
      assert.ok(names.includes(`extension/node_modules/${kept}`), kept);
    }
    const manifest = (await readZip(vsixOf('universal'), (name) => name === MANIFEST)).get(MANIFEST);
    assert.doesNotMatch(manifest?.toString() ?? '', /TargetPlatform/);
  });
});

test('apart from the binding, the manifest and the content types, every VSIX holds the same files, byte for byte', () => {
  const universal = sharedFiles(entries.get('universal') ?? []);
  const needed = [
    'dist/server.js',
    'dist/client.js',
    'dist/slayer-ls.js',
    'dist/vendor/pg.js',
    'dist/vendor/mysql2.js',
    'dist/vendor/tedious.js',
    'node_modules/node-sqlite3-wasm',
  ];
  for (const file of needed) {
    assert.ok(
      [...universal.keys()].some((name) => name.startsWith(`extension/${file}`)),
      `extension/${file}`,
    );
  }
  for (const target of DUCKDB_TARGETS) {
    assert.deepEqual(sharedFiles(entries.get(target) ?? []), universal, `slayer-studio-${target}.vsix`);
  }
});

describe('the bundled CLI, unpacked from a VSIX, on a DuckDB datasource', () => {
  const unpacked = mkdtempSync(path.join(tmpdir(), 'slayer-vsix-unpacked-'));
  const storage = makeStorageRoot({
    'datasources/warehouse.yaml': 'name: warehouse\ntype: duckdb\ndatabase: ":memory:"\n',
    'models/answers.yaml':
      'name: answers\nsql: SELECT 42 AS answer\ndata_source: warehouse\ncolumns:\n  - name: answer\n    type: INT\n',
  });
  after(() => {
    rmSync(unpacked, { recursive: true, force: true });
    rmSync(storage.root, { recursive: true, force: true });
  });

  async function query(target: string) {
    const dir = path.join(unpacked, target);
    await extractZip(vsixOf(target), dir);
    const cli = path.join(dir, 'extension', 'dist', 'slayer-ls.js');
    const args = ['query', '{"source_model":"answers","measures":["answer:sum"]}', '--format', 'json'];
    return spawnSync(process.execPath, [cli, ...args, '--storage', '.', '--no-write-back'], {
      cwd: storage.root,
      encoding: 'utf8',
    });
  }

  test(`from slayer-studio-${HOST}.vsix, runs the query`, { skip: SKIP_HOST }, async () => {
    const result = await query(HOST);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual((JSON.parse(result.stdout) as { data: unknown }).data, [{ 'answers.answer_sum': 42 }]);
  });

  test(
    `from slayer-studio-universal.vsix, fails saying to install slayer-studio-${HOST}.vsix`,
    { skip: SKIP_HOST },
    async () => {
      const result = await query('universal');
      assert.equal(result.status, 1, result.stdout);
      assert.match(
        result.stderr,
        new RegExp(
          `Datasource 'warehouse': DuckDB needs the platform build of SLayer Studio, .*: ` +
            `install slayer-studio-${HOST}\\.vsix \\(or the Marketplace's build for your platform\\)`,
        ),
      );
    },
  );
});

describe('the bundled CLI, unpacked from the universal VSIX, on server databases', () => {
  const unpacked = mkdtempSync(path.join(tmpdir(), 'slayer-vsix-clients-'));
  let cli = '';
  before(async () => {
    await extractZip(vsixOf('universal'), unpacked);
    cli = path.join(unpacked, 'extension', 'dist', 'slayer-ls.js');
  });
  after(() => rmSync(unpacked, { recursive: true, force: true }));

  /** A model on `type` at `url` answering 42, queried by the unpacked CLI outside this repository. */
  function answerFrom(type: string, url: string) {
    const storage = makeStorageRoot({
      'datasources/warehouse.yaml': `name: warehouse\ntype: ${type}\nconnection_string: ${url}\n`,
      'models/answers.yaml':
        'name: answers\nsql: SELECT 42 AS answer\ndata_source: warehouse\ncolumns:\n  - name: answer\n    type: INT\n',
    });
    try {
      const args = ['query', '{"source_model":"answers","measures":["answer:sum"]}', '--format', 'json'];
      const result = spawnSync(process.execPath, [cli, ...args, '--storage', '.', '--no-write-back'], {
        cwd: storage.root,
        encoding: 'utf8',
      });
      assert.equal(result.status, 0, result.stderr);
      return (JSON.parse(result.stdout) as { data: { 'answers.answer_sum': unknown }[] }).data;
    } finally {
      rmSync(storage.root, { recursive: true, force: true });
    }
  }

  // The client libraries ship as dist/vendor/*.js, loaded on first connection: these fail when one is missing.
  test('Postgres, through dist/vendor/pg.js', async () => {
    assert.deepEqual(answerFrom('postgres', await postgresUrl()), [{ 'answers.answer_sum': 42 }]);
  });

  test('MariaDB, through dist/vendor/mysql2.js', async () => {
    assert.deepEqual(answerFrom('mysql', await mysqlUrl()), [{ 'answers.answer_sum': 42 }]);
  });

  // No SQL Server here (the driver's own tests use a TDS stand-in): this pins that the client loads on its own.
  test('dist/vendor/tedious.js loads with nothing beside it, and holds no Azure sign-in library', () => {
    const file = path.join(unpacked, 'extension', 'dist', 'vendor', 'tedious.js');
    const script = `if (typeof require(${JSON.stringify(file)}).Connection !== 'function') throw new Error('no Connection');`;
    const result = spawnSync(process.execPath, ['-e', script], { cwd: tmpdir(), encoding: 'utf8' });
    assert.doesNotMatch(readFileSync(file, 'utf8'), /node_modules\/@azure\/msal-node\//);
    assert.equal(result.status, 0, result.stderr);
  });
});
