import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import type { ModelCatalog } from '../engine/catalog';
import { checkSlayerDocument, parseSlayerDocument } from '../engine/document';
import type { ModelDef } from '../engine/schema/types';
import { modelToPlain } from '../storage/cache-values';
import { stringOption, type ParsedArgs } from './args';
import { decodeQueryText, readQueryArgument } from './query';
import { headlessEngine, loadStorage, reportFailures, singleRoot } from './storage';

/**
 * SLayer's create_model_from_query and save_model, headless:
 * - `save-model NAME '<json>' | @file [--no-save]`: the query becomes a query-backed model, its cache filled;
 * - `save-model --file model.yaml`: a hand-written model, validated (and a query-backed one's cache filled).
 * Either way the model is printed as JSON, as SLayer returns it; --no-save writes nothing.
 */
export async function runSaveModelCommand(
  args: ParsedArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const file = stringOption(args, 'file');
  const [name, query] = args.positionals;
  if (!file && (!name || !query)) {
    throw new SlayerError(
      ErrorCode.InvalidInput,
      "slayer-ls save-model needs a model name and a query ('<json>' or @file), or --file model.yaml.",
    );
  }
  const folder = stringOption(args, 'storage') ?? '.';
  return reportFailures('save-model', err, async () => {
    const loaded = await loadStorage(folder);
    const root = singleRoot(loaded, folder);
    const engine = headlessEngine(loaded, true);
    const save = !args.options.has('no-save');
    if (file) {
      const model = readModelFile(file, loaded.index.catalogFor(root));
      const saved = await engine.saveModel(root, model, { save });
      out.write(`${JSON.stringify(modelToPlain(saved.model), null, 2)}\n`);
      return;
    }
    const input = readQueryArgument(query ?? '', process.cwd());
    if ('name' in input)
      throw new SlayerError(ErrorCode.InvalidInput, 'save-model takes a query (JSON or @file), not a model name.');
    const saved = await engine.createModelFromQuery(root, decodeQueryText(input), name ?? '', { save });
    out.write(`${JSON.stringify(modelToPlain(saved.model), null, 2)}\n`);
  });
}

/** A model file as the checker reads it, against the storage root's models; any error stops the save, with its line. */
function readModelFile(file: string, catalog: ModelCatalog): ModelDef {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SlayerError(ErrorCode.NotFound, `Cannot read ${file}: ${(error as Error).message}`);
  }
  const parsed = parseSlayerDocument('model', text, { warnOnUnknownFields: false });
  const problems = [...parsed.parseProblems, ...checkSlayerDocument(parsed, catalog)];
  const problem = problems.find((candidate) => candidate.severity === 'error');
  if (problem || !parsed.model) {
    const line = problem ? text.slice(0, problem.span.start).split('\n').length : 1;
    throw new SlayerError(
      ErrorCode.InvalidInput,
      `${path.basename(file)}:${line}: ${(problem?.message ?? 'not a model').replace(/\.$/, '')}; the model was not saved.`,
    );
  }
  return parsed.model;
}
