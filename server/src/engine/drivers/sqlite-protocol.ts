/** Messages between the SQLite driver (LSP thread) and its worker thread. */
import type { ResultSet } from './types';

export interface SqliteRequest {
  id: number;
  /** Absolute path of the database file, or `:memory:`. */
  file: string;
  sql: string;
  maxRows?: number;
}

export type SqliteResponse =
  { id: number; ok: true; result: ResultSet } | { id: number; ok: false; phase: 'connect' | 'query'; message: string };

/** Shared memory the worker writes and the driver reads, even after terminating the worker. */
export interface SqliteWorkerData {
  state: Int32Array;
}

/** Index in `state`: how many `<file>.lock` directories the worker currently holds. */
export const LOCKS_HELD = 0;
export const STATE_SLOTS = 1;
