/**
 * `npm run bench:lsp`: SLayer Studio's language server against Red Hat's
 * yaml-language-server 1.25 (given a JSON schema of SLayer models), driven
 * through one harness over stdio on the same generated workspace, one server
 * after the other: start-up, opening 100 files, 300 hovers, 300 completions
 * at the same positions, 300 requests no server implements (the round trip's
 * floor), 120 full-document edits each waiting for
 * diagnostics, resident memory, five more starts of each (start-up is one
 * noisy number per start); then ours alone at 10,000 models, navigation
 * requests, a live hover on the demo data cold and warm, and the cache patch
 * beside a raw durable write. Timing lives here, never in a test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateDemo } from '../../demo/generate';
import { benchPatch } from '../patch';
import { summarize, type Summary } from '../stats';
import { BenchClient, type ServerSpec } from './harness';
import { generateHubWorkspace, generateWorkspace, modelText, type GeneratedWorkspace } from './workspace';

const REPO = path.resolve(__dirname, '../../..');
const OPEN_FILES = 100;
const HOVERS = 300;
const COMPLETIONS = 300;
const EDITS = 120;
const NAVIGATIONS = 100;
/** Start-up is one number per start and noisy on this machine: each server is started this many more times, alternately. */
const EXTRA_STARTS = 5;

interface Figures {
  /** Every start's time to ready: the measured run's first, then the extra starts. */
  readyMs: number[];
  /** Ours: when the name table (definition, references, rename, symbols) was complete, after start. */
  namesReadyMs: number | undefined;
  open: Summary;
  hover: Summary;
  completion: Summary;
  /** A key half typed in a column (`la|bel`), where both servers answer from their schema. */
  keyCompletion: Summary;
  edit: Summary;
  /** A request neither server implements, answered by the protocol library: what no server work can beat. */
  floor: Summary;
  rssMb: number;
  /** Answers that were empty: a fast "nothing" is not a fast hover. */
  emptyHovers: number;
  emptyCompletions: number;
  emptyKeyCompletions: number;
}

/** COMPLETIONS requests at one position, round the open files: their times and how many were empty. */
async function completions(
  client: BenchClient,
  files: readonly string[],
  position: { line: number; character: number },
): Promise<{ ms: number[]; empty: number }> {
  const ms: number[] = [];
  let empty = 0;
  for (let i = 0; i < COMPLETIONS; i++) {
    const uri = pathToFileURL(files[i % files.length] ?? '').toString();
    const timed = await client.timed<{ items?: unknown[] } | unknown[] | null>('textDocument/completion', {
      textDocument: { uri },
      position,
    });
    ms.push(timed.ms);
    const items = Array.isArray(timed.result) ? timed.result : (timed.result?.items ?? []);
    if (items.length === 0) empty++;
  }
  return { ms, empty };
}

