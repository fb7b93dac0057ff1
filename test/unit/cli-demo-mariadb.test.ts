/**
 * Issue 12's "slayer-ls query runs the demo's queries on MariaDB": the
 * bundled CLI runs every example query of the generated demo against a
 * MariaDB holding the demo's rows, and must print the rows it prints for
 * the same query on the demo's SQLite file. Only the `jaffle` datasource
 * file changes; the models and queries are the demo's own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_DEMO_OPTIONS, generateDemoData } from '../../scripts/demo/data';
import { generateDemo } from '../../scripts/demo/generate';
import { QUERY_FILE_NAMES, SQLITE_DATA_SOURCE } from '../../scripts/demo/slayer-folder';
import { writeMysql } from '../support/engine-fixture';
import { createMysqlDatabase, dropMysqlDatabase, mysqlUrl, mysqlUrlFor } from '../support/mysql';

const CLI = path.resolve(__dirname, '../../dist/slayer-ls.js');
/** Enough orders for every month, store and status; few enough to load in a second. */
const ORDERS = 3000;

type Row = Record<string, unknown>;

function queryRows(storage: string, queryFile: string): Row[] {
  const args = [CLI, 'query', `@${queryFile}`, '--storage', storage, '--format', 'json', '--no-write-back'];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(result.stdout) as { data: Row[] }).data;
}

/** Equal rows in equal order; numbers to 1e-9 relative, since each database sums floats in its own order. */
function assertSameRows(actual: Row[], expected: Row[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: row count`);
  expected.forEach((want, index) => {
    const got = actual[index] ?? {};
    assert.deepEqual(Object.keys(got), Object.keys(want), `${label}: columns of row ${index}`);
    for (const [key, value] of Object.entries(want)) {
      const other = got[key];
      if (typeof value === 'number' && typeof other === 'number') {
        const scale = Math.max(1, Math.abs(value));
        assert.ok(Math.abs(other - value) <= 1e-9 * scale, `${label}: row ${index} ${key}: ${other} vs ${value}`);
      } else {
        assert.deepEqual(other, value, `${label}: row ${index} ${key}`);
      }
    }
  });
}

describe('slayer-ls query runs the demo queries on MariaDB', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'slayer-demo-mariadb-'));
  const sqliteStorage = path.join(dir, 'demo', 'slayer');
  const mariadbStorage = path.join(dir, 'on-mariadb');
  let server = '';
  let database = '';

  before(async () => {
    await generateDemo(path.join(dir, 'demo'), { orders: ORDERS });
    server = await mysqlUrl();
    database = await createMysqlDatabase(server, 'demo');
    await writeMysql(mysqlUrlFor(server, database), generateDemoData({ ...DEFAULT_DEMO_OPTIONS, orders: ORDERS }));
    cpSync(sqliteStorage, mariadbStorage, { recursive: true });
    const datasource = `version: 2\nname: ${SQLITE_DATA_SOURCE}\ntype: mysql\nconnection_string: ${mysqlUrlFor(server, database)}\n`;
    writeFileSync(path.join(mariadbStorage, 'datasources', `${SQLITE_DATA_SOURCE}.yaml`), datasource);
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (database) await dropMysqlDatabase(server, database);
  });

  for (const name of QUERY_FILE_NAMES) {
    test(`${name}.query.yaml gives the rows it gives on SQLite`, () => {
      const file = (storage: string): string => path.join(storage, 'queries', `${name}.query.yaml`);
      const expected = queryRows(sqliteStorage, file(sqliteStorage));
      assert.ok(expected.length > 0, 'the demo query returns rows on SQLite');
      const dryRun = spawnSync(
        process.execPath,
        [CLI, 'query', `@${file(mariadbStorage)}`, '--storage', mariadbStorage, '--dry-run'],
        {
          encoding: 'utf8',
        },
      );
      assert.match(dryRun.stdout, / AS `/, 'the query is planned in the MySQL dialect (backquoted aliases)');
      assertSameRows(queryRows(mariadbStorage, file(mariadbStorage)), expected, name);
    });
  }
});
