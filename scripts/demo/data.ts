/**
 * Deterministic generator for the demo's jaffle-shop-like data set.
 *
 * Everything here is pure: the same options always give the same rows, with no
 * I/O, no clock and no Math.random, so the demo, its tests and anybody's bug
 * report all see identical numbers.
 */

/** A single value as the writers see it; NULL is `null`. */
export type CellValue = string | number | boolean | null;

export type OrderStatus = 'completed' | 'returned' | 'pending' | 'cancelled';

// Row shapes are type aliases (not interfaces) so they stay assignable to
// `Record<string, CellValue>`, which is what the table writers iterate over.
export type CustomerRow = {
  id: number;
  name: string;
  region: string | null;
  signed_up_on: string;
};

export type StoreRow = {
  id: number;
  name: string;
  city: string;
  region: string;
  opened_on: string;
  tax_rate: number;
};

export type ProductRow = {
  id: number;
  sku: string;
  name: string;
  category: string;
  price: number;
  is_food: boolean;
  is_drink: boolean;
};

export type SupplyRow = {
  id: number;
  product_id: number;
  name: string;
  cost: number;
  is_perishable: boolean;
};

export type OrderRow = {
  id: number;
  customer_id: number;
  store_id: number;
  order_date: string;
  ordered_at: string;
  status: OrderStatus;
  subtotal: number;
  tax_paid: number;
  tip: number | null;
  amount: number;
};

export type OrderItemRow = {
  id: number;
  order_id: number;
  product_id: number;
  quantity: number;
  unit_price: number;
  line_total: number;
};

export interface DemoData {
  customers: CustomerRow[];
  stores: StoreRow[];
  products: ProductRow[];
  supplies: SupplyRow[];
  orders: OrderRow[];
  order_items: OrderItemRow[];
}

export type TableName = keyof DemoData;

export interface DemoDataOptions {
  seed: number;
  orders: number;
  /** First day of the order history, `YYYY-MM-DD`. */
  startDate: string;
  /** Length of the order history in calendar months. */
  months: number;
  /** Number of customers; defaults to one per twenty orders. */
  customers?: number;
}

/** The options `npm run demo` uses. */
export const DEFAULT_DEMO_OPTIONS: Readonly<DemoDataOptions> = {
  seed: 20230101,
  orders: 50_000,
  startDate: '2023-01-01',
  months: 24,
};

// ---------------------------------------------------------------------------
// Table schema, shared by the SQLite and DuckDB writers
// ---------------------------------------------------------------------------

/** Logical column types; each writer maps them to its own SQL types. */
export type ColumnKind = 'integer' | 'real' | 'text' | 'date' | 'timestamp' | 'boolean';

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly nullable?: boolean;
  readonly primaryKey?: boolean;
  /** Foreign key to the `id` column of another table. */
  readonly references?: TableName;
}

export interface TableSpec {
  readonly name: TableName;
  readonly columns: readonly ColumnSpec[];
}

