import { appendFileSync } from 'node:fs';

/**
 * Instrumentation for tests that must prove the server reached no database
 * and wrote no file (Restricted Mode), or that a warm hover ran no query:
 * with SLAYER_IO_TRACE naming a file, every driver opened, every query the
 * server's driver pool runs and every storage write appends one line to it.
 * It sits on the only path to a driver (openDriver), to a query of the server
 * (DriverPool) and to a storage write (the temp file every write starts with).
 */
export function traceIo(event: 'driver' | 'query' | 'write', detail: string): void {
  const file = process.env['SLAYER_IO_TRACE'];
  if (file) appendFileSync(file, `${event} ${detail}\n`);
}
