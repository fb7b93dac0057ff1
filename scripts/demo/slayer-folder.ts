/**
 * Writes a SLayer YAML storage folder describing the demo databases:
 *
 *   datasources/<name>.yaml          one per database
 *   models/<data_source>/<name>.yaml one per model
 *   queries/<name>.query.yaml        example queries
 *   priority.yaml                    which data source a bare model name means
 *
 * The YAML is hand-written text rather than serialised objects because it is
 * the first thing demo users read, so it carries comments and a stable layout.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { formatSlayerText } from '../../server/src/engine/format/format';

export interface SlayerFolderOptions {
  sqlitePath: string;
  duckdbPath: string;
}

export const SQLITE_DATA_SOURCE = 'jaffle';
export const DUCKDB_DATA_SOURCE = 'jaffle_duckdb';

/** Model files every data source gets, rendered from the same templates. */
export const TABLE_MODEL_NAMES = ['customers', 'stores', 'products', 'supplies', 'orders', 'order_items'] as const;
/** Query-backed models; they only live next to the SQLite models. */
export const QUERY_MODEL_NAMES = ['monthly_revenue'] as const;
export const QUERY_FILE_NAMES = [
  'revenue_by_month',
  'top_customers',
  'aov_by_store',
  'completed_revenue_by_month',
] as const;

export async function writeSlayerFolder(root: string, opts: SlayerFolderOptions): Promise<void> {
  const files = new Map<string, string>();
  files.set(path.join('datasources', `${SQLITE_DATA_SOURCE}.yaml`), sqliteDatasourceYaml(path.resolve(opts.sqlitePath)));
  files.set(path.join('datasources', `${DUCKDB_DATA_SOURCE}.yaml`), duckdbDatasourceYaml(path.resolve(opts.duckdbPath)));
  for (const dataSource of [SQLITE_DATA_SOURCE, DUCKDB_DATA_SOURCE]) {
    for (const name of TABLE_MODEL_NAMES) {
      files.set(path.join('models', dataSource, `${name}.yaml`), TABLE_MODEL_TEMPLATES[name](dataSource));
    }
  }
  files.set(path.join('models', SQLITE_DATA_SOURCE, 'monthly_revenue.yaml'), monthlyRevenueModelYaml(SQLITE_DATA_SOURCE));
  for (const name of QUERY_FILE_NAMES) {
    files.set(path.join('queries', `${name}.query.yaml`), QUERY_TEMPLATES[name]);
  }

  for (const [relative, text] of files) {
    const target = path.join(root, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, canonical(relative, text), 'utf8');
  }
  await writeFile(path.join(root, 'priority.yaml'), PRIORITY_YAML, 'utf8');
}

/**
 * Both data sources have an `orders` model (and the rest): SLayer's
 * priority list says a bare name means the SQLite one, as SLayer reads it.
 */
const PRIORITY_YAML = [
  '# Both data sources declare the same models. A query naming a model without',
  '# saying which data source (source_model: orders) gets the first listed here.',
  `priority: [${SQLITE_DATA_SOURCE}, ${DUCKDB_DATA_SOURCE}]`,
  '',
].join('\n');

/** The demo is written as format-on-save would leave it, so `slayer-ls format --check` passes on it. */
function canonical(relative: string, text: string): string {
  const kind = relative.startsWith('datasources') ? 'datasource' : relative.startsWith('models') ? 'model' : 'query';
  const formatted = formatSlayerText(kind, text);
  if ('refused' in formatted) throw new Error(`The demo template for ${relative} does not format: ${formatted.refused}`);
  return formatted.text;
}

