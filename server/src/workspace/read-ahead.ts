import { readFileSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

/**
 * Reads many files and hands their texts back in batches, in the order
 * asked, with a worker thread doing most of the reading so the main thread
 * only parses. The worker reads from the last file backwards while the main
 * thread takes files from the front, reading itself any file the worker has
 * not delivered yet; the two meet in the middle. So the first batch never
 * waits for the worker to start (tens of milliseconds), and on 2,000 model
 * files the main thread reads a few hundred instead of all of them.
 *
 * A file that cannot be read is undefined, as with a synchronous read that
 * throws. When no worker can be started, every file is read here: slower,
 * never different.
 */
export async function* readAhead(files: readonly string[]): AsyncGenerator<(string | undefined)[]> {
  const delivered = new Map<number, string | undefined>();
  // Where the main thread has got to, so the worker stops at what it has taken.
  const front = new Int32Array(new SharedArrayBuffer(4));
  const worker = startWorker(files, front, delivered);
  try {
    for (let at = 0; at < files.length; at += BATCH) {
      const end = Math.min(files.length, at + BATCH);
      Atomics.store(front, 0, end);
      yield files.slice(at, end).map((file, i) => take(delivered, at + i, file));
      // The worker's batches arrive as messages: let them in (and any request) before the next batch.
      if (worker) await yieldToLoop();
    }
  } finally {
    void worker?.terminate();
  }
}

/** Files per batch: big enough that messages are few, small enough that parsing starts early. */
const BATCH = 64;

function take(delivered: Map<number, string | undefined>, index: number, file: string): string | undefined {
  if (!delivered.has(index)) return readHere(file);
  const text = delivered.get(index);
  delivered.delete(index);
  return text;
}

function readHere(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

interface Batch {
  /** The index of the batch's first file. */
  start: number;
  bytes: ArrayBuffer;
  /** Per file, where its bytes end in `bytes`; -1 when it could not be read. */
  ends: number[];
}

function startWorker(
  files: readonly string[],
  front: Int32Array,
  delivered: Map<number, string | undefined>,
): Worker | undefined {
  if (files.length <= BATCH) return undefined;
  try {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { files, batch: BATCH, front } });
    worker.on('message', (batch: Batch) => deliver(batch, delivered));
    // A failed worker delivers nothing more; the main thread reads what is left.
    worker.on('error', () => undefined);
    return worker;
  } catch {
    return undefined;
  }
}

function deliver(batch: Batch, delivered: Map<number, string | undefined>): void {
  const bytes = Buffer.from(batch.bytes);
  let start = 0;
  for (const [i, end] of batch.ends.entries()) {
    delivered.set(batch.start + i, end < 0 ? undefined : bytes.toString('utf8', start, end));
    if (end >= 0) start = end;
  }
}

/**
 * The worker, as source text: the server ships as single bundled files, and a
 * worker needs a file of its own otherwise. It uses nothing but Node.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { files, batch, front } = workerData;
for (let start = Math.floor((files.length - 1) / batch) * batch; start >= Atomics.load(front, 0); start -= batch) {
  const parts = [];
  const ends = [];
  let length = 0;
  for (const file of files.slice(start, start + batch)) {
    let bytes;
    try { bytes = readFileSync(file); } catch { ends.push(-1); continue; }
    parts.push(bytes);
    length += bytes.length;
    ends.push(length);
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  parentPort.postMessage({ start, bytes: out.buffer, ends }, [out.buffer]);
}
`;
