/**
 * Finds a Python that has Debian's python3-sqlglot, the independent parser of
 * the dialect checks, installing it with scripts/install-sqlglot.sh (apt, as
 * the test database servers are) when none has it. Without it the checks
 * fail with the command to run; they never skip.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const CANDIDATES = [process.env['SLAYER_SQLGLOT_PYTHON'], '/usr/bin/python3', 'python3'].filter(
  (candidate): candidate is string => candidate !== undefined && candidate !== '',
);

let found: string | undefined;

function probe(): string | undefined {
  return CANDIDATES.find((python) => spawnSync(python, ['-c', 'import sqlglot'], { encoding: 'utf8' }).status === 0);
}

export function pythonWithSqlglot(): string {
  found ??= probe() ?? installThenProbe();
  return found;
}

function installThenProbe(): string {
  const script = path.resolve(__dirname, '../../scripts/install-sqlglot.sh');
  const install = spawnSync('bash', [script], { encoding: 'utf8' });
  const python = install.status === 0 ? probe() : undefined;
  if (python) return python;
  throw new Error(
    `No Python with sqlglot (tried ${CANDIDATES.join(', ')}), and ${script} could not install it: ` +
      `${install.stderr.trim()} Install Debian's package (apt-get install -y python3-sqlglot) or set SLAYER_SQLGLOT_PYTHON.`,
  );
}

export interface SqlglotAnswer {
  id: number;
  ok: boolean;
  /** The SQL as DuckDB reads it, when it parsed. */
  duckdb?: string;
  error?: string;
}

/** Parses each SQL text in its dialect with sqlglot (sqlglot_check.py), and writes it for DuckDB. */
export function parseWithSqlglot(items: readonly { dialect: string; sql: string }[]): SqlglotAnswer[] {
  const input = items.map((item, id) => JSON.stringify({ id, ...item })).join('\n');
  const script = path.join(__dirname, 'sqlglot_check.py');
  const result = spawnSync(pythonWithSqlglot(), [script], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`sqlglot_check.py failed: ${result.stderr}`);
  const answers = result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SqlglotAnswer);
  return items.map((_, id) => answers.find((answer) => answer.id === id) ?? { id, ok: false, error: 'no answer' });
}
