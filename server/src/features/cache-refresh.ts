import { readFile } from 'node:fs/promises';
import { parseSlayerDocument } from '../engine/document';
import type { ModelCatalog } from '../engine/catalog';
import { stageCatalogFor, type EngineHost } from '../engine/query/execute';
import { profileColumn, type ColumnProfile } from '../engine/query/inspect';
import type { ModelDef } from '../engine/schema/types';
import { revisionOf } from '../storage/revision';
import { cacheWouldChange, modelToPlain } from '../storage/cache-values';
import type { CacheUpdates, ModelStorage, PatchResult } from '../storage/types';
import { stripBom } from '../engine/schema/source';

/** Why a refresh wrote nothing; none of these is an error for the user. */
export type RefreshOutcome =
  | { kind: 'written'; revision: string }
  | { kind: 'unchanged' }
  | { kind: 'deferred'; reason: 'unsaved-buffer' }
  | { kind: 'disabled' }
  | { kind: 'refused'; reason: string }
  | { kind: 'not-applicable'; reason: string };

export interface CacheRefreshHost {
  storageFor(root: string): ModelStorage;
  engineFor(root: string): EngineHost;
  /** True when the editor holds unsaved edits of the file. */
  isDirty(file: string): boolean;
  writeBackEnabled(): boolean;
  catalogFor(root: string): ModelCatalog;
  log(message: string): void;
}

/** Computes a file's cache from its saved model and text; kept while the file has unsaved edits. */
type PendingUpdate = (saved: ModelDef, savedText: string, root: string) => Promise<CacheUpdates | undefined>;

/**
 * Keeps engine-managed fields fresh without ever losing a user's edit
 * (DESIGN.md, "Cache write-back"): the cache is computed from the bytes on
 * disk, written through the storage's revision-checked patch, never under an
 * unsaved buffer (deferred to the save), and not at all when it is unchanged.
 * Refreshes start only from a run, hover, inspect or save, never from a file
 * change, so the watcher seeing our own write cannot start another.
 */
export class CacheRefresher {
  private readonly pending = new Map<string, PendingUpdate[]>();

  constructor(private readonly host: CacheRefreshHost) {}

  /** After a run or hover touched a query-backed model: columns, backing_query_sql, data_source. */
  refreshQueryBacked(file: string, root: string): Promise<RefreshOutcome> {
    return this.refresh(file, root, (saved) => Promise.resolve(queryBackedUpdates(saved, this.host.catalogFor(root))));
  }

  /**
   * After inspect or hover sampled columns: their `sampled`, `sampled_values`,
   * `distinct_count`. The profiles are reused when they were computed from the
   * saved text; otherwise the columns are sampled again from what was saved.
   */
  refreshSamples(
    file: string,
    root: string,
    profiles: readonly ColumnProfile[],
    basedOnText: string,
  ): Promise<RefreshOutcome> {
    return this.refresh(file, root, async (saved, savedText) => {
      const fresh = savedText === basedOnText ? profiles : await this.resample(saved, profiles, root);
      return sampleUpdates(saved, { columns: fresh });
    });
  }

  private async resample(saved: ModelDef, profiles: readonly ColumnProfile[], root: string): Promise<ColumnProfile[]> {
    const engine = this.host.engineFor(root);
    const out: ColumnProfile[] = [];
    for (const profile of profiles) {
      const column = saved.columns.find((candidate) => candidate.name === profile.name);
      if (column) out.push(await profileColumn(saved, column, engine));
    }
    return out;
  }

  /** The user saved: whatever waited for this file is recomputed from the saved bytes. */
  async onDidSave(file: string, root: string): Promise<RefreshOutcome[]> {
    const waiting = this.pending.get(file) ?? [];
    this.pending.delete(file);
    const outcomes: RefreshOutcome[] = [];
    for (const update of waiting) outcomes.push(await this.refresh(file, root, update));
    return outcomes;
  }

  private async refresh(file: string, root: string, compute: PendingUpdate): Promise<RefreshOutcome> {
    if (!this.host.writeBackEnabled()) return { kind: 'disabled' };
    if (this.host.isDirty(file)) {
      this.pending.set(file, [...(this.pending.get(file) ?? []), compute]);
      return { kind: 'deferred', reason: 'unsaved-buffer' };
    }
    const bytes = await readFile(file);
    const text = stripBom(bytes.toString('utf8'));
    const parsed = parseSlayerDocument('model', text, { warnOnUnknownFields: false });
    if (!parsed.model) return { kind: 'not-applicable', reason: 'the file does not hold a model' };
    const updates = await compute(parsed.model, text, root);
    if (!updates) return { kind: 'unchanged' };
    const result = await this.host.storageFor(root).patchModel(parsed.model.name, {
      expectedRevision: revisionOf(bytes),
      updates,
      dataSource: parsed.model.data_source || undefined,
      // Asked again right before the rename: a keystroke during the write withdraws it.
      stillWanted: () => !this.host.isDirty(file),
    });
    if (!result.applied && result.reason === 'withdrawn') {
      this.pending.set(file, [...(this.pending.get(file) ?? []), compute]);
      return { kind: 'deferred', reason: 'unsaved-buffer' };
    }
    return this.outcomeOf(result, file);
  }

  private outcomeOf(result: PatchResult, file: string): RefreshOutcome {
    if (!result.applied) {
      // A concurrent writer won; the next read recomputes from what it wrote.
      this.host.log(`Cache refresh of ${file} skipped (${result.reason}): ${result.detail}`);
      return { kind: 'refused', reason: result.reason };
    }
    if (!result.changed) return { kind: 'unchanged' };
    return { kind: 'written', revision: result.revision };
  }
}

/**
 * Only the cache fields that differ from what the file holds, by the storage's
 * own rule of "equal" (so a refresh that would change nothing takes no lock);
 * undefined when the cache is current.
 */
export function queryBackedUpdates(model: ModelDef, catalog: ModelCatalog): CacheUpdates | undefined {
  if (!model.source_queries) return undefined;
  const cache = stageCatalogFor(model, catalog).cacheOf(model);
  const stored = modelToPlain(model);
  const updates: CacheUpdates = {};
  for (const key of ['columns', 'backing_query_sql', 'data_source'] as const) {
    const single: CacheUpdates = { [key]: cache[key] };
    if (cacheWouldChange(stored, single)) Object.assign(updates, single);
  }
  return Object.keys(updates).length > 0 ? updates : undefined;
}

/** The profiling snapshot of the columns an inspection sampled, where it differs from the file. */
export function sampleUpdates(
  model: ModelDef,
  inspection: { columns: readonly ColumnProfile[] },
): CacheUpdates | undefined {
  const stored = modelToPlain(model);
  const samples: NonNullable<CacheUpdates['column_samples']> = {};
  for (const profile of inspection.columns) {
    if (profile.sampled === null || !model.columns.some((column) => column.name === profile.name)) continue;
    const fresh = {
      sampled: profile.sampled,
      sampled_values: profile.sampled_values,
      distinct_count: profile.distinct_count,
    };
    if (cacheWouldChange(stored, { column_samples: { [profile.name]: fresh } })) samples[profile.name] = fresh;
  }
  return Object.keys(samples).length > 0 ? { column_samples: samples } : undefined;
}
