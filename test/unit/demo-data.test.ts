import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Database } from 'node-sqlite3-wasm';
import { parse, parseAllDocuments } from 'yaml';
import { DEMO_TABLES, generateDemoData } from '../../scripts/demo/data';
import type { ColumnKind, ColumnSpec, DemoData, DemoDataOptions } from '../../scripts/demo/data';
import { generateDemo } from '../../scripts/demo/generate';
import { writeSlayerFolder } from '../../scripts/demo/slayer-folder';
import { writeDuckdb } from '../../scripts/demo/write-duckdb';
import { writeSqlite } from '../../scripts/demo/write-sqlite';
import {
  ALL_TRANSFORMS,
  BUILTIN_AGGREGATIONS,
  DEFAULT_AGGREGATIONS_BY_TYPE,
  PRIMARY_KEY_AGGREGATIONS,
} from '../../server/src/engine/vocabulary';

const SMALL: DemoDataOptions = { seed: 7, orders: 2000, startDate: '2023-01-01', months: 24 };
/** First day after the 24 months starting 2023-01-01. */
const SMALL_END_EXCLUSIVE = '2025-01-01';

const small = generateDemoData(SMALL);

function digest(data: DemoData): string {
  return createHash('sha256').update(JSON.stringify(data)).digest('hex');
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slayer-demo-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function countBy<T>(items: readonly T[], key: (item: T) => string | number): Map<string | number, number> {
  const counts = new Map<string | number, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function isWholeCents(value: number): boolean {
  return Math.abs(value * 100 - Math.round(value * 100)) < 1e-6;
}

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

test('the same seed gives identical data, a different seed different data', () => {
  assert.equal(digest(generateDemoData(SMALL)), digest(small));
  assert.notEqual(digest(generateDemoData({ ...SMALL, seed: SMALL.seed + 1 })), digest(small));
});

test('the requested number of orders is generated', () => {
  assert.equal(small.orders.length, SMALL.orders);
  assert.ok(small.order_items.length >= small.orders.length, 'every order has at least one line');
  assert.ok(small.customers.length > 0 && small.stores.length > 1 && small.products.length > 1);
});

test('rows carry exactly the columns of the shared table schema', () => {
  for (const table of DEMO_TABLES) {
    const expected = table.columns.map((column) => column.name).sort();
    for (const row of small[table.name]) {
      assert.deepEqual(Object.keys(row).sort(), expected, `${table.name} row ${JSON.stringify(row)}`);
      for (const column of table.columns) {
        const value = (row as Record<string, unknown>)[column.name];
        if (value === null) {
          assert.ok(column.nullable, `${table.name}.${column.name} is NULL but not nullable`);
          continue;
        }
        const expectedType = {
          integer: 'number',
          real: 'number',
          text: 'string',
          date: 'string',
          timestamp: 'string',
          boolean: 'boolean',
        }[column.kind];
        assert.equal(typeof value, expectedType, `${table.name}.${column.name}`);
        if (column.kind === 'integer')
          assert.ok(Number.isInteger(value), `${table.name}.${column.name} = ${JSON.stringify(value)}`);
      }
    }
  }
});

test('ids are unique and every foreign key points at an existing row', () => {
  for (const table of DEMO_TABLES) {
    const ids = small[table.name].map((row) => row.id);
    assert.equal(new Set(ids).size, ids.length, `${table.name} ids are unique`);
  }
  const orderIds = new Set(small.orders.map((order) => order.id));
  const productIds = new Set(small.products.map((product) => product.id));
  const customerIds = new Set(small.customers.map((customer) => customer.id));
  const storeIds = new Set(small.stores.map((store) => store.id));
  for (const item of small.order_items) {
    assert.ok(orderIds.has(item.order_id), `order_item ${item.id} -> order ${item.order_id}`);
    assert.ok(productIds.has(item.product_id), `order_item ${item.id} -> product ${item.product_id}`);
  }
  for (const order of small.orders) {
    assert.ok(customerIds.has(order.customer_id), `order ${order.id} -> customer ${order.customer_id}`);
    assert.ok(storeIds.has(order.store_id), `order ${order.id} -> store ${order.store_id}`);
  }
  for (const supply of small.supplies) assert.ok(productIds.has(supply.product_id), `supply ${supply.id}`);
});

test('order dates fall inside the requested range and match ordered_at', () => {
  for (const order of small.orders) {
    assert.match(order.order_date, /^\d{4}-\d{2}-\d{2}$/);
    assert.match(order.ordered_at, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.ok(order.order_date >= SMALL.startDate && order.order_date < SMALL_END_EXCLUSIVE, order.order_date);
    assert.equal(order.ordered_at.slice(0, 10), order.order_date);
  }
  const byDate = [...small.orders].sort((a, b) => a.ordered_at.localeCompare(b.ordered_at));
  assert.deepEqual(
    byDate.map((order) => order.id),
    small.orders.map((order) => order.id),
    'ids follow time',
  );
});

test('orders only happen at open stores and after the customer signed up', () => {
  const stores = new Map(small.stores.map((store) => [store.id, store]));
  const customers = new Map(small.customers.map((customer) => [customer.id, customer]));
  for (const order of small.orders) {
    const store = stores.get(order.store_id);
    const customer = customers.get(order.customer_id);
    assert.ok(store && customer);
    assert.ok(store.opened_on <= order.order_date, `order ${order.id} at ${store.name} before it opened`);
    assert.ok(customer.signed_up_on <= order.order_date, `order ${order.id} before customer signed up`);
  }
  const openings = new Set(small.stores.map((store) => store.opened_on));
  assert.ok(openings.size === small.stores.length, 'stores open on different dates');
  assert.ok(
    small.stores.some((store) => store.opened_on > SMALL.startDate),
    'some stores open during the history',
  );
});

test('money is in whole cents and the order totals add up', () => {
  const lineTotals = new Map<number, number>();
  for (const item of small.order_items) {
    assert.ok(item.quantity >= 1);
    assert.ok(isWholeCents(item.unit_price) && isWholeCents(item.line_total));
    assert.ok(Math.abs(item.line_total - item.quantity * item.unit_price) < 0.005);
    lineTotals.set(item.order_id, (lineTotals.get(item.order_id) ?? 0) + item.line_total);
  }
  for (const order of small.orders) {
    for (const value of [order.subtotal, order.tax_paid, order.tip ?? 0, order.amount]) assert.ok(isWholeCents(value));
    assert.ok(Math.abs(order.subtotal - (lineTotals.get(order.id) ?? 0)) < 0.005, `order ${order.id} subtotal`);
    assert.ok(
      Math.abs(order.amount - (order.subtotal + order.tax_paid + (order.tip ?? 0))) < 0.005,
      `order ${order.id} amount`,
    );
  }
});

test('a few customers place a large share of the orders', () => {
  const perCustomer = [...countBy(small.orders, (order) => order.customer_id).values()].sort((a, b) => b - a);
  const topCount = Math.ceil(small.customers.length / 10);
  const topShare = perCustomer.slice(0, topCount).reduce((sum, n) => sum + n, 0) / small.orders.length;
  // Tenure alone (early sign-ups order for longer) gets to about a quarter; the
  // heavy-customer skew has to push well past that.
  assert.ok(topShare > 0.35, `top 10% of customers place ${(topShare * 100).toFixed(1)}% of orders`);
});

test('product popularity is skewed', () => {
  const units = new Map<number, number>();
  for (const item of small.order_items) units.set(item.product_id, (units.get(item.product_id) ?? 0) + item.quantity);
  const sorted = small.products.map((product) => units.get(product.id) ?? 0).sort((a, b) => b - a);
  const most = sorted[0] ?? 0;
  const least = sorted[sorted.length - 1] ?? 0;
  assert.ok(most > 3 * Math.max(1, least), `best seller ${most} units vs worst ${least}`);
});

test('volume grows, and weekends and December are busier', () => {
  const firstYear = small.orders.filter((order) => order.order_date < '2024-01-01').length;
  assert.ok(small.orders.length - firstYear > 1.3 * firstYear, 'second year is well above the first');

  // Saturdays vs Tuesdays, per day, over the whole history.
  const weekday = (iso: string): number => new Date(`${iso}T00:00:00Z`).getUTCDay();
  const byWeekday = countBy(small.orders, (order) => weekday(order.order_date));
  assert.ok((byWeekday.get(6) ?? 0) > 1.2 * (byWeekday.get(2) ?? 0), 'Saturday busier than Tuesday');

  // December against the November before it, so growth alone cannot explain it.
  const byMonth = countBy(small.orders, (order) => order.order_date.slice(0, 7));
  for (const year of ['2023', '2024']) {
    assert.ok((byMonth.get(`${year}-12`) ?? 0) > (byMonth.get(`${year}-11`) ?? 0), `December ${year} beats November`);
  }
});

test('statuses are mostly completed, with some returned and pending', () => {
  const statuses = countBy(small.orders, (order) => order.status);
  assert.ok((statuses.get('completed') ?? 0) / small.orders.length > 0.85);
  assert.ok((statuses.get('returned') ?? 0) > 0);
  assert.ok((statuses.get('pending') ?? 0) > 0);
});

test('some values are missing where real data would miss them, but only a few', () => {
  const missingRegion = small.customers.filter((customer) => customer.region === null).length;
  const missingTip = small.orders.filter((order) => order.tip === null).length;
  assert.ok(
    missingRegion > 0 && missingRegion < small.customers.length / 4,
    `${missingRegion} customers lack a region`,
  );
  assert.ok(missingTip > 0 && missingTip < small.orders.length / 2, `${missingTip} orders lack a tip`);
  assert.ok(
    small.products.every((product) => product.is_food !== product.is_drink),
    'a product is food or drink',
  );
});

test('invalid options are rejected', () => {
  assert.throws(() => generateDemoData({ ...SMALL, orders: 0 }));
  assert.throws(() => generateDemoData({ ...SMALL, months: 0 }));
  assert.throws(() => generateDemoData({ ...SMALL, startDate: '2023-02-30' }));
});

// ---------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------

const TINY = generateDemoData({ seed: 3, orders: 300, startDate: '2024-01-01', months: 6 });

function sumAmount(data: DemoData): number {
  return data.orders.reduce((sum, order) => sum + order.amount, 0);
}

test('SQLite round trip: row counts and totals read back through node-sqlite3-wasm', (t) => {
  const file = path.join(tempDir(t), 'demo.sqlite');
  // Writing twice must replace the file, not append to it.
  writeSqlite(file, generateDemoData({ seed: 99, orders: 50, startDate: '2024-01-01', months: 2 }));
  writeSqlite(file, TINY);
  const db = new Database(file, { readOnly: true });
  try {
    for (const table of DEMO_TABLES) {
      const row = db.get(`SELECT COUNT(*) AS n FROM "${table.name}"`);
      assert.equal(Number(row?.['n']), TINY[table.name].length, table.name);
    }
    const totals = db.get(
      'SELECT SUM(amount) AS total, SUM(tip IS NULL) AS missing_tips, MIN(order_date) AS first FROM orders',
    );
    assert.ok(Math.abs(Number(totals?.['total']) - sumAmount(TINY)) < 0.01);
    assert.equal(Number(totals?.['missing_tips']), TINY.orders.filter((order) => order.tip === null).length);
    assert.equal(totals?.['first'], TINY.orders[0]?.order_date);
    const drinks = db.get('SELECT COUNT(*) AS n FROM products WHERE is_drink = 1');
    assert.equal(Number(drinks?.['n']), TINY.products.filter((product) => product.is_drink).length);
  } finally {
    db.close();
  }
});

const DUCKDB_TYPE_NAMES: Record<ColumnKind, string> = {
  integer: 'INTEGER',
  real: 'DOUBLE',
  text: 'VARCHAR',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  boolean: 'BOOLEAN',
};

test('DuckDB round trip: row counts, totals and column types read back through @duckdb/node-api', async (t) => {
  const file = path.join(tempDir(t), 'demo.duckdb');
  await writeDuckdb(file, generateDemoData({ seed: 99, orders: 50, startDate: '2024-01-01', months: 2 }));
  await writeDuckdb(file, TINY);
  const instance = await DuckDBInstance.create(file);
  try {
    const connection = await instance.connect();
    try {
      for (const table of DEMO_TABLES) {
        const rows = (await connection.runAndReadAll(`SELECT COUNT(*) AS n FROM "${table.name}"`)).getRowObjectsJS();
        assert.equal(Number(rows[0]?.['n']), TINY[table.name].length, table.name);
      }
      const totals = (
        await connection.runAndReadAll(
          "SELECT SUM(amount) AS total, COUNT(*) FILTER (WHERE tip IS NULL) AS missing_tips, strftime(MIN(ordered_at), '%Y-%m-%d %H:%M:%S') AS first FROM orders",
        )
      ).getRowObjectsJS()[0];
      assert.ok(Math.abs(Number(totals?.['total']) - sumAmount(TINY)) < 0.01);
      assert.equal(Number(totals?.['missing_tips']), TINY.orders.filter((order) => order.tip === null).length);
      assert.equal(totals?.['first'], TINY.orders[0]?.ordered_at);

      const columns = (
        await connection.runAndReadAll('SELECT table_name, column_name, data_type FROM information_schema.columns')
      ).getRowObjectsJS();
      for (const table of DEMO_TABLES) {
        for (const column of table.columns) {
          const found = columns.find((row) => row['table_name'] === table.name && row['column_name'] === column.name);
          assert.equal(found?.['data_type'], DUCKDB_TYPE_NAMES[column.kind], `${table.name}.${column.name}`);
        }
      }
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
});

// ---------------------------------------------------------------------------
// SLayer storage folder
// ---------------------------------------------------------------------------

const TABLE_MODELS = ['customers', 'stores', 'products', 'supplies', 'orders', 'order_items'];
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TRANSFORMS = ALL_TRANSFORMS;
/** Indexed by the type a YAML file declares, which may be anything: an unknown type finds no entry. */
const AGGREGATIONS_BY_TYPE: Readonly<Record<string, ReadonlySet<string>>> = DEFAULT_AGGREGATIONS_BY_TYPE;
const SLAYER_TYPE_FOR_KIND: Record<ColumnKind, string> = {
  integer: 'INT',
  real: 'DOUBLE',
  text: 'TEXT',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  boolean: 'BOOLEAN',
};

type Yaml = Record<string, unknown>;

/** Paths relative to `root`, with forward slashes. */
function listFiles(root: string, dir: string = root): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) files.push(...listFiles(root, full));
    else files.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return files.sort();
}

function asObject(value: unknown, where: string): Yaml {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `${where} is a mapping`);
  return value as Yaml;
}

function asList(value: unknown, where: string): unknown[] {
  if (value === undefined) return [];
  assert.ok(Array.isArray(value), `${where} is a list`);
  return value;
}

interface ModelFacts {
  name: string;
  columns: Map<string, Yaml>;
  measures: Set<string>;
}

/** Checks the SLayer rules a model must satisfy and returns what other checks need. */
function checkModel(doc: Yaml, file: string): ModelFacts {
  const name = String(doc['name']);
  assert.equal(`${name}.yaml`, path.basename(file), `${file}: name matches the file name`);
  assert.match(name, NAME_RE, file);
  assert.ok(!name.includes('__'), `${file}: no __ in model names`);
  assert.equal(doc['data_source'], path.basename(path.dirname(file)), `${file}: data_source matches its folder`);
  assert.equal(doc['version'], 7, file);
  const sources = ['sql_table', 'sql', 'source_queries'].filter((key) => doc[key] !== undefined);
  assert.equal(sources.length, 1, `${file}: exactly one source, got ${sources.join(', ')}`);

  const customAggregations = new Set(
    asList(doc['aggregations'], `${file} aggregations`).map((a) => String(asObject(a, file)['name'])),
  );
  for (const aggregation of customAggregations) {
    assert.match(aggregation, NAME_RE);
    assert.ok(
      !TRANSFORMS.has(aggregation) || BUILTIN_AGGREGATIONS.has(aggregation),
      `${file}: aggregation ${aggregation}`,
    );
  }

  const columns = new Map<string, Yaml>();
  for (const raw of asList(doc['columns'], `${file} columns`)) {
    const column = asObject(raw, `${file} column`);
    const columnName = String(column['name']);
    assert.match(columnName, NAME_RE, file);
    assert.ok(!columns.has(columnName), `${file}: duplicate column ${columnName}`);
    const type = String(column['type']);
    assert.ok(type in AGGREGATIONS_BY_TYPE, `${file}: ${columnName} has type ${type}`);
    for (const allowed of asList(column['allowed_aggregations'], `${file} ${columnName}`)) {
      const aggregation = String(allowed);
      if (column['primary_key'] === true) {
        assert.ok(
          PRIMARY_KEY_AGGREGATIONS.has(aggregation),
          `${file}: primary key ${columnName} allows ${aggregation}`,
        );
      } else {
        assert.ok(
          customAggregations.has(aggregation) || AGGREGATIONS_BY_TYPE[type]?.has(aggregation),
          `${file}: ${columnName} allows ${aggregation}`,
        );
      }
    }
    columns.set(columnName, column);
  }

  const measures = new Set<string>();
  for (const raw of asList(doc['measures'], `${file} measures`)) {
    const measureName = String(asObject(raw, `${file} measure`)['name']);
    assert.match(measureName, NAME_RE, file);
    assert.ok(!measures.has(measureName), `${file}: duplicate measure ${measureName}`);
    assert.ok(!columns.has(measureName), `${file}: measure ${measureName} shadows a column`);
    assert.ok(!TRANSFORMS.has(measureName), `${file}: measure ${measureName} is a transform name`);
    measures.add(measureName);
  }
  return { name, columns, measures };
}

/** Every `column:aggregation` must be usable on that column, every bare name must be a measure. */
function checkMeasureFormulas(doc: Yaml, facts: ModelFacts, file: string): void {
  const custom = new Set(asList(doc['aggregations'], file).map((a) => String(asObject(a, file)['name'])));
  for (const raw of asList(doc['measures'], file)) {
    const formula = String(asObject(raw, file)['formula']);
    const rest = formula.replace(
      /(\*|[A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*)/g,
      (_match, column: string, aggregation: string) => {
        if (column === '*') {
          assert.equal(aggregation, 'count', `${file}: ${formula}`);
          return ' ';
        }
        const spec = facts.columns.get(column);
        assert.ok(spec, `${file}: ${formula} uses unknown column ${column}`);
        const allowedList = spec['allowed_aggregations'];
        const allowed = Array.isArray(allowedList)
          ? new Set(allowedList.map(String))
          : spec['primary_key'] === true
            ? PRIMARY_KEY_AGGREGATIONS
            : new Set([...(AGGREGATIONS_BY_TYPE[String(spec['type'])] ?? []), ...custom]);
        assert.ok(allowed.has(aggregation), `${file}: ${column}:${aggregation} is not allowed`);
        return ' ';
      },
    );
    for (const identifier of rest.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
      assert.ok(facts.measures.has(identifier), `${file}: ${formula} refers to unknown measure ${identifier}`);
    }
  }
}

test('writeSlayerFolder writes the expected, parseable, rule-abiding files', async (t) => {
  const dir = tempDir(t);
  const root = path.join(dir, 'slayer');
  const sqlitePath = path.join(dir, 'data', 'x.sqlite');
  const duckdbPath = path.join(dir, 'data', 'x.duckdb');
  await writeSlayerFolder(root, { sqlitePath, duckdbPath });

  const files = listFiles(root);
  const expected = [
    'datasources/jaffle.yaml',
    'datasources/jaffle_duckdb.yaml',
    ...TABLE_MODELS.map((name) => `models/jaffle/${name}.yaml`),
    'models/jaffle/monthly_revenue.yaml',
    ...TABLE_MODELS.map((name) => `models/jaffle_duckdb/${name}.yaml`),
  ];
  for (const file of expected) assert.ok(files.includes(file), `${file} is written`);
  const queryFiles = files.filter((file) => file.startsWith('queries/'));
  assert.equal(queryFiles.length, 4);
  assert.ok(queryFiles.every((file) => file.endsWith('.query.yaml')));

  const docs = new Map<string, unknown>();
  for (const file of files) {
    const text = readFileSync(path.join(root, file), 'utf8');
    const parsed = parseAllDocuments(text);
    assert.ok(!Array.isArray(parsed) || parsed.length === 1, `${file} holds one document`);
    const [document] = Array.isArray(parsed) ? parsed : [parsed];
    assert.ok(document, `${file} holds a document`);
    assert.deepEqual(document.errors, [], `${file} parses without errors`);
    assert.deepEqual(document.warnings, [], `${file} parses without warnings`);
    assert.ok(text.includes('#'), `${file} carries explanatory comments`);
    docs.set(file, parse(text));
  }

  // Data sources point at the databases they were given.
  const sqliteSource = asObject(docs.get('datasources/jaffle.yaml'), 'jaffle datasource');
  assert.deepEqual(
    [sqliteSource['name'], sqliteSource['type'], sqliteSource['database']],
    ['jaffle', 'sqlite', sqlitePath],
  );
  const duckSource = asObject(docs.get('datasources/jaffle_duckdb.yaml'), 'duckdb datasource');
  assert.deepEqual(
    [duckSource['name'], duckSource['type'], duckSource['database']],
    ['jaffle_duckdb', 'duckdb', duckdbPath],
  );

  // Models follow SLayer's rules and describe the tables that are really written.
  const models = new Map<string, ModelFacts>();
  for (const [file, raw] of docs) {
    if (!file.startsWith('models/')) continue;
    const doc = asObject(raw, file);
    const facts = checkModel(doc, file);
    checkMeasureFormulas(doc, facts, file);
    models.set(`${String(doc['data_source'])}/${facts.name}`, facts);

    if (doc['source_queries'] !== undefined) {
      assert.equal(doc['columns'], undefined, `${file}: columns are engine-managed on query-backed models`);
      assert.equal(doc['backing_query_sql'], undefined, `${file}: backing_query_sql is engine-managed`);
      continue;
    }
    const table = DEMO_TABLES.find((spec) => spec.name === doc['sql_table']);
    assert.ok(table, `${file}: sql_table ${String(doc['sql_table'])} is a generated table`);
    for (const [columnName, column] of facts.columns) {
      const physicalName = typeof column['sql'] === 'string' ? column['sql'] : columnName;
      const physical: ColumnSpec | undefined = table.columns.find((spec) => spec.name === physicalName);
      assert.ok(physical, `${file}: ${columnName} maps to a real column`);
      assert.equal(column['type'], SLAYER_TYPE_FOR_KIND[physical.kind], `${file}: ${columnName} type`);
    }
    for (const spec of table.columns) assert.ok(facts.columns.has(spec.name), `${file}: ${spec.name} is modelled`);
  }

  // Joins point at models of the same data source, through columns both sides have.
  for (const [file, raw] of docs) {
    if (!file.startsWith('models/')) continue;
    const doc = asObject(raw, file);
    const source = models.get(`${String(doc['data_source'])}/${String(doc['name'])}`);
    for (const rawJoin of asList(doc['joins'], `${file} joins`)) {
      const join = asObject(rawJoin, file);
      const target = models.get(`${String(doc['data_source'])}/${String(join['target_model'])}`);
      assert.ok(source && target, `${file}: join target ${String(join['target_model'])} exists`);
      for (const pair of asList(join['join_pairs'], file)) {
        const [local, remote] = asList(pair, file).map(String);
        assert.ok(local && source.columns.has(local), `${file}: join column ${String(local)}`);
        assert.ok(remote && target.columns.has(remote), `${file}: join column ${String(remote)} on ${target.name}`);
      }
    }
  }
  const orderJoins = asList(asObject(docs.get('models/jaffle/orders.yaml'), 'orders')['joins'], 'orders joins');
  assert.deepEqual(orderJoins.map((join) => asObject(join, 'join')['target_model']).sort(), ['customers', 'stores']);

  // DuckDB models are the SQLite ones with the data source swapped.
  for (const name of TABLE_MODELS) {
    const sqliteModel = asObject(docs.get(`models/jaffle/${name}.yaml`), name);
    const duckModel = asObject(docs.get(`models/jaffle_duckdb/${name}.yaml`), name);
    assert.deepEqual({ ...duckModel, data_source: 'jaffle' }, sqliteModel, `${name} matches across data sources`);
  }

  // Queries start from known models or from an earlier, named stage.
  let multiStage = 0;
  for (const file of queryFiles) {
    const raw = docs.get(file);
    const stages = Array.isArray(raw) ? raw.map((stage) => asObject(stage, file)) : [asObject(raw, file)];
    if (stages.length > 1) multiStage++;
    const earlier = new Set<string>();
    stages.forEach((stage, index) => {
      if (index < stages.length - 1) assert.ok(typeof stage['name'] === 'string', `${file}: stage ${index} is named`);
      const sourceModel = String(stage['source_model']);
      assert.ok(
        earlier.has(sourceModel) || models.has(`jaffle/${sourceModel}`),
        `${file}: source_model ${sourceModel}`,
      );
      assert.ok(asList(stage['measures'], file).length > 0, `${file}: stage ${index} has measures`);
      if (typeof stage['name'] === 'string') earlier.add(stage['name']);
    });
  }
  assert.equal(multiStage, 1, 'exactly one example query has two stages');
});

test('generateDemo writes both databases and the storage folder, and reports counts', async (t) => {
  const dir = tempDir(t);
  const result = await generateDemo(dir, { orders: 400, seed: 5 });
  assert.equal(result.counts['orders'], 400);
  assert.ok((result.counts['order_items'] ?? 0) >= 400);
  for (const file of [
    result.sqlitePath,
    result.duckdbPath,
    path.join(result.storageRoot, 'models', 'jaffle', 'orders.yaml'),
  ]) {
    assert.ok(existsSync(file), `${file} exists`);
  }
  const datasource = asObject(
    parse(readFileSync(path.join(result.storageRoot, 'datasources', 'jaffle.yaml'), 'utf8')),
    'ds',
  );
  assert.equal(datasource['database'], result.sqlitePath);
  assert.ok(result.orderDateRange && result.orderDateRange.first <= result.orderDateRange.last);

  const db = new Database(result.sqlitePath, { readOnly: true });
  try {
    assert.equal(Number(db.get('SELECT COUNT(*) AS n FROM orders')?.['n']), 400);
  } finally {
    db.close();
  }
});
