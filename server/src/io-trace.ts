import { appendFileSync } from 'node:fs';

/**
 * Instrumentation for tests that must prove the server reached no database
 * and wrote no file (Restricted Mode): with SLAYER_IO_TRACE naming a file,
 * every driver opened and every storage write appends one line to it. It sits
 * on the only path to a driver (openDriver) and to a storage write (the temp
 * file every write starts with), so nothing slips past it.
 */
export function traceIo(event: 'driver' | 'write', detail: string): void {
  const file = process.env['SLAYER_IO_TRACE'];
  if (file) appendFileSync(file, `${event} ${detail}\n`);
}