function nodeArgs(): string[] {
  return (process.env['SLAYER_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
}

function ourServer(): ServerSpec {
  return {
    label: 'SLayer Studio',
    // SLAYER_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles our server under the bench.
    command: [process.execPath, ...nodeArgs(), path.join(REPO, 'dist/server.js'), '--stdio'],
    languageId: 'slayer-yaml',
    settings: { slayer: {} },
    readyNotification: 'slayer/indexed',
  };
}

function yamlServer(): ServerSpec {
  const schema = pathToFileURL(path.join(__dirname, 'slayer-model.schema.json')).toString();
  return {
    label: 'yaml-language-server 1.25',
    command: [process.execPath, require.resolve('yaml-language-server/bin/yaml-language-server'), '--stdio'],
    languageId: 'yaml',
    settings: {
      yaml: {
        schemas: { [schema]: ['**/models/**/*.yaml'] },
        validate: true,
        hover: true,
        completion: true,
        schemaStore: { enable: false },
      },
    },
  };
}

/** The same 100 files for both servers, spread over every folder. */
function openSet(workspace: GeneratedWorkspace): string[] {
  const step = Math.max(1, Math.floor(workspace.models.length / OPEN_FILES));
  return workspace.models.filter((_, index) => index % step === 0).slice(0, OPEN_FILES);
}

function positionOf(text: string, needle: string, after: string): { line: number; character: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((candidate) => candidate.includes(needle));
  const character = (lines[line] ?? '').indexOf(after) + after.length;
  return { line, character };
}

async function measure(
  spec: ServerSpec,
  workspace: GeneratedWorkspace,
): Promise<{ figures: Figures; client: BenchClient }> {
  const { client, readyMs } = await BenchClient.start(spec, workspace.root);
  const files = openSet(workspace);
  const open: number[] = [];
  for (const file of files) open.push(await client.open(file));
  const sample = readFileSync(files[0] ?? '', 'utf8');
  const hoverAt = positionOf(sample, '- name: status', '- name: st');
  const completeAt = positionOf(sample, 'formula: amount:sum', 'formula: amount:');
  const hover: number[] = [];
  let emptyHovers = 0;
  for (let i = 0; i < HOVERS; i++) {
    const uri = pathToFileURL(files[i % files.length] ?? '').toString();
    const { ms, result } = await client.timed<unknown>('textDocument/hover', {
      textDocument: { uri },
      position: hoverAt,
    });
    hover.push(ms);
    if (!result) emptyHovers++;
  }
  const completion = await completions(client, files, completeAt);
  const keyCompletion = await completions(client, files, positionOf(sample, '    label: Status', '    la'));
  const floor: number[] = [];
  for (let i = 0; i < COMPLETIONS; i++) floor.push(await client.unhandledRoundTrip());
  const edit: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    const file = files[i % files.length] ?? '';
    const [folder = 0, index = 0] = (/m_(\d+)_(\d+)\.yaml$/.exec(file) ?? []).slice(1).map(Number);
    edit.push(await client.edit(file, modelText(folder, index, `Edited ${i}.`)));
  }
  await client.until(() => spec.readyNotification === undefined || client.namesReadyMs !== undefined);
  const figures: Figures = {
    readyMs: [readyMs],
    namesReadyMs: client.namesReadyMs,
    open: summarize(open),
    hover: summarize(hover),
    completion: summarize(completion.ms),
    keyCompletion: summarize(keyCompletion.ms),
    edit: summarize(edit),
    floor: summarize(floor),
    rssMb: client.residentMb(),
    emptyHovers,
    emptyCompletions: completion.empty,
    emptyKeyCompletions: keyCompletion.empty,
  };
  return { figures, client };
}

/** Starts and stops each server EXTRA_STARTS more times, taking turns, and adds each start's time to its figures. */
async function moreStarts(runs: readonly { spec: ServerSpec; figures: Figures }[], workspace: GeneratedWorkspace) {
  for (let i = 0; i < EXTRA_STARTS; i++) {
    for (const { spec, figures } of runs) {
      const { client, readyMs } = await BenchClient.start(spec, workspace.root);
      await client.stop();
      figures.readyMs.push(readyMs);
    }
  }
}

/** A start-up figure: the median start, with the fastest and slowest. */
function startup(samples: readonly number[]): string {
  const seconds = (ms: number): string => (ms / 1000).toFixed(2);
  const range = `${seconds(Math.min(...samples))}–${seconds(Math.max(...samples))}`;
  return `${seconds(summarize(samples).p50)} s (median of ${samples.length} starts, ${range})`;
}

/** Definition, references and workspace symbols: ours only (yaml-language-server has none for SLayer names). */
async function navigation(client: BenchClient, workspace: GeneratedWorkspace): Promise<Record<string, Summary>> {
  const file = workspace.models[5] ?? '';
  const uri = pathToFileURL(file).toString();
  const text = readFileSync(file, 'utf8');
  const target = positionOf(text, '- target_model:', '- target_model: m');
  const column = positionOf(text, '    formula: amount:sum', '    formula: am');
  const times: Record<string, number[]> = { definition: [], references: [], 'workspace symbols': [] };
  for (let i = 0; i < NAVIGATIONS; i++) {
    times['definition']?.push(
      (await client.timed('textDocument/definition', { textDocument: { uri }, position: target })).ms,
    );
    const references = await client.timed('textDocument/references', {
      textDocument: { uri },
      position: column,
      context: { includeDeclaration: true },
    });
    times['references']?.push(references.ms);
    times['workspace symbols']?.push((await client.timed('workspace/symbol', { query: `m_${i % 10}_1` })).ms);
  }
  return Object.fromEntries(Object.entries(times).map(([name, samples]) => [name, summarize(samples)]));
}

/** A live hover on the demo's real data: the first one, then warm ones. */
async function liveHover(): Promise<{ cold: number; warm: Summary }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'slayer-bench-demo-'));
  try {
    const demo = await generateDemo(dir, {});
    const { client } = await BenchClient.start(ourServer(), demo.storageRoot);
    const orders = path.join(demo.storageRoot, 'models', 'jaffle', 'orders.yaml');
    await client.open(orders);
    const uri = pathToFileURL(orders).toString();
    const position = positionOf(readFileSync(orders, 'utf8'), '- name: status', '- name: st');
    const hover = (): Promise<{ ms: number }> =>
      client.timed('textDocument/hover', { textDocument: { uri }, position });
    const cold = (await hover()).ms;
    const warm: number[] = [];
    for (let i = 0; i < 100; i++) warm.push((await hover()).ms);
    await client.stop();
    return { cold, warm: summarize(warm) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const RENAME_USERS = 500;

/** Renaming a column used in 500 other files: the time to the WorkspaceEdit, and what it edits. */
async function renameAcrossFiles(): Promise<{ ms: number; files: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'slayer-bench-rename-'));
  try {
    const { hub } = generateHubWorkspace(dir, RENAME_USERS);
    const { client } = await BenchClient.start(ourServer(), dir);
    await client.open(hub);
    const position = positionOf(readFileSync(hub, 'utf8'), '- name: region', '- name: re');
    const { ms, result } = await client.timed<{ documentChanges?: unknown[] } | null>('textDocument/rename', {
      textDocument: { uri: pathToFileURL(hub).toString() },
      position,
      newName: 'territory',
    });
    await client.stop();
    return { ms, files: result?.documentChanges?.length ?? 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(name: string, ours: Summary, theirs: Summary | undefined, goal: string): string {
  const ratio = theirs ? (ours.p95 / theirs.p95).toFixed(2) : '—';
  const them = theirs ? `${theirs.p50.toFixed(1)} / ${theirs.p95.toFixed(1)}` : '—';
  return `| ${name} | ${ours.p50.toFixed(1)} / ${ours.p95.toFixed(1)} | ${them} | ${ratio} | ${goal} |`;
}

function printComparison(size: number, ours: Figures, theirs: Figures | undefined): void {
  console.log(`\n### ${size.toLocaleString('en-US')} models${theirs ? '' : ' (ours only)'}\n`);
  console.log('| figure (p50 / p95 ms) | SLayer Studio | yaml-language-server | p95 ratio | goal |');
  console.log('|---|---|---|---|---|');
  const goal = (at2k: string, at10k: string): string => (size <= 2000 ? at2k : at10k);
  console.log(row('open → diagnostics', ours.open, theirs?.open, goal('≤ 0.5×', '≤ 150 ms')));
  console.log(row('edit → diagnostics', ours.edit, theirs?.edit, goal('≤ 0.5×', '≤ 150 ms')));
  console.log(row('hover on a sampled column', ours.hover, theirs?.hover, '≤ 1.0×'));
  console.log(row('completion after `amount:`', ours.completion, theirs?.completion, '≤ 0.5×'));
  console.log(row('completion of a key (`la|bel`)', ours.keyCompletion, theirs?.keyCompletion, '(both answer)'));
  console.log(row('round trip of an unknown method (floor)', ours.floor, theirs?.floor, '(no server work)'));
  const names =
    ours.namesReadyMs === undefined ? '' : ` (names for navigation ${(ours.namesReadyMs / 1000).toFixed(2)} s)`;
  const ready = `${startup(ours.readyMs)} to first index${names}${theirs ? ` / ${startup(theirs.readyMs)} to initialize` : ''}`;
  // Against yaml-language-server's own start-up in the same minutes: this machine's speed drifts by a third between runs.
  const ratio = theirs
    ? `${(summarize(ours.readyMs).p50 / summarize(theirs.readyMs).p50).toFixed(2)} (of medians)`
    : '';
  console.log(`| start-up | ${ready} | | ${ratio} | cold index ≤ ${size <= 2000 ? '1' : '4'} s |`);
  const memory = `${ours.rssMb.toFixed(0)} MB${theirs ? ` / ${theirs.rssMb.toFixed(0)} MB` : ''}`;
  console.log(`| resident memory | ${memory} | | | ≤ ${size <= 2000 ? '200' : '600'} MB |`);
  const empty = (figures: Figures): string =>
    `${figures.emptyHovers} empty hovers, ${figures.emptyCompletions} empty completions after \`amount:\`, ` +
    `${figures.emptyKeyCompletions} empty key completions`;
  console.log(`\n(ours: ${empty(ours)}${theirs ? `; yaml-language-server: ${empty(theirs)}` : ''})`);
}

async function main(): Promise<void> {
  if (!existsSync(path.join(REPO, 'dist/server.js')))
    throw new Error('Run `npm run build` first: the bench drives dist/server.js.');
  const sizes = (process.env['SLAYER_BENCH_SIZES'] ?? '2000,10000').split(',').map(Number);
  for (const size of sizes) {
    const dir = mkdtempSync(path.join(tmpdir(), `slayer-bench-${size}-`));
    try {
      const workspace = generateWorkspace(dir, size);
      // The generator's files are flushed first, so no server starts while the kernel writes them out.
      execFileSync('sync');
      const ours = await measure(ourServer(), workspace);
      const nav = await navigation(ours.client, workspace);
      await ours.client.stop();
      const theirs = size <= 2000 ? await measure(yamlServer(), workspace) : undefined;
      await theirs?.client.stop();
      await moreStarts(
        [
          { spec: ourServer(), figures: ours.figures },
          ...(theirs ? [{ spec: yamlServer(), figures: theirs.figures }] : []),
        ],
        workspace,
      );
      printComparison(size, ours.figures, theirs?.figures);
      for (const [name, summary] of Object.entries(nav)) {
        console.log(
          `${name}: p50 ${summary.p50.toFixed(2)} ms, p95 ${summary.p95.toFixed(2)} ms (goal p95 ≤ 20 ms at 10,000)`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const rename = await renameAcrossFiles();
  console.log(
    `\nrename of a column used in ${RENAME_USERS} other files: ${rename.ms.toFixed(0)} ms, ${rename.files} files edited (goal < 1 s)`,
  );
  const live = await liveHover();
  console.log(
    `\nlive hover on the demo (50,000 orders): cold ${live.cold.toFixed(1)} ms; warm p50 ${live.warm.p50.toFixed(1)} ms, p95 ${live.warm.p95.toFixed(1)} ms`,
  );
  console.log('');
  await benchPatch();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
