/** A live value, or why there is none. */
export type LiveResult<T> = { value: T } | { failed: string; transient?: boolean };

interface Entry {
  /** What the data was when the entry was computed (see dataState). */
  identity: string;
  result: LiveResult<unknown>;
}

/**
 * Live parts of hovers (samples, a measure's value, a row count), kept per
 * slot: the model file's revision and the entry hovered. A slot whose data is
 * unchanged answers from memory; one whose data changed answers with what it
 * had and refreshes in the background; only a slot never computed waits (and
 * then only up to the hover's time limit). A timeout is not kept: the next
 * hover tries again.
 */
export class LiveCache {
  private readonly entries = new Map<string, Entry>();
  private readonly refreshing = new Map<string, Promise<void>>();

  constructor(private readonly limit = 5_000) {}

  async read<T>(slot: string, identity: string, compute: () => Promise<LiveResult<T>>): Promise<LiveResult<T>> {
    const entry = this.entries.get(slot) as (Entry & { result: LiveResult<T> }) | undefined;
    if (entry?.identity === identity) return entry.result;
    if (entry) {
      this.refreshInBackground(slot, identity, compute);
      return entry.result;
    }
    const result = await compute();
    this.store(slot, identity, result);
    return result;
  }

  /** Resolves when every background refresh started so far has finished (for tests). */
  async settled(): Promise<void> {
    await Promise.all(this.refreshing.values());
  }

  private refreshInBackground<T>(slot: string, identity: string, compute: () => Promise<LiveResult<T>>): void {
    if (this.refreshing.has(slot)) return;
    const done = compute()
      .then((result) => this.store(slot, identity, result))
      .catch(() => undefined)
      .finally(() => this.refreshing.delete(slot));
    this.refreshing.set(slot, done);
  }

  private store(slot: string, identity: string, result: LiveResult<unknown>): void {
    if ('failed' in result && result.transient) return;
    // Oldest first out: a Map iterates in insertion order, and a re-stored slot moves to the end.
    this.entries.delete(slot);
    this.entries.set(slot, { identity, result });
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value ?? '');
  }
}
