/**
 * The real MariaDB the tests run against: SLAYER_TEST_MYSQL_URL when CI (or
 * the developer) started one, else a throwaway server started here with
 * scripts/mariadb-test-server.sh (stop it with `bash scripts/mariadb-test-server.sh stop`).
 * Never skips: a test that needs MySQL fails when there is none.
 */
import { createConnection, type Connection } from 'mysql2/promise';
import { testServerUrl } from './test-server';

export function mysqlUrl(): Promise<string> {
  return testServerUrl('mariadb-test-server.sh', 'SLAYER_TEST_MYSQL_URL', 'MariaDB');
}

/** The same server with another database in the path. */
export function mysqlUrlFor(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** One connection for the length of `work`, always closed. */
export async function withMysql<T>(url: string, work: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await createConnection({ uri: url, multipleStatements: false });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

/** A fresh database for one fixture; its name starts `slayer_`, which the test user may create and drop. */
export async function createMysqlDatabase(url: string, prefix: string): Promise<string> {
  const name = `slayer_${prefix}_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  await withMysql(url, (connection) => connection.query(`CREATE DATABASE \`${name}\``));
  return name;
}

export async function dropMysqlDatabase(url: string, name: string): Promise<void> {
  await withMysql(url, (connection) => connection.query(`DROP DATABASE IF EXISTS \`${name}\``));
}
