/**
 * "No silently wrong numbers": 300 seeded random queries over the fixture's
 * shop, each run on SQLite, DuckDB, Postgres and MariaDB (MySQL), must give the same rows or
 * the same error everywhere; a sample is also checked against plain SQL
 * written by hand (test/support/plain-sql.ts) and run on the SQLite file.
 *
 * A failure names the seed and the query's index. To reproduce or explore:
 * SLAYER_PROPERTY_SEED=<n> (and SLAYER_PROPERTY_COUNT=<n>) pick other queries.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Database } from 'node-sqlite3-wasm';
import { ErrorCode, isSlayerError } from '../../shared/src/errors';
import { executeQuery, type EngineHost } from '../../server/src/engine/query/execute';
import { createEngineFixture, DRIVERS, type DriverName, type EngineFixture } from '../support/engine-fixture';
import { keyColumnCount, plainSql, type PlainPlan } from '../support/plain-sql';
import { generateQueries, type GeneratedQuery } from '../support/random-query';
import { diffTables, tableOf, type ResultTable } from '../support/result-compare';
import { decodeQuery } from '../support/run-query';
import { withSharedDrivers } from '../support/shared-drivers';

const SEED = Number(process.env['SLAYER_PROPERTY_SEED'] ?? 20250607);
const COUNT = Number(process.env['SLAYER_PROPERTY_COUNT'] ?? 300);
/** Below this share of queries running everywhere, the test would pass on errors alone. */
const MIN_SUCCESS_SHARE = 0.7;
const MIN_PLAIN_SQL_CHECKS = 60;

type Outcome = { kind: 'rows'; table: ResultTable; sql: string } | { kind: 'error'; code: string; message: string };

interface QueryRun {
  generated: GeneratedQuery;
  /** Wall time of the engine runs on every driver (in parallel) and of the reference, for the timing diagnostic. */
  millis: { engine: number; reference: number };
  outcomes: Record<DriverName, Outcome>;
  plan: PlainPlan;
  /** Set when the plan was SQL: what the reference returned. */
  reference?: ResultTable;
}

let fixture: EngineFixture;
const runs: QueryRun[] = [];

/** Every query runs once, here; the tests below judge the recorded outcomes. */
before(
  async () => {
    fixture = await createEngineFixture();
    const queries = generateQueries(SEED, COUNT, fixture.data);
    const shared = DRIVERS.map((driver) => [driver, withSharedDrivers(fixture.hosts[driver])] as const);
    const hosts = Object.fromEntries(shared.map(([driver, s]) => [driver, s.host])) as Record<DriverName, EngineHost>;
    const reference = openReference(fixture.hosts.sqlite);
    try {
      for (const generated of queries) runs.push(await runEverywhere(generated, hosts, reference));
    } finally {
      reference.close();
      for (const [, s] of shared) await s.close();
    }
  },
  { timeout: 180_000 },
);

after(async () => {
  await fixture?.cleanup();
});

/** The fixture's SQLite file, opened read-only beside the engine's own connections. */
function openReference(host: EngineHost): Database {
  const datasource = host.catalog.getDatasource('shop');
  assert.ok(datasource?.database, 'the SQLite fixture has a database path');
  const db = new Database(datasource.database, { readOnly: true });
  // The standard's LIKE, as DuckDB and Postgres have it (and as the engine sets SQLite's).
  db.exec('PRAGMA case_sensitive_like = ON');
  return db;
}

async function outcomeOn(host: EngineHost, generated: GeneratedQuery): Promise<Outcome> {
  try {
    const response = await executeQuery(decodeQuery(generated.query), host);
    return { kind: 'rows', table: tableOf(response.columns, response.data), sql: response.sql };
  } catch (error) {
    if (isSlayerError(error)) return { kind: 'error', code: error.code, message: error.message };
    // Anything else escaped the engine's error handling: its own code so it never matches a real one.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { kind: 'error', code: 'NOT_A_SLAYER_ERROR', message };
  }
}

async function runEverywhere(
  generated: GeneratedQuery,
  hosts: Record<DriverName, EngineHost>,
  reference: Database,
): Promise<QueryRun> {
  const started = performance.now();
  const each = await Promise.all(
    DRIVERS.map(async (driver) => [driver, await outcomeOn(hosts[driver], generated)] as const),
  );
  const outcomes = Object.fromEntries(each) as Record<DriverName, Outcome>;
  const engine = performance.now() - started;
  const plan = plainSql(generated.spec);
  if (plan.kind !== 'sql') return { generated, millis: { engine, reference: 0 }, outcomes, plan };
  const table = runReference(reference, plan.sql);
  const millis = { engine, reference: performance.now() - started - engine };
  return { generated, millis, outcomes, plan, reference: table };
}