/** Parents come before children so foreign keys hold while tables load in order. */
export const DEMO_TABLES: readonly TableSpec[] = [
  {
    name: 'stores',
    columns: [
      { name: 'id', kind: 'integer', primaryKey: true },
      { name: 'name', kind: 'text' },
      { name: 'city', kind: 'text' },
      { name: 'region', kind: 'text' },
      { name: 'opened_on', kind: 'date' },
      { name: 'tax_rate', kind: 'real' },
    ],
  },
  {
    name: 'customers',
    columns: [
      { name: 'id', kind: 'integer', primaryKey: true },
      { name: 'name', kind: 'text' },
      { name: 'region', kind: 'text', nullable: true },
      { name: 'signed_up_on', kind: 'date' },
    ],
  },
  {
    name: 'products',
    columns: [
      { name: 'id', kind: 'integer', primaryKey: true },
      { name: 'sku', kind: 'text' },
      { name: 'name', kind: 'text' },
      { name: 'category', kind: 'text' },
      { name: 'price', kind: 'real' },
      { name: 'is_food', kind: 'boolean' },
      { name: 'is_drink', kind: 'boolean' },
    ],
  },
  {
    name: 'supplies',
    columns: [
      { name: 'id', kind: 'integer', primaryKey: true },
      { name: 'product_id', kind: 'integer', references: 'products' },
      { name: 'name', kind: 'text' },
      { name: 'cost', kind: 'real' },
      { name: 'is_perishable', kind: 'boolean' },
    ],
  },
  {
    name: 'orders',
    columns: [
      { name: 'id', kind: 'integer', primaryKey: true },
      { name: 'customer_id', kind: 'integer', references: 'customers' },
      { name: 'store_id', kind: 'integer', references: 'stores' },
      { name: 'order_date', kind: 'date' },
      { name: 'ordered_at', kind: 'timestamp' },
      { name: 'status', kind: 'text' },
      { name: 'subtotal', kind: 'real' },
      { name: 'tax_paid', kind: 'real' },
      { name: 'tip', kind: 'real', nullable: true },
      { name: 'amount', kind: 'real' },
    ],
  },
  {
    name: 'order_items',
    columns: [
      { name: 'id', kind: 'integer', primaryKey: true },
      { name: 'order_id', kind: 'integer', references: 'orders' },
      { name: 'product_id', kind: 'integer', references: 'products' },
      { name: 'quantity', kind: 'integer' },
      { name: 'unit_price', kind: 'real' },
      { name: 'line_total', kind: 'real' },
    ],
  },
];

/** The rows of one table, seen generically so writers need no per-table code. */
export function tableRows(data: DemoData, table: TableName): readonly Readonly<Record<string, CellValue>>[] {
  return data[table];
}

/** Row counts keyed by table name, in `DEMO_TABLES` order. */
export function rowCounts(data: DemoData): Record<TableName, number> {
  return {
    stores: data.stores.length,
    customers: data.customers.length,
    products: data.products.length,
    supplies: data.supplies.length,
    orders: data.orders.length,
    order_items: data.order_items.length,
  };
}

// ---------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------

/** Returns a float in [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast, and good enough for synthetic data. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One independent stream per concern, so changing how (say) tips are drawn
 * does not reshuffle which customer placed which order.
 */
function streamFor(seed: number, label: string): Rng {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  }
  return mulberry32((hash ^ Math.imul(Math.trunc(seed), 0x9e3779b1)) >>> 0);
}

function itemAt<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new RangeError(`index ${index} outside 0..${items.length - 1}`);
  return item;
}

/** Samples indexes in proportion to fixed weights, optionally from a prefix only. */
class WeightedPicker {
  private readonly cumulative: Float64Array;

  constructor(weights: readonly number[]) {
    this.cumulative = new Float64Array(weights.length);
    let total = 0;
    weights.forEach((weight, index) => {
      total += Math.max(0, weight);
      this.cumulative[index] = total;
    });
  }

  /** Picks among the first `limit` entries (all of them by default). */
  pick(rng: Rng, limit: number = this.cumulative.length): number {
    const total = limit > 0 ? (this.cumulative[limit - 1] ?? 0) : 0;
    if (total <= 0) throw new Error('WeightedPicker: nothing to pick from');
    const target = rng() * total;
    let low = 0;
    let high = limit - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.cumulative[mid] ?? 0) > target) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}

function pickFrom<T>(rng: Rng, entries: readonly (readonly [T, number])[]): T {
  const picker = new WeightedPicker(entries.map(([, weight]) => weight));
  return itemAt(entries, picker.pick(rng))[0];
}

function shuffleInPlace<T>(rng: Rng, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const a = itemAt(items, i);
    items[i] = itemAt(items, j);
    items[j] = a;
  }
}

// ---------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------

const DAY_MS = 86_400_000;

