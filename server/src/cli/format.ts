import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import { DEFAULT_SETTINGS } from '../../../shared/src/settings';
import type { SlayerFileKind } from '../engine/document';
import { formatSlayerText } from '../engine/format/format';
import { formattableKind } from '../features/formatting';
import { fsyncDirectory, removeQuietly, renameIfUnchanged, writeTempFile } from '../storage/atomic-write';
import { revisionOf } from '../storage/revision';
import { classifyPath } from '../workspace/classify';
import { discoverWorkspace } from '../workspace/discovery';
import { PathMatcher } from '../workspace/glob';
import { displayPath } from './check';
import type { ParsedArgs } from './args';

type Outcome = 'unchanged' | 'formatted' | 'failed';

/**
 * `slayer-ls format [--check] [paths...]`: formats SLayer files in place, or
 * with --check lists the ones that are not formatted. Exits 1 when --check
 * finds one or a file cannot be formatted (YAML errors), 2 on bad usage.
 */
export async function runFormat(
  args: ParsedArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const unknown = [...args.options.keys()].find((name) => name !== 'check');
  if (unknown !== undefined) throw new SlayerError(ErrorCode.InvalidInput, `format has no option --${unknown}.`);
  const check = args.options.get('check') === true;
  const files = await formatTargets(args.positionals.length > 0 ? args.positionals : ['.'], err);
  const counts: Record<Outcome, number> = { unchanged: 0, formatted: 0, failed: 0 };
  for (const [file, kind] of files) {
    const outcome = await formatFile(file, kind, check, err);
    counts[outcome]++;
    if (outcome === 'formatted') out.write(`${displayPath(file)}\n`);
  }
  const verb = check ? 'need formatting' : 'formatted';
  const failed = counts.failed > 0 ? `, ${counts.failed} could not be formatted` : '';
  err.write(`${files.size} SLayer files: ${counts.formatted} ${verb}${failed}.\n`);
  return (check && counts.formatted > 0) || counts.failed > 0 ? 1 : 0;
}

/** The SLayer files the arguments name: files as given, folders searched the way the language server searches. */
async function formatTargets(
  targets: readonly string[],
  err: NodeJS.WritableStream,
): Promise<Map<string, SlayerFileKind>> {
  const files = new Map<string, SlayerFileKind>();
  for (const target of targets) {
    const absolute = path.resolve(target);
    if (!existsSync(absolute)) throw new SlayerError(ErrorCode.NotFound, `No such file or folder: ${target}`);
    const found = (await stat(absolute)).isDirectory() ? await filesUnder(absolute) : [absolute];
    for (const file of found) {
      const kind = formattableKind(file, classifyPath(file)?.kind);
      if (kind) files.set(file, kind);
      else if (found.length === 1 && found[0] === absolute) err.write(`${target}: not a SLayer YAML file; skipped.\n`);
    }
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * A folder inside a storage root (`root/models/shop`) is searched from that
 * root, so its files are found exactly as the index finds them (a dbt
 * project's `models/` is not a storage root, here or in the editor).
 */
async function filesUnder(folder: string): Promise<string[]> {
  const parts = folder.split(path.sep);
  const storageFolder = Math.max(parts.lastIndexOf('models'), parts.lastIndexOf('datasources'));
  const base = storageFolder > 0 ? parts.slice(0, storageFolder).join(path.sep) || path.sep : folder;
  const { files } = await discoverWorkspace([base], new PathMatcher(DEFAULT_SETTINGS.exclude));
  return files.filter((file) => file.startsWith(folder + path.sep));
}

async function formatFile(
  file: string,
  kind: SlayerFileKind,
  check: boolean,
  err: NodeJS.WritableStream,
): Promise<Outcome> {
  const handle = await open(file, 'r');
  try {
    const bytes = await handle.readFile();
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) return failed(file, 'not valid UTF-8', err);
    const result = formatSlayerText(kind, text);
    if ('refused' in result) return failed(file, result.refused, err);
    if (result.text === text) return 'unchanged';
    if (check) return 'formatted';
    const temp = await writeTempFile(file, Buffer.from(result.text, 'utf8'), await handle.stat());
    try {
      // Someone saved the file while it was being formatted: their bytes stay.
      if (!renameIfUnchanged(temp, file, handle.fd, revisionOf(bytes)))
        return failed(file, 'it changed while being formatted', err);
    } finally {
      await removeQuietly(temp);
    }
    await fsyncDirectory(path.dirname(file));
    return 'formatted';
  } finally {
    await handle.close();
  }
}

function failed(file: string, why: string, err: NodeJS.WritableStream): Outcome {
  err.write(`${displayPath(file)}: not formatted: ${why}\n`);
  return 'failed';
}