/** The reference names its columns c0..cN in the engine's order; an empty result has none to read. */
function runReference(db: Database, sql: string): ResultTable {
  const records = db.all(sql) as Record<string, unknown>[];
  return tableOf(Object.keys(records[0] ?? {}), records);
}

// ---------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------

function describeOutcome(outcome: Outcome): string {
  if (outcome.kind === 'error') return `error ${outcome.code}: ${outcome.message.split('\n')[0] ?? ''}`;
  const preview = outcome.table.rows.slice(0, 3).map((row) => JSON.stringify(row));
  return `${outcome.table.rows.length} rows ${JSON.stringify(outcome.table.columns)} ${preview.join(' ')}`;
}

function header(run: QueryRun): string {
  return `seed ${SEED} query #${run.generated.index}: ${JSON.stringify(run.generated.query)}`;
}

function disagreement(run: QueryRun, what: string, withSql: readonly DriverName[] = []): string {
  const lines = [header(run), `  ${what}`];
  for (const driver of DRIVERS) lines.push(`  ${driver}: ${describeOutcome(run.outcomes[driver])}`);
  for (const driver of withSql) {
    const outcome = run.outcomes[driver];
    if (outcome.kind === 'rows') lines.push(`  ${driver} SQL:\n${indent(outcome.sql)}`);
  }
  return lines.join('\n');
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/** Errors that are themselves failures: the database rejected the engine's SQL, or the engine crashed. */
const FAILING_CODES = new Set<string>([ErrorCode.DatabaseError, ErrorCode.Internal, 'NOT_A_SLAYER_ERROR']);

/**
 * A feature the database lacks (median on MySQL), refused before anything was
 * sent: that driver has nothing to compare for this query.
 */
function unavailable(outcome: Outcome): boolean {
  return (
    outcome.kind === 'error' && outcome.code === ErrorCode.Unsupported && / is not available on /.test(outcome.message)
  );
}

/** The drivers whose answers to this query can be compared: all but those lacking one of its features. */
function comparedDrivers(run: QueryRun): DriverName[] {
  return DRIVERS.filter((driver) => !unavailable(run.outcomes[driver]));
}

/** Undefined when every driver agrees; otherwise the disagreement, ready to print. */
function crossDriverProblem(run: QueryRun): string | undefined {
  const drivers = comparedDrivers(run);
  const outcomes = drivers.map((driver) => run.outcomes[driver]);
  const failing = drivers.filter((driver) => {
    const outcome = run.outcomes[driver];
    return outcome.kind === 'error' && FAILING_CODES.has(outcome.code);
  });
  if (failing.length > 0) return disagreement(run, `engine failure on ${failing.join(', ')}`);
  const kinds = new Set(outcomes.map((o) => o.kind));
  if (kinds.size > 1) return disagreement(run, 'errors on some drivers only');
  if (outcomes.every((o) => o.kind === 'error')) {
    const codes = new Set(outcomes.map((o) => (o.kind === 'error' ? o.code : '')));
    return codes.size > 1 ? disagreement(run, 'different error codes') : undefined;
  }
  const [base, ...others] = drivers;
  const baseline = base ? run.outcomes[base] : undefined;
  if (baseline?.kind !== 'rows') return undefined;
  const options = {
    ordered: run.generated.spec.order !== undefined,
    keyColumns: keyColumnCount(run.generated.spec),
    columnNames: true,
  };
  const diffs = others.flatMap((driver) => {
    const outcome = run.outcomes[driver];
    const diff = outcome.kind === 'rows' ? diffTables(baseline.table, outcome.table, options) : undefined;
    return diff ? [`${base} vs ${driver}:\n${indent(diff)}`] : [];
  });
  return diffs.length > 0 ? disagreement(run, diffs.join('\n  '), drivers) : undefined;
}

type PlainVerdict = { kind: 'agrees' } | { kind: 'skipped'; reason: string } | { kind: 'differs'; message: string };

/** The engine on SQLite against the hand-written reference. */
function plainSqlVerdict(run: QueryRun): PlainVerdict {
  const engine = run.outcomes.sqlite;
  switch (run.plan.kind) {
    case 'skip':
      return { kind: 'skipped', reason: run.plan.reason };
    case 'error':
      return engine.kind === 'error'
        ? { kind: 'agrees' }
        : {
            kind: 'differs',
            message: disagreement(run, `the reference expects an error (${run.plan.reason})`, ['sqlite']),
          };
    case 'sql': {
      const reference = run.reference as ResultTable;
      if (engine.kind === 'error') {
        return {
          kind: 'differs',
          message: `${disagreement(run, 'the reference has rows, the engine failed')}\n  reference SQL:\n${indent(run.plan.sql)}`,
        };
      }
      const options = {
        ordered: run.generated.spec.order !== undefined,
        keyColumns: keyColumnCount(run.generated.spec),
        columnNames: false,
      };
      // An empty reference has no column names to count: compare as many columns as the engine has.
      const expected = reference.rows.length === 0 ? { ...reference, columns: engine.table.columns } : reference;
      const diff = diffTables(expected, engine.table, options);
      if (!diff) return { kind: 'agrees' };
      const message = `${disagreement(run, `plain SQL vs engine on sqlite:\n${indent(diff)}`, ['sqlite'])}\n  reference SQL:\n${indent(run.plan.sql)}`;
      return { kind: 'differs', message };
    }
  }
}

/** `Filter 'a = 'b'' cannot be applied to ...` -> `Filter … cannot be applied to ...`: the kind of mistake. */
function errorKind(message: string): string {
  const line = (message.split('\n')[0] ?? '').replace(
    /^(Filter|Measure|date_range of) '.*?'(?=:| cannot| references)/,
    '$1 …',
  );
  return (line.split("'")[0] ?? '').trim().split(/\s+/).slice(0, 8).join(' ');
}

function tally(reasons: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ');
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

test('the generator is deterministic: the same seed gives the same queries', () => {
  const again = generateQueries(SEED, COUNT, fixture.data).map((g) => g.query);
  assert.deepEqual(
    again,
    runs.map((run) => run.generated.query),
  );
  assert.notDeepEqual(generateQueries(SEED + 1, 5, fixture.data), generateQueries(SEED, 5, fixture.data));
});

test('every query gives the same rows, or the same error, on sqlite, duckdb, postgres and mysql', (t) => {
  const problems = runs.flatMap((run) => crossDriverProblem(run) ?? []);
  t.diagnostic(`${runs.length} queries, seed ${SEED}, ${problems.length} cross-driver disagreements`);
  const left = DRIVERS.map((driver) => `${driver} ${runs.filter((run) => unavailable(run.outcomes[driver])).length}`);
  t.diagnostic(`queries left out for a feature the database lacks: ${left.join(', ')}`);
  assert.equal(
    problems.length,
    0,
    `${problems.length} of ${runs.length} queries disagree:\n\n${problems.join('\n\n')}`,
  );
});

test('most generated queries run on every driver, so the property is not vacuous', (t) => {
  const succeeded = runs.filter((run) => comparedDrivers(run).every((driver) => run.outcomes[driver].kind === 'rows'));
  // Grouped by code and the message's opening words, which name the kind of mistake.
  const errors = runs.flatMap((run) => {
    const outcome = run.outcomes.sqlite;
    return outcome.kind === 'error' ? [`${outcome.code} ${errorKind(outcome.message)}`] : [];
  });
  t.diagnostic(`${succeeded.length} of ${runs.length} succeeded on all drivers; sqlite errors: ${tally(errors)}`);
  const seconds = (pick: (run: QueryRun) => number): string =>
    (runs.reduce((a, r) => a + pick(r), 0) / 1000).toFixed(1);
  t.diagnostic(`engine ${seconds((r) => r.millis.engine)} s, plain SQL ${seconds((r) => r.millis.reference)} s`);
  assert.ok(
    succeeded.length >= MIN_SUCCESS_SHARE * runs.length,
    `only ${succeeded.length} of ${runs.length} queries ran on every driver (seed ${SEED})`,
  );
  const nonEmpty = succeeded.filter(
    (run) => run.outcomes.sqlite.kind === 'rows' && run.outcomes.sqlite.table.rows.length > 0,
  );
  assert.ok(nonEmpty.length >= succeeded.length / 2, `only ${nonEmpty.length} successful queries returned rows`);
});

test('the engine agrees with hand-written plain SQL on the SQLite file', (t) => {
  const verdicts = runs.map(plainSqlVerdict);
  const compared = runs.filter((run, i) => run.plan.kind === 'sql' && verdicts[i]?.kind !== 'skipped');
  const agreed = verdicts.filter((v) => v.kind === 'agrees').length;
  const skipped = verdicts.flatMap((v) => (v.kind === 'skipped' ? [v.reason] : []));
  const problems = verdicts.flatMap((v) => (v.kind === 'differs' ? [v.message] : []));
  const crossModel = compared.filter((run) => run.generated.spec.measures.some((m) => m.path.length > 0)).length;
  const expectedErrors = runs.filter((r) => r.plan.kind === 'error').length;
  t.diagnostic(
    `${compared.length} compared with plain SQL rows (${crossModel} with cross-model measures), ` +
      `${expectedErrors} expected errors, ${agreed} agreed, ${problems.length} differ; skipped: ${tally(skipped)}`,
  );
  assert.ok(compared.length >= MIN_PLAIN_SQL_CHECKS, `only ${compared.length} queries were checked against plain SQL`);
  assert.equal(problems.length, 0, `${problems.length} queries differ from plain SQL:\n\n${problems.join('\n\n')}`);
});
