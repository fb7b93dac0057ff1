/**
 * Cache refreshes racing user edits on one query-backed model file, in one
 * process: the seed's acceptance test, then a fuzz of seeded interleavings.
 * Refreshes pause at random steps (between read and compute, after the lock,
 * after the re-read, after the compute, before and after the rename) while
 * the user saves through the storage (which takes the lock) or writes the
 * file directly (which does not). Pins: no user byte outside the cache keys
 * is ever lost, the file always parses, and the cache on disk was computed
 * from the final user content or an older one.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { mulberry32, type Rng } from '../../scripts/demo/data';
import { revisionOf } from '../../server/src/storage/revision';
import type { PatchResult } from '../../server/src/storage/types';
import { applyPatchToFile, modelToYaml, YamlStorage, type PatchHooks } from '../../server/src/storage/yaml-storage';
import { makeStorageRoot } from '../support/fixtures';
import {
  cacheFor,
  cacheVersion,
  editDirectly,
  MODEL_NAME,
  randomShape,
  userModelText,
  userVersion,
  type ModelShape,
} from '../support/refresh-model';
import { nonCacheValue, parseOne, withoutCache } from '../support/yaml-fidelity';

const QUERY_BACKED = { columnsAreCache: true };
const INTERLEAVINGS = 600;
const CONCURRENT_SEEDS = 60;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Gives the other actors a chance to run: a few turns of the event loop, sometimes a short sleep. */
async function pause(rng: Rng): Promise<void> {
  if (rng() < 0.3) {
    await sleep(rng() * 3);
    return;
  }
  for (let turns = 1 + Math.floor(rng() * 3); turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve));
}

interface Tally {
  refreshes: number;
  outcomes: Record<string, number>;
  userWrites: number;
  /** Direct writes made after a refresh re-read the file under its lock and before it renamed: the lost-update window. */
  windowWrites: number;
  lostEdits: number;
}

function newTally(): Tally {
  return { refreshes: 0, outcomes: {}, userWrites: 0, windowWrites: 0, lostEdits: 0 };
}

/** One model file and the actors on it. */
class Scene {
  /** Refreshes between their locked re-read and their rename. */
  inWindow = 0;
  /** Set while the user waits between edits: a pause point may wake it, so its write lands right there. */
  wakeUser: (() => void) | undefined;

  constructor(
    readonly file: string,
    readonly rng: Rng,
    readonly tally: Tally,
  ) {}

  /**
   * A pause point: sometimes the user acts right here (more often inside the
   * read-to-rename window, the one that matters), then the others get turns.
   */
  async pausePoint(): Promise<void> {
    if (this.rng() < (this.inWindow > 0 ? 0.5 : 0.15)) this.wakeUser?.();
    await pause(this.rng);
  }

  hooks(window: { open: boolean }): PatchHooks {
    const maybe = (): (() => Promise<void>) | undefined => (this.rng() < 0.6 ? () => this.pausePoint() : undefined);
    const [afterLock, afterRead, afterCompute, beforeRename, afterRename] = [
      maybe(),
      maybe(),
      maybe(),
      maybe(),
      maybe(),
    ];
    return {
      afterLock,
      afterRead: async () => {
        window.open = true;
        this.inWindow++;
        await afterRead?.();
      },
      afterCompute,
      beforeRename: async () => {
        await beforeRename?.();
        window.open = false;
        this.inWindow--;
      },
      afterRename,
    };
  }

  /** One refresh: read, compute from what was read, patch with that revision; pauses everywhere in between. */
  async refresh(): Promise<void> {
    await pause(this.rng);
    const bytes = readFileSync(this.file);
    await this.pausePoint();
    const updates = cacheFor(bytes.toString('utf8'), Math.floor(this.rng() * 2));
    await this.pausePoint();
    const window = { open: false };
    try {
      count(this.tally, await applyPatchToFile(this.file, revisionOf(bytes), updates, this.hooks(window)));
    } finally {
      if (window.open) this.inWindow--;
    }
  }

  /** Set once the refreshers are done; the user then stops waiting for pause points. */
  refreshersDone = false;

  /** The user's next edit happens at a refresh's pause point, or at once when the refreshers are done. */
  waitForTurn(): Promise<void> {
    if (this.refreshersDone) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wakeUser = resolve;
    }).then(() => {
      this.wakeUser = undefined;
    });
  }
}

function count(tally: Tally, result: PatchResult): void {
  tally.refreshes++;
  const key = result.applied ? (result.changed ? 'written' : 'unchanged') : result.reason;
  tally.outcomes[key] = (tally.outcomes[key] ?? 0) + 1;
}

/** The user: sequential edits, each either a storage save or a direct uncooperative write. */
class User {
  version = 0;
  lastWritten: string;

  constructor(
    private readonly scene: Scene,
    private readonly storage: YamlStorage,
    initial: string,
  ) {
    this.lastWritten = initial;
  }

  /** Before each edit: nothing the user wrote last may have been lost meanwhile. */
  check(): void {
    const now = readFileSync(this.scene.file, 'utf8');
    parseOne(now);
    if (withoutCache(now, QUERY_BACKED) !== withoutCache(this.lastWritten, QUERY_BACKED)) this.scene.tally.lostEdits++;
  }

