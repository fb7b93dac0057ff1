import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import { DEFAULT_SETTINGS } from '../../../shared/src/settings';
import { discoverWorkspace, type DiscoveredWorkspace } from '../workspace/discovery';
import { PathMatcher } from '../workspace/glob';
import { WorkspaceIndex } from '../workspace/index';
import { EngineRequests } from '../features/engine-requests';

export interface LoadedStorage {
  index: WorkspaceIndex;
  discovered: DiscoveredWorkspace;
}

/** Indexes every SLayer file under a folder, exactly as the language server does. */
export async function loadStorage(folder: string): Promise<LoadedStorage> {
  const absolute = path.resolve(folder);
  if (!existsSync(absolute)) throw new SlayerError(ErrorCode.NotFound, `No such folder: ${folder}`);
  const discovered = await discoverWorkspace([absolute], new PathMatcher(DEFAULT_SETTINGS.exclude));
  const index = new WorkspaceIndex({ warnOnUnknownFields: true });
  await index.load(discovered.roots, discovered.files);
  return { index, discovered };
}

/** The one storage root a headless command works on; several need --storage to pick. */
export function singleRoot(loaded: LoadedStorage, folder: string): string {
  const [root, ...others] = loaded.discovered.roots;
  if (!root) {
    throw new SlayerError(
      ErrorCode.NotFound,
      `No SLayer storage root (a folder holding models/) found under ${folder}.`,
    );
  }
  if (others.length > 0) {
    throw new SlayerError(
      ErrorCode.InvalidInput,
      `${folder} holds ${others.length + 1} storage roots (${[root, ...others].slice(0, 3).join(', ')}${others.length > 2 ? ', ...' : ''}); pick one with --storage.`,
    );
  }
  return root;
}

/**
 * Runs a command's work: a SlayerError (bad query, unknown model, database
 * failure) prints one message and exits 1; anything else is a bug and throws.
 */
export async function reportFailures(
  command: string,
  err: NodeJS.WritableStream,
  work: () => Promise<void>,
): Promise<number> {
  try {
    await work();
    return 0;
  } catch (error) {
    if (!(error instanceof SlayerError)) throw error;
    err.write(`slayer-ls ${command}: ${error.message}\n`);
    return 1;
  }
}

/** The editor's engine requests, headless: no open buffers, write-back as the flag says. */
export function headlessEngine(loaded: LoadedStorage, writeBack: boolean): EngineRequests {
  return new EngineRequests({
    index: loaded.index,
    settings: () => ({ ...DEFAULT_SETTINGS, writeBack }),
    openText: () => undefined,
    // Whoever runs the CLI chose the folder: there is no editor trust to ask.
    trusted: () => true,
    usedNameAt: () => undefined,
    // A refused refresh is routine (someone else wrote first); the CLI stays quiet about it.
    log: () => undefined,
  });
}
