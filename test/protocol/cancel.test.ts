/**
 * Cancelling a run stops the query in the database, on every driver, and
 * the same server (its pooled driver) then answers the next query. The slow
 * queries would run for minutes; each is cancelled after 300 ms.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Database } from 'node-sqlite3-wasm';
import { CancellationTokenSource, ResponseError } from 'vscode-languageserver-protocol';
import { RpcErrorCode } from '../../shared/src/errors';
import { Requests, sendTypedRequest } from '../../shared/src/protocol';
import { DRIVER_SOURCES, makeThreeDriverRoot, type FixtureRoot } from '../support/fixtures';
import { TestClient } from '../support/lsp-client';
import { postgresUrl, withPostgres } from '../support/postgres';

type Driver = 'sqlite' | 'duckdb' | 'postgres';

/** A row source per dialect that takes minutes to sum unless it is stopped. */
const SLOW_SQL: Record<Driver, string> = {
  sqlite: 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000000) SELECT i FROM n',
  duckdb: 'SELECT range AS i FROM range(1000000000000)',
  postgres: 'SELECT i FROM generate_series(1, 1000000000000) AS i',
};

function modelYaml(name: string, dataSource: string, sql: string): string {
  return `name: ${name}\ndata_source: ${dataSource}\nsql: "${sql}"\ncolumns:\n  - name: i\n    type: INT\n`;
}

describe('cancelling a run on every driver', () => {
  let root: FixtureRoot;
  let client: TestClient;

  before(async () => {
    const url = await postgresUrl();
    root = makeThreeDriverRoot(url);
    new Database(root.file('lite.db')).close();
    for (const [driver, dataSource] of Object.entries(DRIVER_SOURCES) as [Driver, string][]) {
      root.write(`models/${dataSource}/slow_${driver}.yaml`, modelYaml(`slow_${driver}`, dataSource, SLOW_SQL[driver]));
      root.write(
        `models/${dataSource}/fast_${driver}.yaml`,
        modelYaml(`fast_${driver}`, dataSource, 'SELECT 41 + 1 AS i'),
      );
      root.write(`queries/slow_${driver}.query.yaml`, `source_model: slow_${driver}\nmeasures: ["i:sum"]\n`);
      root.write(`queries/fast_${driver}.query.yaml`, `source_model: fast_${driver}\nmeasures: ["i:sum"]\n`);
    }
    client = await TestClient.start(root.root);
  });

  after(async () => {
    await client.stop();
  });

  const uriOf = (relative: string): string => pathToFileURL(path.join(root.root, relative)).toString();

  for (const driver of ['sqlite', 'duckdb', 'postgres'] as const) {
    test(`${driver}: a cancelled run fails Cancelled, and the next run on the same server answers`, async () => {
      const source = new CancellationTokenSource();
      const pending = client.connection.sendRequest(
        Requests.runQuery,
        { uri: uriOf(`queries/slow_${driver}.query.yaml`) },
        source.token,
      );
      setTimeout(() => source.cancel(), 300);
      const started = Date.now();
      await assert.rejects(
        pending,
        (error: unknown) => error instanceof ResponseError && error.code === RpcErrorCode.SLAYER_CANCELLED,
      );
      // Bounded, not timed: the query would take minutes; the cancel must end it long before.
      assert.ok(Date.now() - started < 30_000, 'cancellation ended the query');
      const next = await sendTypedRequest(client.connection, Requests.runQuery, {
        uri: uriOf(`queries/fast_${driver}.query.yaml`),
      });
      assert.deepEqual(next.data, [{ [`fast_${driver}.i_sum`]: 42 }]);
      if (driver === 'postgres') await assertNoLongerRunning('generate_series(1, 1000000000000)');
    });
  }
});

/** Postgres itself says the statement ended: pg_cancel_backend reached it, not just the client giving up. */
async function assertNoLongerRunning(fragment: string): Promise<void> {
  const url = await postgresUrl();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const running = await withPostgres(url, async (pg) => {
      const result = await pg.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
        [`%${fragment}%`],
      );
      return Number(result.rows[0]?.n ?? 0);
    });
    if (running === 0) return;
    assert.ok(Date.now() < deadline, `the cancelled query still runs in Postgres (${running})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