function parseIsoDate(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) throw new Error(`expected a YYYY-MM-DD date, got '${text}'`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  if (new Date(ms).getUTCDate() !== day) throw new Error(`not a calendar date: '${text}'`);
  return ms;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function formatIsoDate(ms: number): string {
  const date = new Date(ms);
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

function formatClock(secondOfDay: number): string {
  const hours = Math.floor(secondOfDay / 3600);
  const minutes = Math.floor((secondOfDay % 3600) / 60);
  return `${pad(hours)}:${pad(minutes)}:${pad(secondOfDay % 60)}`;
}

function addMonths(ms: number, months: number, dayOfMonth: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, dayOfMonth);
}

interface Calendar {
  readonly startMs: number;
  readonly dayCount: number;
  readonly isoDates: readonly string[];
  /** 0 = Sunday, as `Date#getUTCDay`. */
  readonly weekdays: readonly number[];
  /** 0 = January. */
  readonly monthIndexes: readonly number[];
}

function buildCalendar(startDate: string, months: number): Calendar {
  const startMs = parseIsoDate(startDate);
  const endMs = addMonths(startMs, months, new Date(startMs).getUTCDate());
  const dayCount = Math.round((endMs - startMs) / DAY_MS);
  const isoDates: string[] = [];
  const weekdays: number[] = [];
  const monthIndexes: number[] = [];
  for (let day = 0; day < dayCount; day++) {
    const date = new Date(startMs + day * DAY_MS);
    isoDates.push(formatIsoDate(date.getTime()));
    weekdays.push(date.getUTCDay());
    monthIndexes.push(date.getUTCMonth());
  }
  return { startMs, dayCount, isoDates, weekdays, monthIndexes };
}

// ---------------------------------------------------------------------------
// Reference data (written for this demo)
// ---------------------------------------------------------------------------

type Region = 'Northeast' | 'Midwest' | 'West' | 'South';

interface StoreBlueprint {
  name: string;
  city: string;
  region: Region;
  /** Opening date as a fraction of the history length; negative means before it starts. */
  opensAt: number;
  dayOfMonth: number;
  /** Relative order volume once the store has ramped up. */
  capacity: number;
  taxRate: number;
}

const STORE_BLUEPRINTS: readonly StoreBlueprint[] = [
  { name: 'Old Harbor', city: 'Bayport', region: 'Northeast', opensAt: -0.4, dayOfMonth: 1, capacity: 1.0, taxRate: 0.0625 },
  { name: 'Maple Square', city: 'Elmwood', region: 'Midwest', opensAt: -0.15, dayOfMonth: 10, capacity: 0.75, taxRate: 0.055 },
  { name: 'Red Mesa', city: 'Dry Creek', region: 'West', opensAt: 0.12, dayOfMonth: 6, capacity: 1.25, taxRate: 0.0725 },
  { name: 'Palmetto Row', city: 'Saltmarsh', region: 'South', opensAt: 0.35, dayOfMonth: 20, capacity: 0.9, taxRate: 0.06 },
  { name: 'Cedar Point', city: 'Pinecrest', region: 'West', opensAt: 0.55, dayOfMonth: 3, capacity: 0.8, taxRate: 0.0725 },
  { name: 'Sunport Pier', city: 'Coral Bay', region: 'South', opensAt: 0.8, dayOfMonth: 12, capacity: 1.1, taxRate: 0.07 },
];

type Season = 'winter' | 'summer' | 'autumn';

interface ProductBlueprint {
  sku: string;
  name: string;
  category: string;
  priceCents: number;
  isDrink: boolean;
  /** Relative popularity; deliberately very uneven. */
  popularity: number;
  season: Season | null;
  supplies: readonly (readonly [name: string, costCents: number, perishable: boolean])[];
}

const PRODUCT_BLUEPRINTS: readonly ProductBlueprint[] = [
  {
    sku: 'JAF-001', name: 'Three Cheese Jaffle', category: 'savory jaffle', priceCents: 850, isDrink: false, popularity: 10, season: null,
    supplies: [['sourdough slices', 60, true], ['cheddar', 85, true], ['gruyere', 110, true], ['takeaway box', 18, false]],
  },
  {
    sku: 'JAF-002', name: 'Ham and Tomato Jaffle', category: 'savory jaffle', priceCents: 925, isDrink: false, popularity: 7, season: null,
    supplies: [['sourdough slices', 60, true], ['smoked ham', 140, true], ['tomato', 35, true], ['takeaway box', 18, false]],
  },
  {
    sku: 'JAF-003', name: 'Mushroom and Thyme Jaffle', category: 'savory jaffle', priceCents: 950, isDrink: false, popularity: 4, season: null,
    supplies: [['rye slices', 70, true], ['field mushrooms', 95, true], ['thyme butter', 40, true], ['takeaway box', 18, false]],
  },
  {
    sku: 'JAF-004', name: 'Spiced Pumpkin Jaffle', category: 'savory jaffle', priceCents: 975, isDrink: false, popularity: 2.5, season: 'autumn',
    supplies: [['rye slices', 70, true], ['roast pumpkin', 80, true], ['spice mix', 15, false], ['takeaway box', 18, false]],
  },
  {
    sku: 'JAF-005', name: 'Chili Bean Jaffle', category: 'savory jaffle', priceCents: 900, isDrink: false, popularity: 3, season: 'winter',
    supplies: [['sourdough slices', 60, true], ['chili beans', 75, true], ['cheddar', 85, true], ['takeaway box', 18, false]],
  },
  {
    sku: 'JAF-006', name: 'Banana and Caramel Jaffle', category: 'sweet jaffle', priceCents: 800, isDrink: false, popularity: 5, season: null,
    supplies: [['brioche slices', 75, true], ['banana', 30, true], ['salted caramel', 55, false], ['takeaway box', 18, false]],
  },
  {
    sku: 'JAF-007', name: 'Apple Crumble Jaffle', category: 'sweet jaffle', priceCents: 825, isDrink: false, popularity: 1.5, season: 'autumn',
    supplies: [['brioche slices', 75, true], ['stewed apple', 45, true], ['oat crumble', 25, false], ['takeaway box', 18, false]],
  },
  {
    sku: 'BEV-001', name: 'Flat White', category: 'hot drink', priceCents: 450, isDrink: true, popularity: 9, season: null,
    supplies: [['espresso beans', 40, false], ['milk', 25, true], ['paper cup', 9, false], ['cup lid', 4, false]],
  },
  {
    sku: 'BEV-002', name: 'Hot Chocolate', category: 'hot drink', priceCents: 475, isDrink: true, popularity: 2.5, season: 'winter',
    supplies: [['cocoa blend', 45, false], ['milk', 25, true], ['paper cup', 9, false], ['cup lid', 4, false]],
  },
  {
    sku: 'BEV-003', name: 'Cold Brew', category: 'cold drink', priceCents: 500, isDrink: true, popularity: 3.5, season: 'summer',
    supplies: [['cold brew concentrate', 55, true], ['ice', 5, false], ['plastic cup', 11, false], ['straw', 2, false]],
  },
  {
    sku: 'BEV-004', name: 'Iced Lemon Tea', category: 'cold drink', priceCents: 425, isDrink: true, popularity: 1.8, season: 'summer',
    supplies: [['black tea', 12, false], ['lemon', 20, true], ['ice', 5, false], ['plastic cup', 11, false]],
  },
  {
    sku: 'BEV-005', name: 'Ginger Fizz', category: 'cold drink', priceCents: 400, isDrink: true, popularity: 1, season: null,
    supplies: [['ginger syrup', 30, false], ['soda water', 10, false], ['plastic cup', 11, false], ['straw', 2, false]],
  },
];

const FIRST_NAMES = [
  'Ava', 'Ben', 'Chloe', 'Daniel', 'Ella', 'Felix', 'Grace', 'Henry', 'Isla', 'Jack',
  'Kara', 'Liam', 'Maya', 'Noah', 'Olive', 'Peter', 'Quinn', 'Rosa', 'Sam', 'Tara',
  'Umar', 'Vera', 'Will', 'Xena', 'Yusuf', 'Zoe', 'Aaron', 'Bella', 'Caleb', 'Dana',
  'Eli', 'Fiona', 'Gabe', 'Hana', 'Ivan', 'Jade', 'Kofi', 'Lena', 'Marco', 'Nina',
  'Omar', 'Priya', 'Reid', 'Sofia', 'Theo', 'Una', 'Victor', 'Wren', 'Yara', 'Zane',
  'Anika', 'Bruno', 'Cleo', 'Dev', 'Esme', 'Finn', 'Gia', 'Hugo', 'Iris', 'Jonah',
];

const LAST_NAMES = [
  'Abbott', 'Baker', 'Chen', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Hughes', 'Ito', 'Jensen',
  'Khan', 'Lopez', 'Morgan', 'Nguyen', 'Okafor', 'Patel', 'Quinlan', 'Reyes', 'Singh', 'Tanaka',
  'Ueda', 'Vargas', 'Walsh', 'Xu', 'Young', 'Zimmer', 'Alvarez', 'Brooks', 'Costa', 'Dubois',
  'Ellis', 'Foster', 'Grant', 'Hale', 'Ibarra', 'Jones', 'Kim', 'Larsen', 'Mendes', 'Novak',
  'Olsen', 'Price', 'Rossi', 'Silva', 'Turner', 'Usman', 'Vance', 'Weber', 'Yilmaz', 'Zhou',
  'Ahmed', 'Bishop', 'Carter', 'Dunn', 'Erikson', 'Ford', 'Gray', 'Holt', 'Ivers', 'Kowalski',
];

/** Customers live where the stores are, with a slight lean towards the big West stores. */
const CUSTOMER_REGION_WEIGHTS: readonly (readonly [string | null, number])[] = [
  ['Northeast', 0.22],
  ['Midwest', 0.15],
  ['West', 0.32],
  ['South', 0.25],
  // Older sign-ups never gave a postcode.
  [null, 0.06],
];

/** Sunday first, as `getUTCDay`: weekends are busiest, Mondays quietest. */
const WEEKDAY_FACTORS = [1.3, 0.8, 0.85, 0.9, 0.95, 1.15, 1.4] as const;

/** January first: a December rush, a soft start to the year, a small summer lift. */
const MONTH_FACTORS = [0.85, 0.85, 0.95, 1.0, 1.02, 1.05, 1.08, 1.05, 0.98, 1.0, 1.1, 1.45] as const;

/** Hour of day (07..21) weights: breakfast, a lunch peak and an evening bump. */
const HOUR_WEIGHTS: readonly (readonly [number, number])[] = [
  [7, 3], [8, 6], [9, 5], [10, 4], [11, 7], [12, 10], [13, 8], [14, 4],
  [15, 3], [16, 4], [17, 6], [18, 7], [19, 5], [20, 3], [21, 1],
];

const ITEMS_PER_ORDER: readonly (readonly [number, number])[] = [[1, 45], [2, 30], [3, 15], [4, 7], [5, 3]];
const QUANTITY_WEIGHTS: readonly (readonly [number, number])[] = [[1, 80], [2, 15], [3, 5]];

const SEASON_MONTHS: Record<Season, readonly number[]> = {
  winter: [11, 0, 1],
  summer: [5, 6, 7],
  autumn: [8, 9, 10],
};

const SEASON_OPPOSITE: Record<Season, Season> = { winter: 'summer', summer: 'winter', autumn: 'summer' };

/** Customers who signed up before the history starts, as a share of all customers. */
const EXISTING_CUSTOMER_SHARE = 0.12;
/** Pareto shape: around 1.2-1.3 gives the familiar "few regulars, many one-offs" curve. */
const CUSTOMER_PARETO_ALPHA = 1.25;
/** Stops a single synthetic customer from swallowing a visible slice of all orders. */
const CUSTOMER_WEIGHT_CAP = 40;
/** Days a new store needs to reach full volume. */
const STORE_RAMP_DAYS = 90;
/** Orders this close to the end of the history may still be open. */
const RECENT_ORDER_DAYS = 3;
const TIP_MISSING_SHARE = 0.25;

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

interface StorePlan {
  row: StoreRow;
  /** Day index relative to the history start; may be negative. */
  openDay: number;
  capacity: number;
}

interface CustomerPlan {
  row: CustomerRow;
  /** First day the customer may order (0 for customers who existed before). */
  firstDay: number;
}

export function generateDemoData(options: DemoDataOptions): DemoData {
  validateOptions(options);
  const calendar = buildCalendar(options.startDate, options.months);
  const stores = planStores(calendar, options.months);
  const dayWeights = computeDayWeights(calendar, stores);
  const customerCount = options.customers ?? Math.max(20, Math.round(options.orders / 20));
  const customers = planCustomers(options.seed, calendar, dayWeights, customerCount);
  const products = buildProducts();
  const supplies = buildSupplies();
  const { orders, orderItems } = generateOrders(options, calendar, dayWeights, stores, customers);
  return {
    customers: customers.map((plan) => plan.row),
    stores: stores.map((plan) => plan.row),
    products,
    supplies,
    orders,
    order_items: orderItems,
  };
}

function validateOptions(options: DemoDataOptions): void {
  if (!Number.isFinite(options.seed)) throw new Error('seed must be a finite number');
  if (!Number.isInteger(options.orders) || options.orders < 1) throw new Error('orders must be a positive integer');
  if (!Number.isInteger(options.months) || options.months < 1) throw new Error('months must be a positive integer');
  if (options.customers !== undefined && (!Number.isInteger(options.customers) || options.customers < 1)) {
    throw new Error('customers must be a positive integer');
  }
  parseIsoDate(options.startDate);
}

function planStores(calendar: Calendar, months: number): StorePlan[] {
  return STORE_BLUEPRINTS.map((blueprint, index) => {
    const offsetMonths = Math.round(blueprint.opensAt * months);
    const openMs = addMonths(calendar.startMs, offsetMonths, blueprint.dayOfMonth);
    return {
      row: {
        id: index + 1,
        name: blueprint.name,
        city: blueprint.city,
        region: blueprint.region,
        opened_on: formatIsoDate(openMs),
        tax_rate: blueprint.taxRate,
      },
      openDay: Math.round((openMs - calendar.startMs) / DAY_MS),
      capacity: blueprint.capacity,
    };
  });
}

/** 0 before opening, then a linear ramp to full volume. */
function storeRamp(store: StorePlan, day: number): number {
  const daysOpen = day - store.openDay;
  if (daysOpen < 0) return 0;
  return Math.min(1, 0.35 + (0.65 * daysOpen) / STORE_RAMP_DAYS);
}

function computeDayWeights(calendar: Calendar, stores: readonly StorePlan[]): number[] {
  const weights: number[] = [];
  for (let day = 0; day < calendar.dayCount; day++) {
    const growth = 1 + (0.8 * day) / calendar.dayCount;
    const weekday = WEEKDAY_FACTORS[itemAt(calendar.weekdays, day)] ?? 1;
    const month = MONTH_FACTORS[itemAt(calendar.monthIndexes, day)] ?? 1;
    const openCapacity = stores.reduce((sum, store) => sum + store.capacity * storeRamp(store, day), 0);
    weights.push(growth * weekday * month * openCapacity);
  }
  return weights;
}

function planCustomers(seed: number, calendar: Calendar, dayWeights: readonly number[], count: number): CustomerPlan[] {
  const rng = streamFor(seed, 'customers');
  const names = uniqueNames(rng, count);
  const dayPicker = new WeightedPicker(dayWeights);
  const existing = Math.max(1, Math.round(count * EXISTING_CUSTOMER_SHARE));
  const drafts = names.map((name, index) => {
    const isExisting = index < existing;
    // New sign-ups follow the same growth and seasonality as orders.
    const firstDay = isExisting ? 0 : dayPicker.pick(rng);
    const signupMs = isExisting
      ? calendar.startMs - (1 + Math.floor(rng() * 365)) * DAY_MS
      : calendar.startMs + firstDay * DAY_MS;
    const region = pickFrom(rng, CUSTOMER_REGION_WEIGHTS);
    return { name, region, firstDay, signupMs };
  });
  // Ids follow sign-up order, like an auto-increment key would.
  drafts.sort((a, b) => a.signupMs - b.signupMs || a.name.localeCompare(b.name));
  return drafts.map((draft, index) => ({
    row: { id: index + 1, name: draft.name, region: draft.region, signed_up_on: formatIsoDate(draft.signupMs) },
    firstDay: draft.firstDay,
  }));
}

function uniqueNames(rng: Rng, count: number): string[] {
  const combos: string[] = [];
  for (const first of FIRST_NAMES) {
    for (const last of LAST_NAMES) combos.push(`${first} ${last}`);
  }
  shuffleInPlace(rng, combos);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const base = itemAt(combos, i % combos.length);
    const round = Math.floor(i / combos.length);
    // Past the name pool, a suffix keeps `customers.name` usable as a group-by key.
    names.push(round === 0 ? base : `${base} ${round + 1}`);
  }
  return names;
}

