import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import { toCsv, toJson } from '../../../shared/src/export';
import { parseSlayerDocument } from '../engine/document';
import { executeQuery, storedQueryOf } from '../engine/query/execute';
import type { SlayerResponse } from '../engine/query/response';
import { LineIndex } from '../engine/schema/source';
import type { QueryDef } from '../engine/schema/types';
import { choiceOption, stringOption, type ParsedArgs } from './args';
import { headlessEngine, loadStorage, reportFailures, singleRoot } from './storage';
import { formatTable } from './table';

/** Where a query came from, for error messages that point into it. */
interface QueryInput {
  text: string;
  origin: string;
}

/**
 * SLayer's CLI conventions: inline JSON (starts with `{` or `[`), `@file`
 * (JSON or a `*.query.yaml`), or a bare name, which runs a query-backed model.
 */
export function readQueryArgument(argument: string | undefined, cwd: string): QueryInput | { name: string } {
  if (argument === undefined) {
    throw new SlayerError(
      ErrorCode.InvalidInput,
      "slayer-ls query needs a query: '<json>', @file.json, @file.query.yaml or a model name.",
    );
  }
  const trimmed = argument.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    checkJson(trimmed, 'the query argument');
    return { text: trimmed, origin: 'the query argument' };
  }
  if (trimmed.startsWith('@')) {
    const file = path.resolve(cwd, trimmed.slice(1));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new SlayerError(
        ErrorCode.NotFound,
        `Cannot read query file ${trimmed.slice(1)}: ${(error as Error).message}`,
      );
    }
    if (file.endsWith('.json')) checkJson(text, trimmed.slice(1));
    return { text, origin: trimmed.slice(1) };
  }
  return { name: trimmed };
}

/** JSON.parse's own message, with the line and column it means. */
function checkJson(text: string, origin: string): void {
  try {
    JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = /position (\d+)/.exec(message)?.[1];
    const where = offset === undefined ? '' : ` (line ${positionOf(text, Number(offset))})`;
    throw new SlayerError(ErrorCode.InvalidInput, `Invalid JSON in ${origin}${where}: ${message}`);
  }
}

function positionOf(text: string, offset: number): string {
  const position = new LineIndex(text).positionAt(offset);
  return `${position.line + 1}, column ${position.character + 1}`;
}

/** Decodes query text with the same decoder as the editor; every problem becomes one message. */
export function decodeQueryText(input: QueryInput): QueryDef[] {
  const parsed = parseSlayerDocument('query', input.text, { warnOnUnknownFields: true });
  const errors = parsed.parseProblems.filter((problem) => problem.severity === 'error');
  if (errors.length > 0 || !parsed.queries || parsed.queries.length === 0) {
    const lines = new LineIndex(input.text);
    const details = errors.map((problem) => {
      const at = lines.positionAt(problem.span.start);
      return `  ${input.origin}:${at.line + 1}:${at.character + 1} ${problem.message}`;
    });
    throw new SlayerError(ErrorCode.InvalidInput, `Invalid query:\n${details.join('\n') || '  no query found'}`);
  }
  return parsed.queries;
}

/**
 * `--variables` as SLayer's CLI takes it: repeatable `name=value` (numbers stay
 * numbers), or a JSON object. Later values win.
 */
export function parseVariables(texts: readonly string[]): Record<string, unknown> | undefined {
  if (texts.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const text of texts) Object.assign(out, parseVariablesText(text.trim()));
  return out;
}

function parseVariablesText(text: string): Record<string, unknown> {
  if (text.startsWith('{')) {
    checkJson(text, '--variables');
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new SlayerError(ErrorCode.InvalidInput, '--variables must be a JSON object or name=value pairs.');
    }
    return value as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SlayerError(ErrorCode.InvalidInput, `--variables: '${pair}' is not name=value.`);
    const raw = pair.slice(eq + 1);
    out[pair.slice(0, eq).trim()] = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

/** Usage errors throw (exit 2); a query that cannot be read or run prints one message and exits 1. */
export async function runQueryCommand(
  args: ParsedArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const format = choiceOption(args, 'format', FORMATS, 'table');
  const folder = stringOption(args, 'storage') ?? '.';
  const file = stringOption(args, 'out');
  return reportFailures('query', err, async () => {
    const response = await runQuery(args, folder);
    const text = args.options.has('dry-run') ? `${response.sql}\n` : formatted(response, format);
    if (file === undefined) out.write(text);
    else writeOutput(path.resolve(file), text, response, err);
  });
}

const FORMATS = ['table', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

async function runQuery(args: ParsedArgs, folder: string): Promise<SlayerResponse> {
  const input = readQueryArgument(args.positionals[0], process.cwd());
  const variables = parseVariables(args.values.get('variables') ?? []);
  const loaded = await loadStorage(folder);
  const root = singleRoot(loaded, folder);
  const catalog = loaded.index.catalogFor(root);
  const { stages, dataSource } =
    'name' in input ? storedQueryOf(input.name, catalog) : { stages: decodeQueryText(input) };
  const dryRun = args.options.has('dry-run');
  // The same revision-checked refresh the editor does; --no-write-back turns it off.
  const engine = headlessEngine(loaded, !args.options.has('no-write-back'));
  try {
    const response = await executeQuery(stages, engine.engineFor(root), {
      ...(variables ? { variables } : {}),
      ...(dataSource ? { preferDataSource: dataSource } : {}),
      dryRun,
    });
    if (!dryRun) {
      await engine.refreshAfterQuery(root, stages);
      if ('name' in input) await engine.refreshModel(root, input.name);
    }
    return response;
  } finally {
    await engine.dispose();
  }
}

function formatted(response: SlayerResponse, format: Format): string {
  if (format === 'csv') return toCsv(response.columns, response.data);
  if (format === 'json') return toJson(response);
  return formatResponse(response);
}

/** `--out`: the output goes to the file, and one line saying so to stderr (stdout stays empty for pipes). */
function writeOutput(file: string, text: string, response: SlayerResponse, err: NodeJS.WritableStream): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw new SlayerError(ErrorCode.InvalidInput, `Cannot write ${file}: ${(error as Error).message}`);
  }
  const rows = `${response.row_count} row${response.row_count === 1 ? '' : 's'}`;
  err.write(`Wrote ${rows} to ${file}.\n`);
}

function formatResponse(response: SlayerResponse): string {
  const table = formatTable(response.columns, response.data);
  return `${table}\n(${response.row_count} row${response.row_count === 1 ? '' : 's'})\n`;
}
