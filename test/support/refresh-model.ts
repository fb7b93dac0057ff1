/**
 * A query-backed model for the concurrency tests, and a stand-in for the
 * engine's cache computation. The user's edits carry a version number in the
 * description (`edit 7`); a refresh computes a cache from the bytes it read
 * and tags it with that version (`-- for edit 7`), so a test can tell which
 * user content a cache was computed from, and that it is never newer than
 * what the user last wrote.
 */
import type { Rng } from '../../scripts/demo/data';
import type { CacheUpdates } from '../../server/src/storage/types';
import { toPlain } from './yaml-fidelity';

export const MODEL_NAME = 'monthly';

export interface ModelShape {
  crlf?: boolean;
  bom?: boolean;
  /** Start with a cache already written (from version 0), or with none at all. */
  withCache?: boolean;
  /** Comments on and between lines. */
  comments?: boolean;
}

export function userModelText(version: number, shape: ModelShape = {}): string {
  const c = (comment: string): string => (shape.comments ? `  # ${comment}` : '');
  const lines = [
    ...(shape.comments ? ['# Revenue by store, per month (query-backed).', '# note 0'] : []),
    `name: ${MODEL_NAME}${c('the model name')}`,
    `description: edit ${version}`,
    'source_queries:',
    ...(shape.comments ? ['  # the only stage'] : []),
    '  - source_model: orders',
    `    dimensions: [stores.name]${c('flow list')}`,
    '    measures:',
    '      - {formula: "revenue:sum"}',
    'joins:',
    '  - target_model: stores',
    '    join_pairs: [[store_id, id]]',
    `filters: ["amount > ${version}"]`,
    'meta:',
    `  owner: ana${c('who to ask')}`,
  ];
  if (shape.withCache) {
    lines.push(
      'data_source: shop',
      'columns:',
      '  - name: stores__name_0',
      '    type: TEXT',
      'backing_query_sql: SELECT 1 -- for edit 0',
    );
  }
  const text = `${lines.join('\n')}\n`;
  return (shape.bom ? '\uFEFF' : '') + (shape.crlf ? text.replace(/\n/g, '\r\n') : text);
}

export function randomShape(rng: Rng): ModelShape {
  return { crlf: rng() < 0.2, bom: rng() < 0.15, withCache: rng() < 0.5, comments: rng() < 0.6 };
}

/** The user version a text carries (`description: edit <n>`). */
export function userVersion(text: string): number {
  const description = toPlain(text).description;
  const match = /^edit (\d+)$/.exec(typeof description === 'string' ? description : '');
  if (!match?.[1]) throw new Error(`no user version in ${JSON.stringify(description)}`);
  return Number(match[1]);
}

/**
 * What a refresh writes, computed from the bytes it read. `variant` makes two
 * refreshes of the same content differ (one overwrites the other's cache) or
 * agree (the second writes nothing).
 */
export function cacheFor(text: string, variant: number): CacheUpdates {
  const version = userVersion(text);
  return {
    data_source: 'shop',
    columns: [
      { name: `stores__name_${version}`, type: 'TEXT', primary_key: false, hidden: false },
      { name: 'revenue_sum', type: 'DOUBLE', primary_key: false, hidden: false },
    ],
    backing_query_sql: `SELECT stores.name, SUM(revenue) FROM orders /* v${variant} */ -- for edit ${version}`,
  };
}

/** The user version the cache in a text was computed from; undefined when it holds no cache. */
export function cacheVersion(text: string): number | undefined {
  const plain = toPlain(text);
  const sql = plain.backing_query_sql;
  if (typeof sql !== 'string') return undefined;
  const fromSql = /-- for edit (\d+)$/.exec(sql)?.[1];
  const columns = Array.isArray(plain.columns) ? (plain.columns as { name?: unknown }[]) : [];
  const first = columns[0]?.name;
  const fromColumns = /^stores__name_(\d+)$/.exec(typeof first === 'string' ? first : '')?.[1];
  if (fromSql === undefined || fromSql !== fromColumns) {
    throw new Error(`inconsistent cache: sql for ${fromSql}, columns for ${fromColumns}`);
  }
  return Number(fromSql);
}

/** An uncooperative writer's edit: a new description (and comment), everything else byte for byte. */
export function editDirectly(text: string, version: number): string {
  return text
    .replace(/^description: edit \d+/m, `description: edit ${version}`)
    .replace(/^# note \d+/m, `# note ${version}`)
    .replace(/^filters: \["amount > \d+"\]/m, `filters: ["amount > ${version}"]`);
}