  async edit(kind: 'save' | 'direct'): Promise<void> {
    const { file, tally } = this.scene;
    this.check();
    this.version++;
    tally.userWrites++;
    if (kind === 'direct') {
      if (this.scene.inWindow > 0) tally.windowWrites++;
      this.lastWritten = editDirectly(readFileSync(file, 'utf8'), this.version);
      writeFileSync(file, this.lastWritten);
      return;
    }
    const stored = await this.storage.get(MODEL_NAME);
    assert.ok(stored);
    const model = {
      ...stored.model,
      description: `edit ${this.version}`,
      filters: [`amount > ${this.version}`],
      joins: [
        { target_model: 'stores', join_pairs: [['store_id', 'id']] as [string, string][], join_type: 'left' as const },
      ],
      meta: { owner: 'ana', edited: this.version },
    };
    this.lastWritten = modelToYaml(model);
    await this.storage.save(model);
  }
}

function setUp(shape: ModelShape): { file: string; storage: YamlStorage; dir: string; initial: string } {
  const initial = userModelText(0, shape);
  const fixture = makeStorageRoot({ [`models/shop/${MODEL_NAME}.yaml`]: initial });
  const file = fixture.file(`models/shop/${MODEL_NAME}.yaml`);
  return { file, storage: new YamlStorage(fixture.root), dir: path.dirname(file), initial };
}

/** The final state every interleaving must reach. */
function checkFinal(scene: Scene, user: User): void {
  user.check();
  const final = readFileSync(scene.file, 'utf8');
  const version = userVersion(final);
  assert.equal(version, user.version, 'the last user edit is what the file says');
  const cached = cacheVersion(final);
  if (cached !== undefined) assert.ok(cached <= version, `cache for edit ${cached} is not newer than edit ${version}`);
}

async function runInterleaving(seed: number, tally: Tally): Promise<void> {
  const rng = mulberry32(seed);
  const { file, storage, dir, initial } = setUp(randomShape(rng));
  const scene = new Scene(file, rng, tally);
  const user = new User(scene, storage, initial);
  const refreshers = Array.from({ length: 1 + Math.floor(rng() * 3) }, async () => {
    await sleep(rng() * 3);
    for (let n = 1 + Math.floor(rng() * 2); n > 0; n--) await scene.refresh();
  });
  // Mostly direct writes: a save waits for the lock, so it can never land inside a refresh's window.
  const editing = (async () => {
    for (let n = 2 + Math.floor(rng() * 3); n > 0; n--) {
      await scene.waitForTurn();
      await user.edit(rng() < 0.25 ? 'save' : 'direct');
    }
  })();
  await Promise.all(refreshers);
  scene.refreshersDone = true;
  scene.wakeUser?.();
  await editing;
  checkFinal(scene, user);
  // The next read recomputes: one more refresh converges the cache on the final content.
  await scene.refresh();
  assert.equal(cacheVersion(readFileSync(file, 'utf8')), user.version, 'the cache converges on the next read');
  assert.deepEqual(
    readdirSync(dir).filter((name) => name !== `${MODEL_NAME}.yaml`),
    [],
    'no temp file, lock or intent is left',
  );
}

describe('cache refresh racing user edits (one process)', () => {
  test('seed acceptance: concurrent refreshes plus a save editing description, joins, filters and meta keep the edit and leave a valid cache', async () => {
    for (const kind of ['save', 'direct'] as const) {
      const rng = mulberry32(kind === 'save' ? 74 : 75);
      const { file, storage, initial } = setUp({ comments: true, withCache: true });
      const tally = newTally();
      const scene = new Scene(file, rng, tally);
      const user = new User(scene, storage, initial);
      const refreshes = Promise.all(Array.from({ length: 8 }, () => scene.refresh()));
      await scene.waitForTurn();
      await user.edit(kind);
      await refreshes;
      checkFinal(scene, user);
      const edited = nonCacheValue(readFileSync(file, 'utf8'), QUERY_BACKED);
      assert.equal(edited.description, 'edit 1');
      assert.deepEqual(edited.filters, ['amount > 1']);
      if (kind === 'save') assert.deepEqual(edited.meta, { owner: 'ana', edited: 1 });
      await scene.refresh();
      const final = readFileSync(file, 'utf8');
      assert.equal(cacheVersion(final), 1, 'after the next read the cache is the one for the edited model');
      assert.equal(tally.lostEdits, 0);
    }
  });

  test(`fuzz: ${INTERLEAVINGS} seeded interleavings of refreshes and user saves lose no user byte`, async (t) => {
    const tally = newTally();
    for (let start = 1; start <= INTERLEAVINGS; start += CONCURRENT_SEEDS) {
      const seeds = Array.from({ length: Math.min(CONCURRENT_SEEDS, INTERLEAVINGS - start + 1) }, (_, i) => start + i);
      await Promise.all(seeds.map((seed) => runInterleaving(seed, tally)));
    }
    t.diagnostic(`interleavings run: ${INTERLEAVINGS}`);
    t.diagnostic(`refreshes: ${tally.refreshes} ${JSON.stringify(tally.outcomes)}`);
    t.diagnostic(
      `user writes: ${tally.userWrites}, of which direct writes inside a refresh's read-to-rename window: ${tally.windowWrites}`,
    );
    t.diagnostic(`edits lost: ${tally.lostEdits}`);
    assert.equal(tally.lostEdits, 0);
    assert.ok(
      (tally.outcomes.written ?? 0) > 0 && (tally.outcomes['revision-mismatch'] ?? 0) > 0,
      'both outcomes occurred',
    );
    assert.ok(tally.windowWrites >= 100, 'the fuzz really puts uncooperative writes inside the patch window');
  });
});
