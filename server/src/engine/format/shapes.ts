/**
 * Which mapping in a SLayer file is which SLayer class, and so which key order
 * is canonical for it. The orders are the decoders' field sets, which list
 * each class's fields in SLayer's pydantic declaration order (the order
 * SLayer itself dumps them in); maps outside the schema (`meta`,
 * `query_variables`, `variables`, unknown keys) keep the author's order.
 */
import type { SlayerFileKind } from '../document';
import { DATASOURCE_FIELDS } from '../schema/decode-datasource';
import {
  AGGREGATION_FIELDS,
  AGGREGATION_PARAM_FIELDS,
  COLUMN_FIELDS,
  FORMAT_FIELDS,
  JOIN_FIELDS,
  MEASURE_FIELDS,
  MODEL_FIELDS,
} from '../schema/decode-model';
import {
  COLUMN_REF_FIELDS,
  EXTENSION_FIELDS,
  ORDER_FIELDS,
  QUERY_FIELDS,
  TIME_DIMENSION_FIELDS,
} from '../schema/decode-query';

/**
 * Picks the shape of a mapping from its own keys: a query's `source_model`
 * is an extension when it names `source_name`, an inline model otherwise.
 * Undefined leaves the mapping in the author's order.
 */
export type ShapePick = (keys: ReadonlySet<string>) => Shape | undefined;

export interface Shape {
  /** Known keys, canonical first to last. */
  order: readonly string[];
  /** The shape of the mapping under a key, or of each mapping in the list under it. */
  nested: Readonly<Record<string, ShapePick>>;
}

const always =
  (shape: () => Shape): ShapePick =>
  () =>
    shape();

const FORMAT: Shape = { order: [...FORMAT_FIELDS], nested: {} };
const MEASURE: Shape = { order: [...MEASURE_FIELDS], nested: {} };
const JOIN: Shape = { order: [...JOIN_FIELDS], nested: {} };
const COLUMN_REF: Shape = { order: [...COLUMN_REF_FIELDS], nested: {} };
const DATASOURCE: Shape = { order: [...DATASOURCE_FIELDS], nested: {} };
const ORDER: Shape = { order: [...ORDER_FIELDS], nested: {} };
const COLUMN: Shape = { order: [...COLUMN_FIELDS], nested: { format: always(() => FORMAT) } };
const AGGREGATION: Shape = {
  order: [...AGGREGATION_FIELDS],
  nested: { params: always(() => ({ order: [...AGGREGATION_PARAM_FIELDS], nested: {} })) },
};
const TIME_DIMENSION: Shape = { order: [...TIME_DIMENSION_FIELDS], nested: { dimension: always(() => COLUMN_REF) } };
const EXTENSION: Shape = {
  order: [...EXTENSION_FIELDS],
  nested: { columns: always(() => COLUMN), measures: always(() => MEASURE), joins: always(() => JOIN) },
};

// MODEL and QUERY refer to each other (source_queries, inline source models), hence the thunks.
const MODEL: Shape = {
  order: [...MODEL_FIELDS],
  nested: {
    source_queries: always(() => QUERY),
    columns: always(() => COLUMN),
    measures: always(() => MEASURE),
    aggregations: always(() => AGGREGATION),
    joins: always(() => JOIN),
  },
};

const QUERY: Shape = {
  order: [...QUERY_FIELDS],
  nested: {
    source_model: (keys) => (keys.has('source_name') ? EXTENSION : MODEL),
    measures: always(() => MEASURE),
    dimensions: always(() => COLUMN_REF),
    time_dimensions: always(() => TIME_DIMENSION),
    // `{column: direction}` is SLayer's shorthand, a map of column names: not an OrderItem.
    order: (keys) => (keys.has('column') || keys.has('direction') ? ORDER : undefined),
  },
};

/** The shape of a file's root mapping (a query file's root may also be a list of queries, each this shape). */
export function rootShape(kind: SlayerFileKind): Shape {
  if (kind === 'model') return MODEL;
  if (kind === 'datasource') return DATASOURCE;
  return QUERY;
}

/** YAML's merge key stays first: readers expect it there, and it says what the explicit keys override. */
export const MERGE_KEY = '<<';
