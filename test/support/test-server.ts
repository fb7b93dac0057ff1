/**
 * The URL of one of the throwaway database servers in scripts/
 * (pg-test-server.sh, mariadb-test-server.sh): `variable` from the
 * environment when CI (or the developer) started one, else the URL the script
 * prints as `NAME=url` once it has started the server here. The URL goes into
 * the environment for child processes and later calls.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const starting = new Map<string, Promise<string>>();

export function testServerUrl(script: string, variable: string, what: string): Promise<string> {
  const fromEnv = process.env[variable];
  if (fromEnv) return Promise.resolve(fromEnv);
  const started = starting.get(variable) ?? startTestServer(script, variable, what);
  starting.set(variable, started);
  return started;
}

async function startTestServer(script: string, variable: string, what: string): Promise<string> {
  const file = path.resolve(__dirname, '../../scripts', script);
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('bash', [file, 'start'], { encoding: 'utf8', timeout: 600_000 }));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${what} for the tests could not be started with ${file}:\n${stderr}`, { cause: error });
  }
  const url = new RegExp(`^${variable}=(\\S+)$`, 'm').exec(stdout)?.[1];
  if (!url) throw new Error(`${file} printed no ${variable} line:\n${stdout}`);
  process.env[variable] = url;
  return url;
}
