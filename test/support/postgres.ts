/**
 * The real Postgres the tests run against: SLAYER_TEST_PG_URL when CI (or the
 * developer) started one, else a throwaway cluster started here with
 * scripts/pg-test-server.sh (stop it with `bash scripts/pg-test-server.sh stop`).
 * Never skips: a test that needs Postgres fails when there is none.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const SCRIPT = path.resolve(__dirname, '../../scripts/pg-test-server.sh');
let starting: Promise<string> | undefined;

async function startServer(): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('bash', [SCRIPT, 'start'], { encoding: 'utf8', timeout: 600_000 }));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`Postgres for the tests could not be started with ${SCRIPT}:\n${stderr}`, { cause: error });
  }
  const url = /^SLAYER_TEST_PG_URL=(\S+)$/m.exec(stdout)?.[1];
  if (!url) throw new Error(`${SCRIPT} printed no SLAYER_TEST_PG_URL line:\n${stdout}`);
  process.env.SLAYER_TEST_PG_URL = url; // child processes and later calls reuse it
  return url;
}

export async function postgresUrl(): Promise<string> {
  const fromEnv = process.env.SLAYER_TEST_PG_URL;
  if (fromEnv) return fromEnv;
  starting ??= startServer();
  return starting;
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
