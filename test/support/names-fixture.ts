import { makeStorageRoot, SHOP_DATASOURCE, type FixtureRoot } from './fixtures';

/**
 * A shop two joins deep (orders -> customers -> regions) with query files,
 * for the name table's unit tests and the navigation protocol tests. Each
 * file uses names in the places authors write them: formulas, SQL filters,
 * join pairs, dimensions, query filters with string literals, stages.
 */

export const REGIONS_MODEL = [
  'name: regions',
  'sql_table: regions',
  'data_source: shop',
  'columns:',
  '  - name: id',
  '    type: INT',
  '    primary_key: true',
  '  - name: name',
  '    type: TEXT',
  '',
].join('\n');

export const CUSTOMERS_WITH_REGIONS_MODEL = [
  'name: customers',
  'sql_table: customers',
  'data_source: shop',
  'columns:',
  '  - name: id',
  '    type: INT',
  '    primary_key: true',
  '  - name: region_id',
  '    type: INT',
  '  - name: tier # loyalty tier',
  '    type: TEXT',
  'joins:',
  '  - target_model: regions',
  '    join_pairs: [[region_id, id]]',
  '',
].join('\n');

export const ORDERS_WITH_CUSTOMERS_MODEL = [
  '# Orders, one row each.',
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
  '  - name: status',
  '    type: TEXT',
  '  - {name: big, type: DOUBLE, sql: "amount * 100"}',
  '  - {name: discount, type: DOUBLE}',
  'measures:',
  '  - name: revenue',
  '    formula: amount:sum',
  '  - name: per_region',
  '    formula: "customers.regions.name:count_distinct"',
  '  - name: double_revenue',
  '    formula: revenue * 2',
  'filters:',
  "  - status <> 'tier'",
  'joins:',
  '  - target_model: customers',
  '    join_pairs: [[customer_id, id]]',
  '',
].join('\n');

export const BY_REGION_QUERY = [
  'source_model: orders',
  'dimensions: [customers.regions.name, "customers.tier"]',
  'measures: [revenue, "amount:sum"]',
  'filters:',
  "  - \"customers.tier = 'tier' and status != 'amount'\"",
  '  - amount > {min_amount}',
  '  - customers.id > 0',
  'variables:',
  '  min_amount: 10',
  'order: [{column: revenue, direction: desc}]',
  '',
].join('\n');

export const STAGES_QUERY = [
  '- name: per_customer',
  '  source_model: orders',
  '  dimensions: [customers.tier, customers.id]',
  '  measures: ["amount:sum", "*:count"]',
  '- source_model: per_customer',
  '  dimensions: [customers__tier]',
  '  measures: ["amount_sum:avg", "_count:sum"]',
  '',
].join('\n');

export const REGIONS_SHOP_FILES: Readonly<Record<string, string>> = {
  'datasources/shop.yaml': SHOP_DATASOURCE,
  'models/shop/regions.yaml': REGIONS_MODEL,
  'models/shop/customers.yaml': CUSTOMERS_WITH_REGIONS_MODEL,
  'models/shop/orders.yaml': ORDERS_WITH_CUSTOMERS_MODEL,
  'queries/by_region.query.yaml': BY_REGION_QUERY,
  'queries/stages.query.yaml': STAGES_QUERY,
};

export function makeRegionsShop(): FixtureRoot {
  return makeStorageRoot({ ...REGIONS_SHOP_FILES });
}
