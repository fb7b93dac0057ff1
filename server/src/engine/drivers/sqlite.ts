/**
 * SQLite through node-sqlite3-wasm (WebAssembly, so it loads in VS Code's
 * Electron runtime), run in a worker thread so a long query never blocks the
 * LSP thread. Requests go to the worker one at a time; cancelling the running
 * one terminates the worker, and the next request starts a fresh one.
 */
import { existsSync, rmdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { cancelledError, driverError, type Redactor } from './errors';
import { maxRowsError } from './limits';
import { LOCKS_HELD, STATE_SLOTS, type SqliteRequest, type SqliteResponse } from './sqlite-protocol';
import type { Driver, ResultSet, RunOptions } from './types';

export {
  SQLITE_AGGREGATE_SPELLING,
  SQLITE_FUNCTIONS,
  sqliteAggregateCall,
  type SqliteAggregateName,
  type SqliteAggregateSpelling,
} from './sqlite-functions';

interface Job {
  request: SqliteRequest;
  resolve(result: ResultSet): void;
  reject(error: unknown): void;
  /** Stops listening to the job's AbortSignal. */
  detach(): void;
}

interface RunningWorker {
  worker: Worker;
  state: Int32Array;
  /** Set before we terminate it, so its exit is not reported as a crash. */
  stopping: boolean;
}

/**
 * The worker's entry point: `sqlite-worker.js` next to the bundle, or, when
 * running from the TypeScript sources (tests under tsx), `sqlite-worker.ts`
 * loaded through tsx's CommonJS hook (Node 20 workers cannot load .ts files
 * from `--import tsx` alone).
 */
function spawnWorker(state: Int32Array): Worker {
  const options = { workerData: { state } };
  const built = path.join(__dirname, 'sqlite-worker.js');
  if (existsSync(built)) return new Worker(built, options);
  const source = path.join(__dirname, 'sqlite-worker.ts');
  if (existsSync(source)) {
    const tsx = createRequire(__filename).resolve('tsx/cjs');
    const code = `require(${JSON.stringify(tsx)}); require(${JSON.stringify(source)});`;
    return new Worker(code, { ...options, eval: true });
  }
  throw new SlayerError(ErrorCode.Internal, `The SQLite worker (sqlite-worker.js) is missing from ${__dirname}.`);
}

/** Adds what a user can do about SQLite's terser messages. */
function explain(message: string, file: string): string {
  if (/database is locked/i.test(message)) {
    return `${message}: another program holds ${file}; if none does, remove the leftover directory ${file}.lock`;
  }
  return message;
}

export class SqliteDriver implements Driver {
  readonly dialect = 'sqlite' as const;
  private running: RunningWorker | undefined;
  private active: Job | undefined;
  private readonly queue: Job[] = [];
  private nextId = 1;

  /** `file` is an absolute path or `:memory:` (a fresh, empty database for every run). */
  constructor(
    private readonly file: string,
    private readonly redact: Redactor,
  ) {}

  run(sql: string, options: RunOptions = {}): Promise<ResultSet> {
    const { signal, maxRows } = options;
    if (signal?.aborted) return Promise.reject(cancelledError());
    const invalid = maxRowsError(maxRows);
    if (invalid) return Promise.reject(invalid);
    return new Promise<ResultSet>((resolve, reject) => {
      const request: SqliteRequest = { id: this.nextId++, file: this.file, sql };
      if (maxRows !== undefined) request.maxRows = maxRows;
      const onAbort = (): void => this.cancel(job);
      const job: Job = { request, resolve, reject, detach: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Stops the worker and fails what is pending; a later run simply starts a new worker. */
  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) this.fail(job, cancelledError());
    const active = this.active;
    this.active = undefined;
    await this.stopWorker();
    if (active) this.fail(active, cancelledError());
  }

  /** Sends the next queued request when the worker is free. */
  private pump(): void {
    if (this.active) return;
    const job = this.queue.shift();
    if (!job) {
      this.running?.worker.unref(); // an idle worker must not keep a CLI process alive
      return;
    }
    this.active = job;
    try {
      const running = this.ensureWorker();
      running.worker.ref();
      running.worker.postMessage(job.request);
    } catch (error) {
      this.active = undefined;
      this.fail(job, driverError(error, this.redact, 'connect'));
      this.pump();
    }
  }

  private ensureWorker(): RunningWorker {
    if (this.running) return this.running;
    const state = new Int32Array(new SharedArrayBuffer(STATE_SLOTS * Int32Array.BYTES_PER_ELEMENT));
    const running: RunningWorker = { worker: spawnWorker(state), state, stopping: false };
    running.worker.on('message', (response: SqliteResponse) => this.onResponse(response));
    running.worker.on('error', (error) => this.onCrash(running, error));
    running.worker.on('exit', (code) => this.onCrash(running, new Error(`SQLite worker exited with code ${code}`)));
    this.running = running;
    return running;
  }

  private onResponse(response: SqliteResponse): void {
    const job = this.active;
    if (!job || job.request.id !== response.id) return;
    this.active = undefined;
    job.detach();
    if (response.ok) job.resolve(response.result);
    else job.reject(driverError(new Error(explain(response.message, this.file)), this.redact, response.phase));
    this.pump();
  }

  /** The worker died on its own (out of memory, a bug): fail its job and start afresh next time. */
  private onCrash(running: RunningWorker, error: Error): void {
    if (running.stopping || this.running !== running) return;
    this.running = undefined;
    releaseLeftoverLock(running.state, this.file);
    const job = this.active;
    this.active = undefined;
    if (job) this.fail(job, driverError(error, this.redact, 'query'));
    this.pump();
  }

  private cancel(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.fail(job, cancelledError());
      return;
    }
    if (this.active !== job) return;
    // SQLite offers no interrupt through this library: stop the thread, then answer.
    this.active = undefined;
    this.stopWorker().then(
      () => this.afterCancel(job),
      () => this.afterCancel(job),
    );
  }

  private afterCancel(job: Job): void {
    this.fail(job, cancelledError());
    this.pump();
  }

  private async stopWorker(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    running.stopping = true;
    await running.worker.terminate();
    releaseLeftoverLock(running.state, this.file);
  }

  private fail(job: Job, error: unknown): void {
    job.detach();
    job.reject(error);
  }
}

/** Removes the `<file>.lock` directory a terminated worker still held (see sqlite-worker.ts). */
function releaseLeftoverLock(state: Int32Array, file: string): void {
  if (Atomics.load(state, LOCKS_HELD) <= 0 || file === ':memory:') return;
  Atomics.store(state, LOCKS_HELD, 0);
  try {
    rmdirSync(`${file}.lock`);
  } catch {
    // Already gone: nothing to release.
  }
}
