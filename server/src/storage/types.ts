/**
 * The storage contract every backend (YAML folder, SQLite) implements. The
 * cache write-back goes through `patchModel`, a revision-checked patch that
 * touches only engine-managed fields (DESIGN.md, "Cache write-back").
 */
import type { ColumnDef, ModelDef } from '../engine/schema/types';

/** One column's profiling snapshot; null means "no value" and is written as null, never as a removal. */
export interface ColumnSample {
  sampled: string | null;
  sampled_values: string[] | null;
  distinct_count: number | null;
}

/** Engine-managed fields a refresh may write; anything absent is left alone. */
export interface CacheUpdates {
  /** Query-backed models: the whole engine-managed `columns` list. */
  columns?: ColumnDef[];
  backing_query_sql?: string;
  data_source?: string;
  /** Profiling snapshot per existing column (table-backed or query-backed), keyed by column name. */
  column_samples?: Record<string, ColumnSample>;
}

/** `withdrawn`: the caller's `stillWanted` said no at the last moment (the editor's buffer became dirty). */
export type PatchRefusal =
  'revision-mismatch' | 'not-found' | 'locked' | 'lock-compromised' | 'unparseable' | 'io-error' | 'withdrawn';

/** A patch request; `stillWanted` is asked synchronously just before the write lands. */
export interface PatchRequest {
  expectedRevision: string;
  updates: CacheUpdates;
  dataSource?: string;
  stillWanted?: () => boolean;
}

export type PatchResult =
  /** changed=false: the cache already equalled the updates, nothing was written. */
  { applied: true; revision: string; changed: boolean } | { applied: false; reason: PatchRefusal; detail: string };

export interface StoredModel {
  model: ModelDef;
  revision: string;
  /** YAML storage: absolute path */
  file?: string;
}

export interface ModelStorage {
  get(name: string, dataSource?: string): Promise<StoredModel | undefined>;
  list(): Promise<StoredModel[]>;
  /** Creates or replaces a whole model (used by "save query as model"); returns the new revision. Refuses to overwrite when expectedRevision is given and differs. */
  save(model: ModelDef, options?: { expectedRevision?: string }): Promise<string>;
  delete(name: string, dataSource?: string): Promise<boolean>;
  patchModel(name: string, request: PatchRequest): Promise<PatchResult>;
}