function buildProducts(): ProductRow[] {
  return PRODUCT_BLUEPRINTS.map((blueprint, index) => ({
    id: index + 1,
    sku: blueprint.sku,
    name: blueprint.name,
    category: blueprint.category,
    price: blueprint.priceCents / 100,
    is_food: !blueprint.isDrink,
    is_drink: blueprint.isDrink,
  }));
}

function buildSupplies(): SupplyRow[] {
  const rows: SupplyRow[] = [];
  PRODUCT_BLUEPRINTS.forEach((blueprint, productIndex) => {
    for (const [name, costCents, perishable] of blueprint.supplies) {
      rows.push({ id: rows.length + 1, product_id: productIndex + 1, name, cost: costCents / 100, is_perishable: perishable });
    }
  });
  return rows;
}

function seasonalFactor(season: Season | null, monthIndex: number): number {
  if (season === null) return 1;
  if (SEASON_MONTHS[season].includes(monthIndex)) return 2.2;
  if (SEASON_MONTHS[SEASON_OPPOSITE[season]].includes(monthIndex)) return 0.5;
  return 1;
}

/** One picker per calendar month, because seasonal products swing through the year. */
function productPickersByMonth(): WeightedPicker[] {
  const pickers: WeightedPicker[] = [];
  for (let month = 0; month < 12; month++) {
    pickers.push(new WeightedPicker(PRODUCT_BLUEPRINTS.map((p) => p.popularity * seasonalFactor(p.season, month))));
  }
  return pickers;
}