/** JSON string syntax is valid YAML double-quoted syntax, and it escapes whatever a path throws at it. */
function yamlString(value: string): string {
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------
// Data sources
// ---------------------------------------------------------------------------

function sqliteDatasourceYaml(databasePath: string): string {
  return `# A data source tells SLayer how to connect to a database. Models refer to it
# by name through their \`data_source\` field; the file name matches \`name\`.
version: 2
name: ${SQLITE_DATA_SOURCE}
type: sqlite
# SQLite needs only the file path. Absolute, so SLayer finds it from any working directory.
database: ${yamlString(databasePath)}
description: Jaffle shop demo data (generated), stored in SQLite.
`;
}

function duckdbDatasourceYaml(databasePath: string): string {
  return `# The same demo data in DuckDB. Its models live in models/${DUCKDB_DATA_SOURCE}/ and may reuse
# the model names of the SQLite data source: a model is identified by data source + name.
version: 2
name: ${DUCKDB_DATA_SOURCE}
type: duckdb
database: ${yamlString(databasePath)}
description: Jaffle shop demo data (generated), stored in DuckDB.
`;
}

// ---------------------------------------------------------------------------
// Table-backed models
// ---------------------------------------------------------------------------

type TableModelName = (typeof TABLE_MODEL_NAMES)[number];

const TABLE_MODEL_TEMPLATES: Record<TableModelName, (dataSource: string) => string> = {
  customers: (dataSource) => `# A model is SLayer's view of one table. Each column can be grouped by
# ("dimensions" in a query) or aggregated ("measures", e.g. \`id:count\`).
version: 7
name: customers
data_source: ${dataSource}
sql_table: customers
description: People who have ordered from the jaffle shop, one row per customer.
# Time-dependent formulas (cumsum, change, ...) use this column when a query names none.
default_time_dimension: signed_up_on
columns:
  - name: id
    type: INT
    # Primary keys can only be counted: summing customer ids means nothing.
    primary_key: true
    description: Customer identifier.
  - name: name
    type: TEXT
    label: Customer
    description: Full name, unique across customers.
  - name: region
    type: TEXT
    label: Home region
    description: Where the customer lives; NULL when they never told us.
  - name: signed_up_on
    type: DATE
    label: Signed up
    description: Day the customer created an account.
measures:
  - name: customer_count
    formula: "id:count_distinct"
    label: Customers
    description: Number of distinct customers.
`,

  stores: (dataSource) => `# One row per shop. Stores opened at different dates, which shows up as
# steps in any revenue-over-time chart.
version: 7
name: stores
data_source: ${dataSource}
sql_table: stores
description: Jaffle shop locations.
default_time_dimension: opened_on
columns:
  - name: id
    type: INT
    primary_key: true
    description: Store identifier.
  - name: name
    type: TEXT
    label: Store
    description: Store name, unique.
  - name: city
    type: TEXT
    description: City the store is in.
  - name: region
    type: TEXT
    description: Sales region of the store.
  - name: opened_on
    type: DATE
    label: Opened
    description: First trading day.
  - name: tax_rate
    type: DOUBLE
    label: Sales tax rate
    description: Sales tax charged on the order subtotal, as a fraction (0.0625 = 6.25%).
    format:
      type: percent
      precision: 2
    # An average or extreme of tax rates makes sense; a sum does not.
    allowed_aggregations: [avg, min, max]
`,

  products: (dataSource) => `# The menu: jaffles (toasted sandwiches) and drinks.
version: 7
name: products
data_source: ${dataSource}
sql_table: products
description: Items on the menu, one row per product.
columns:
  - name: id
    type: INT
    primary_key: true
    description: Product identifier.
  - name: sku
    type: TEXT
    label: SKU
    description: Stock keeping unit code.
  - name: name
    type: TEXT
    label: Product
    description: Menu name.
  - name: category
    type: TEXT
    description: savory jaffle, sweet jaffle, hot drink or cold drink.
  - name: price
    type: DOUBLE
    label: List price
    description: Current menu price per unit.
    format:
      type: currency
      precision: 2
  # SQLite stores booleans as 0/1; BOOLEAN tells SLayer to treat them as true/false.
  - name: is_food
    type: BOOLEAN
    label: Food
    description: True for jaffles.
  - name: is_drink
    type: BOOLEAN
    label: Drink
    description: True for drinks.
measures:
  - name: average_list_price
    formula: "price:avg"
    description: Mean menu price across the products in each group.
`,

  supplies: (dataSource) => `# What it costs to make each product. Several supplies per product.
version: 7
name: supplies
data_source: ${dataSource}
sql_table: supplies
description: Ingredients and packaging used per unit of a product.
columns:
  - name: id
    type: INT
    primary_key: true
    description: Supply line identifier.
  - name: product_id
    type: INT
    description: Product this supply goes into.
  - name: name
    type: TEXT
    label: Supply
    description: Ingredient or packaging item.
  - name: cost
    type: DOUBLE
    label: Unit cost
    description: Cost of this supply for one unit of the product.
    format:
      type: currency
      precision: 2
  - name: is_perishable
    type: BOOLEAN
    label: Perishable
    description: True when the supply spoils within days.
measures:
  - name: unit_cost
    formula: "cost:sum"
    label: Cost per unit
    description: Summed supply cost; grouped by product it is that product's unit cost.
joins:
  # LEFT JOIN products ON supplies.product_id = products.id
  - target_model: products
    join_pairs: [[product_id, id]]
`,

  orders: (dataSource) => `# The central fact table: one row per order. Most example queries start here.
version: 7
name: orders
data_source: ${dataSource}
sql_table: orders
description: Orders placed at jaffle shop stores, one row per order.
default_time_dimension: ordered_at
columns:
  - name: id
    type: INT
    primary_key: true
    description: Order identifier; increases with time.
  - name: customer_id
    type: INT
    description: Customer who placed the order.
  - name: store_id
    type: INT
    description: Store the order was placed at.
  - name: order_date
    type: DATE
    label: Order date
    description: Calendar day of the order.
  - name: ordered_at
    type: TIMESTAMP
    label: Ordered at
    description: Moment the order was rung up (store local time).
  - name: status
    type: TEXT
    description: completed, returned, pending or cancelled.
    # Only counting makes sense for a status.
    allowed_aggregations: [count, count_distinct]
  - name: subtotal
    type: DOUBLE
    description: Sum of the order's line totals, before tax and tip.
    format:
      type: currency
      precision: 2
  - name: tax_paid
    type: DOUBLE
    label: Tax
    description: Sales tax charged on the subtotal.
    format:
      type: currency
      precision: 2
  - name: tip
    type: DOUBLE
    description: Tip added at the till; NULL when it was not recorded (cash tips).
    format:
      type: currency
      precision: 2
    # \`spread\` is this model's own aggregation, defined under aggregations: below.
    allowed_aggregations: [sum, avg, max, count, spread]
  - name: amount
    type: DOUBLE
    label: Order total
    description: subtotal + tax_paid + tip.
    format:
      type: currency
      precision: 2
  # A filtered column: aggregating it only counts rows matching \`filter\`,
  # so completed_amount:sum is the revenue of completed orders only.
  - name: completed_amount
    sql: amount
    type: DOUBLE
    label: Completed order total
    description: Order total, counted only for completed orders.
    filter: "status = 'completed'"
    format:
      type: currency
      precision: 2
# Named formulas. Queries ask for them by bare name, e.g. \`measures: [revenue]\`.
measures:
  - name: revenue
    formula: "amount:sum"
    label: Revenue
    description: Total billed, whatever the order status.
  - name: aov
    formula: "amount:sum / *:count"
    label: Average order value
    description: Revenue per order.
  - name: completed_revenue
    formula: "completed_amount:sum"
    label: Completed revenue
    description: Revenue from completed orders only.
  # Measures can build on other measures by name.
  - name: completion_rate
    formula: "completed_revenue / revenue"
    label: Completed share of revenue
    description: Fraction of revenue that comes from completed orders.
  - name: revenue_per_customer
    formula: "revenue / customer_id:count_distinct"
    label: Revenue per customer
    description: Revenue divided by the number of distinct customers who ordered.
# Custom aggregations add new \`column:aggregation\` operators. {value} stands for
# the aggregated column's SQL expression.
aggregations:
  - name: spread
    formula: "MAX({value}) - MIN({value})"
    description: Spread between the largest and smallest value in the group.
# Joins are LEFT JOINs that let queries reach columns of other models with
# dotted names, e.g. \`customers.name\` or \`stores.region\`.
joins:
  - target_model: customers
    join_pairs: [[customer_id, id]]
  - target_model: stores
    join_pairs: [[store_id, id]]
`,

  order_items: (dataSource) => `# Order lines: which products were in each order, and how many.
version: 7
name: order_items
data_source: ${dataSource}
sql_table: order_items
description: One row per product per order.
columns:
  - name: id
    type: INT
    primary_key: true
    description: Order line identifier.
  - name: order_id
    type: INT
    description: Order this line belongs to.
  - name: product_id
    type: INT
    description: Product sold on this line.
  - name: quantity
    type: INT
    description: Units of the product on this line.
    allowed_aggregations: [sum, avg, min, max]
  - name: unit_price
    type: DOUBLE
    label: Unit price
    description: Price per unit when the order was placed.
    format:
      type: currency
      precision: 2
  - name: line_total
    type: DOUBLE
    label: Line total
    description: quantity * unit_price.
    format:
      type: currency
      precision: 2
measures:
  - name: units_sold
    formula: "quantity:sum"
    label: Units sold
  - name: item_revenue
    formula: "line_total:sum"
    label: Item revenue
    description: Revenue before tax and tip, attributed to products.
joins:
  - target_model: orders
    join_pairs: [[order_id, id]]
  - target_model: products
    join_pairs: [[product_id, id]]
  # Multi-hop paths work too: \`orders.customers.region\` walks orders -> customers.
`,
};

// ---------------------------------------------------------------------------
// Query-backed model
// ---------------------------------------------------------------------------

function monthlyRevenueModelYaml(dataSource: string): string {
  return `# A query-backed model: its rows are the result of a saved SLayer query,
# and other queries can use it as their source_model like any table.
# SLayer fills in \`columns\` and \`backing_query_sql\` itself when the model is
# saved through the engine, so they are deliberately absent here.
version: 7
name: monthly_revenue
data_source: ${dataSource}
description: Revenue per calendar month, across all stores.
source_queries:
  - source_model: orders
    time_dimensions:
      - dimension: ordered_at
        granularity: month
    measures:
      - revenue
`;
}

// ---------------------------------------------------------------------------
// Example queries
// ---------------------------------------------------------------------------

type QueryFileName = (typeof QUERY_FILE_NAMES)[number];

const QUERY_TEMPLATES: Record<QueryFileName, string> = {
  revenue_by_month: `# Revenue and order count per month. Run it, then try granularity: week or quarter.
source_model: orders
time_dimensions:
  - dimension: ordered_at
    granularity: month
measures:
  # A named measure from models/jaffle/orders.yaml ...
  - revenue
  # ... and an ad-hoc one: \`*:count\` counts rows. Quoted, because a bare * starts a YAML alias.
  - "*:count"
`,

  top_customers: `# The ten customers who spent the most. \`customers.name\` reaches the
# customers model through the join declared on orders.
source_model: orders
dimensions:
  - customers.name
measures:
  - revenue
  - "*:count"
order:
  - column: revenue
    direction: desc
limit: 10
`,

  aov_by_store: `# Average order value per store, plus the order count behind it.
source_model: orders
dimensions:
  - stores.name
  - stores.region
measures:
  - aov
  - "*:count"
order:
  - column: aov
    direction: desc
`,

  completed_revenue_by_month: `# A query can be a list of stages. Every stage but the last needs a name,
# and later stages use that name as their source_model. Only the last
# stage's rows are returned.
#
# Stage 1 totals revenue per month; \`completed_amount\` is a filtered column,
# so it only adds up completed orders.
- name: monthly_totals
  source_model: orders
  time_dimensions:
    - dimension: ordered_at
      granularity: month
  measures:
    - formula: "completed_amount:sum"
      name: month_completed
    - formula: "amount:sum"
      name: month_billed
# Stage 2 reads stage 1's output, whose columns carry the names given above.
- source_model: monthly_totals
  time_dimensions:
    - dimension: ordered_at
      granularity: month
  measures:
    - formula: "month_completed:sum"
      name: completed_revenue_in_month
    - formula: "month_completed:sum / month_billed:sum"
      name: completed_share
`,
};
