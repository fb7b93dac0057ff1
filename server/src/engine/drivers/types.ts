/**
 * The driver layer's contract. Every driver returns the same JavaScript values
 * for the same data, so the engine and its tests never branch on the database:
 *
 * - integers and floats: `number` (a 64-bit integer outside the safe range: its decimal string);
 *   DECIMAL/NUMERIC: `number`
 * - booleans: `boolean`; NULL: `null`; text: `string`
 * - DATE: `'YYYY-MM-DD'`
 * - TIMESTAMP (without time zone): `'YYYY-MM-DDTHH:MM:SS'`, plus `.fff…` only when the fraction is non-zero
 * - TIMESTAMP WITH TIME ZONE: the same form in UTC with a trailing `Z`
 * - binary: `'\x…'` lowercase hex (Postgres' text form)
 *
 * `columns` follows the SELECT order. A row is keyed by column name, so when two
 * columns share a name the later one's value is the one kept.
 */
export type Dialect =
  | 'sqlite'
  | 'duckdb'
  | 'postgres'
  | 'mysql'
  | 'redshift'
  | 'trino'
  | 'clickhouse'
  | 'databricks'
  | 'bigquery'
  | 'snowflake'
  | 'sqlserver';

export interface RunOptions {
  signal?: AbortSignal;
  /** return at most this many rows; set truncated when more existed */
  maxRows?: number;
}

export interface ResultSet {
  columns: string[];
  rows: Record<string, unknown>[];
  truncated: boolean;
}

export interface Driver {
  readonly dialect: Dialect;
  run(sql: string, options?: RunOptions): Promise<ResultSet>;
  close(): Promise<void>;
}