/** Pareto-distributed order propensity: a handful of regulars and a long tail. */
function customerWeights(seed: number, count: number): number[] {
  const rng = streamFor(seed, 'customer-weights');
  const weights: number[] = [];
  for (let i = 0; i < count; i++) {
    const u = 1 - rng(); // (0, 1], so the power never divides by zero
    weights.push(Math.min(CUSTOMER_WEIGHT_CAP, Math.pow(u, -1 / CUSTOMER_PARETO_ALPHA)));
  }
  return weights;
}

/** Sorted `day * 86400 + second` keys, so order ids come out chronological. */
function orderTimestamps(seed: number, count: number, dayWeights: readonly number[]): Float64Array {
  const rng = streamFor(seed, 'order-times');
  const dayPicker = new WeightedPicker(dayWeights);
  const hourPicker = new WeightedPicker(HOUR_WEIGHTS.map(([, weight]) => weight));
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const day = dayPicker.pick(rng);
    const hour = itemAt(HOUR_WEIGHTS, hourPicker.pick(rng))[0];
    const second = hour * 3600 + Math.floor(rng() * 3600);
    keys[i] = day * 86_400 + second;
  }
  return keys.sort();
}

function pickStore(rng: Rng, stores: readonly StorePlan[], day: number, region: string | null): StorePlan {
  // Customers mostly shop in their own region, but travel now and then.
  const weights = stores.map((store) => store.capacity * storeRamp(store, day) * (store.row.region === region ? 4 : 1));
  return itemAt(stores, new WeightedPicker(weights).pick(rng));
}

