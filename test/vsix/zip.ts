/**
 * Reading a VSIX (a zip) with yauzl, the reader vsce itself depends on. It has no types installed; the few
 * calls used here are typed below.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

interface YauzlEntry {
  fileName: string;
  uncompressedSize: number;
  crc32: number;
}

interface YauzlZipFile {
  readEntry(): void;
  close(): void;
  on(event: 'entry', listener: (entry: YauzlEntry) => void): this;
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  openReadStream(entry: YauzlEntry, callback: (error: Error | null, stream: Readable) => void): void;
}

interface Yauzl {
  open(
    file: string,
    options: { lazyEntries: true; autoClose: false },
    callback: (error: Error | null, zip: YauzlZipFile) => void,
  ): void;
}

const yauzl = createRequire(__filename)('yauzl') as Yauzl;

export interface ZipEntry {
  name: string;
  size: number;
  crc32: number;
}

/** Visits each entry in order; `open` streams that entry's contents and is read to its end before the next. */
async function walk(file: string, visit: (entry: ZipEntry, open: () => Promise<Readable>) => Promise<void>) {
  const zip = await new Promise<YauzlZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (error, opened) =>
      error ? reject(error) : resolve(opened),
    ),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry) => {
        const open = () =>
          new Promise<Readable>((opened, failed) =>
            zip.openReadStream(entry, (error, stream) => (error ? failed(error) : opened(stream))),
          );
        const info = { name: entry.fileName, size: entry.uncompressedSize, crc32: entry.crc32 };
        visit(info, open).then(() => zip.readEntry(), reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

export async function listZip(file: string): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  await walk(file, (entry) => {
    entries.push(entry);
    return Promise.resolve();
  });
  return entries;
}

/** The contents of the entries `wanted` picks, by name. */
export async function readZip(file: string, wanted: (name: string) => boolean): Promise<Map<string, Buffer>> {
  const contents = new Map<string, Buffer>();
  await walk(file, async (entry, open) => {
    if (wanted(entry.name)) contents.set(entry.name, Buffer.concat((await (await open()).toArray()) as Buffer[]));
  });
  return contents;
}

/** Writes every file entry under `dest`, as VS Code unpacks a VSIX. */
export async function extractZip(file: string, dest: string): Promise<void> {
  await walk(file, async (entry, open) => {
    const target = path.resolve(dest, entry.name);
    if (!target.startsWith(path.resolve(dest) + path.sep)) throw new Error(`${entry.name} points outside ${dest}`);
    if (entry.name.endsWith('/')) return;
    mkdirSync(path.dirname(target), { recursive: true });
    await pipeline(await open(), createWriteStream(target));
  });
}
