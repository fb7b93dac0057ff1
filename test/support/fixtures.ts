import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** Small generated storage roots for tests: every file is written here, never copied from elsewhere. */
export interface FixtureRoot {
  root: string;
  file(relative: string): string;
  write(relative: string, text: string): string;
}

export function makeStorageRoot(files: Record<string, string>): FixtureRoot {
  const root = mkdtempSync(path.join(tmpdir(), 'slayer-fixture-'));
  const fixture: FixtureRoot = {
    root,
    file: (relative) => path.join(root, relative),
    write: (relative, text) => {
      const full = path.join(root, relative);
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, text);
      return full;
    },
  };
  for (const [relative, text] of Object.entries(files)) fixture.write(relative, text);
  return fixture;
}

export const SHOP_DATASOURCE = ['name: shop', 'type: sqlite', 'database: shop.db', ''].join('\n');

export const CUSTOMERS_MODEL = [
  'name: customers',
  'sql_table: customers',
  'data_source: shop',
  'columns:',
  '  - name: id',
  '    type: INT',
  '    primary_key: true',
  '  - name: region',
  '    type: TEXT',
  '',
].join('\n');

export const ORDERS_MODEL = [
  'name: orders',
  'sql_table: orders',
  'data_source: shop',
  'columns:',
  '  - name: id',
  '    type: INT',
  '    primary_key: true',
  '  - name: customer_id',
  '    type: INT',
  '  - name: amount',
  '    type: DOUBLE',
  'measures:',
  '  - name: revenue',
  '    formula: amount:sum',
  '  - name: regions_seen',
  '    formula: customers.region:count_distinct',
  'joins:',
  '  - target_model: customers',
  '    join_pairs: [[customer_id, id]]',
  '',
].join('\n');

/** A valid two-model shop: orders joins customers, both on datasource `shop`. */
export function makeShop(): FixtureRoot {
  return makeStorageRoot({
    'datasources/shop.yaml': SHOP_DATASOURCE,
    'models/shop/customers.yaml': CUSTOMERS_MODEL,
    'models/shop/orders.yaml': ORDERS_MODEL,
  });
}

/** The data source each driver's tests use in a three-driver root (see makeThreeDriverRoot). */
export const DRIVER_SOURCES = { sqlite: 'lite', duckdb: 'duck', postgres: 'pg' } as const;

/** A storage root with one datasource per driver: SQLite `lite.db`, DuckDB `duck.duckdb`, and the given Postgres. */
export function makeThreeDriverRoot(postgresUrl: string, files: Record<string, string> = {}): FixtureRoot {
  return makeStorageRoot({
    'datasources/lite.yaml': 'name: lite\ntype: sqlite\ndatabase: lite.db\n',
    'datasources/duck.yaml': 'name: duck\ntype: duckdb\ndatabase: duck.duckdb\n',
    'datasources/pg.yaml': `name: pg\ntype: postgres\nconnection_string: ${postgresUrl}\n`,
    ...files,
  });
}