function pickStatus(rng: Rng, daysBeforeEnd: number): OrderStatus {
  const roll = rng();
  if (daysBeforeEnd < RECENT_ORDER_DAYS && roll < 0.6) return 'pending';
  if (roll < 0.04) return 'returned';
  if (roll < 0.05) return 'cancelled';
  if (roll < 0.055) return 'pending';
  return 'completed';
}

interface BasketLine {
  productIndex: number;
  quantity: number;
}

function pickBasket(rng: Rng, productPicker: WeightedPicker, quantityPicker: WeightedPicker, itemPicker: WeightedPicker): BasketLine[] {
  const lineCount = itemAt(ITEMS_PER_ORDER, itemPicker.pick(rng))[0];
  const lines: BasketLine[] = [];
  for (let i = 0; i < lineCount; i++) {
    const productIndex = productPicker.pick(rng);
    const quantity = itemAt(QUANTITY_WEIGHTS, quantityPicker.pick(rng))[0];
    // A product picked twice is one line with a bigger quantity, as a till would ring it.
    const existing = lines.find((line) => line.productIndex === productIndex);
    if (existing) existing.quantity += quantity;
    else lines.push({ productIndex, quantity });
  }
  return lines;
}

function generateOrders(
  options: DemoDataOptions,
  calendar: Calendar,
  dayWeights: readonly number[],
  stores: readonly StorePlan[],
  customers: readonly CustomerPlan[],
): { orders: OrderRow[]; orderItems: OrderItemRow[] } {
  const rng = streamFor(options.seed, 'orders');
  const customerPicker = new WeightedPicker(customerWeights(options.seed, customers.length));
  const productPickers = productPickersByMonth();
  const quantityPicker = new WeightedPicker(QUANTITY_WEIGHTS.map(([, weight]) => weight));
  const itemPicker = new WeightedPicker(ITEMS_PER_ORDER.map(([, weight]) => weight));
  const keys = orderTimestamps(options.seed, options.orders, dayWeights);
  const orders: OrderRow[] = [];
  const orderItems: OrderItemRow[] = [];
  // Customers are sorted by first possible order day, so those allowed to
  // order on a given day are always a prefix of the list.
  let eligibleCustomers = 0;

  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] ?? 0;
    const day = Math.floor(key / 86_400);
    while (eligibleCustomers < customers.length && itemAt(customers, eligibleCustomers).firstDay <= day) {
      eligibleCustomers++;
    }
    const customer = itemAt(customers, customerPicker.pick(rng, Math.max(1, eligibleCustomers)));
    const store = pickStore(rng, stores, day, customer.row.region);
    const orderId = i + 1;
    const productPicker = itemAt(productPickers, itemAt(calendar.monthIndexes, day));

    let subtotalCents = 0;
    for (const line of pickBasket(rng, productPicker, quantityPicker, itemPicker)) {
      const priceCents = itemAt(PRODUCT_BLUEPRINTS, line.productIndex).priceCents;
      const lineCents = priceCents * line.quantity;
      subtotalCents += lineCents;
      orderItems.push({
        id: orderItems.length + 1,
        order_id: orderId,
        product_id: line.productIndex + 1,
        quantity: line.quantity,
        unit_price: priceCents / 100,
        line_total: lineCents / 100,
      });
    }

    const taxCents = Math.round(subtotalCents * store.row.tax_rate);
    // Cash tips never reach the till, so some orders have no tip recorded at all.
    const tipCents = rng() < TIP_MISSING_SHARE ? null : Math.round(subtotalCents * (0.05 + rng() * 0.15));
    const isoDate = itemAt(calendar.isoDates, day);
    orders.push({
      id: orderId,
      customer_id: customer.row.id,
      store_id: store.row.id,
      order_date: isoDate,
      ordered_at: `${isoDate} ${formatClock(key - day * 86_400)}`,
      status: pickStatus(rng, calendar.dayCount - 1 - day),
      subtotal: subtotalCents / 100,
      tax_paid: taxCents / 100,
      tip: tipCents === null ? null : tipCents / 100,
      amount: (subtotalCents + taxCents + (tipCents ?? 0)) / 100,
    });
  }
  return { orders, orderItems };
}
