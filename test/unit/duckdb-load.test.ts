/**
 * A DuckDB whose native binding is not installed (the universal VSIX ships none, a platform VSIX only its own)
 * fails with one typed error naming the VSIX to install. The first case takes the error from DuckDB's own
 * packages, copied into a folder without any binding, as the universal VSIX lays them out.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { ErrorCode, SlayerError } from '../../shared/src/errors';
import { DUCKDB_TARGETS, duckDbLoadError } from '../../server/src/engine/drivers/connect';
import { duckDbHostPlatform } from '../support/duckdb-host';

const NODE_MODULES = path.resolve(__dirname, '../../node_modules');
const EVERY_BUILD = 'SQLite and Postgres datasources work in every build.';

function nodeError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

function installAdvice(target: string): string {
  return (
    `Datasource 'warehouse': DuckDB needs the platform build of SLayer Studio, and this build has no DuckDB for ` +
    `${target}: install slayer-studio-${target}.vsix (or the Marketplace's build for your platform). ${EVERY_BUILD}`
  );
}

function noBuild(target: string): string {
  return (
    `Datasource 'warehouse': SLayer Studio has no DuckDB build for ${target} ` +
    `(there is one for ${DUCKDB_TARGETS.join(', ')}). ${EVERY_BUILD}`
  );
}

function loadError(error: Error, platform = 'linux', arch = 'x64'): SlayerError | undefined {
  return duckDbLoadError(error, 'warehouse', platform, arch);
}

describe('DuckDB without its native binding', () => {
  const layout = mkdtempSync(path.join(tmpdir(), 'slayer-no-binding-'));
  after(() => rmSync(layout, { recursive: true, force: true }));

  test("DuckDB's own loader, with no binding installed, fails with the message naming this platform's VSIX", () => {
    for (const name of ['@duckdb/node-api', '@duckdb/node-bindings', 'detect-libc']) {
      cpSync(path.join(NODE_MODULES, name), path.join(layout, 'node_modules', name), { recursive: true });
    }
    let thrown: unknown;
    try {
      createRequire(path.join(layout, 'index.js'))('@duckdb/node-api');
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof Error, 'loading @duckdb/node-api without a binding must fail');
    const host = duckDbHostPlatform();
    const error = duckDbLoadError(thrown, 'warehouse');
    assert.ok(error instanceof SlayerError);
    assert.equal(error.code, ErrorCode.UnsupportedDatasource);
    assert.equal(error.message, DUCKDB_TARGETS.includes(host) ? installAdvice(host) : noBuild(host));
  });

  test('the missing binding named by the loader decides the VSIX, whatever platform and arch say', () => {
    const missing = nodeError(
      "Cannot find module '@duckdb/node-bindings-darwin-arm64/duckdb.node'",
      'MODULE_NOT_FOUND',
    );
    assert.equal(loadError(missing)?.message, installAdvice('darwin-arm64'));
    const win = nodeError(
      "Cannot find module '@duckdb/node-bindings-win32-x64/duckdb.node'\nRequire stack:\n- x",
      'MODULE_NOT_FOUND',
    );
    assert.equal(loadError(win)?.message, installAdvice('win32-x64'));
  });

  test('a platform without a platform build (musl, an unknown arch) is said to have none', () => {
    const musl = nodeError("Cannot find module '@duckdb/node-bindings-linux-x64-musl/duckdb.node'", 'MODULE_NOT_FOUND');
    assert.equal(loadError(musl)?.message, noBuild('linux-x64-musl'));
    const riscv = nodeError("Error loading duckdb native binding: unsupported arch 'riscv64' for platform 'linux'");
    assert.equal(loadError(riscv, 'linux', 'riscv64')?.message, noBuild('linux-riscv64'));
  });

  test('a missing @duckdb/node-api names the VSIX of the running platform', () => {
    const error = nodeError("Cannot find module '@duckdb/node-api'", 'MODULE_NOT_FOUND');
    assert.equal(loadError(error, 'darwin', 'x64')?.message, installAdvice('darwin-x64'));
  });

  test('other failures are not taken for a missing binding', () => {
    const dlopen = nodeError(
      'libduckdb.so: cannot open shared object file (/x/node_modules/@duckdb/node-bindings-linux-x64/duckdb.node)',
      'ERR_DLOPEN_FAILED',
    );
    assert.equal(loadError(dlopen), undefined);
    assert.equal(loadError(nodeError("Cannot find module 'pg'", 'MODULE_NOT_FOUND')), undefined);
    // Without Node's code, a message alone is not a module that failed to resolve.
    assert.equal(loadError(nodeError("Cannot find module '@duckdb/node-bindings-linux-x64/duckdb.node'")), undefined);
  });
});
