/**
 * Starts one of the throwaway database servers in scripts/ (pg-test-server.sh,
 * mariadb-test-server.sh) and returns the URL it prints as `NAME=url`, which
 * it also puts in the environment for child processes and later calls.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

export async function startTestServer(script: string, variable: string, what: string): Promise<string> {
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
