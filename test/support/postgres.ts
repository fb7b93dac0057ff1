/**
 * The real Postgres the tests run against: SLAYER_TEST_PG_URL when CI (or the
 * developer) started one, else a throwaway cluster started here with
 * scripts/pg-test-server.sh (stop it with `bash scripts/pg-test-server.sh stop`).
 * Never skips: a test that needs Postgres fails when there is none.
 */
import pg from 'pg';
import { testServerUrl } from './test-server';

export function postgresUrl(): Promise<string> {
  return testServerUrl('pg-test-server.sh', 'SLAYER_TEST_PG_URL', 'Postgres');
}

/** One client for the length of `work`, always closed. */
export async function withPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
