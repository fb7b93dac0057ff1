import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import { stringOption, type ParsedArgs } from './args';
import { decodeQueryText, readQueryArgument } from './query';
import { headlessEngine, loadStorage, reportFailures, singleRoot } from './storage';

/** `slayer-ls save-model NAME '<json>' | @file`: the query becomes a query-backed model file, its cache warmed. */
export async function runSaveModelCommand(
  args: ParsedArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const [name, query] = args.positionals;
  if (!name || !query)
    throw new SlayerError(
      ErrorCode.InvalidInput,
      "slayer-ls save-model needs a model name and a query ('<json>' or @file).",
    );
  const folder = stringOption(args, 'storage') ?? '.';
  return reportFailures('save-model', err, async () => {
    const input = readQueryArgument(query, process.cwd());
    if ('name' in input)
      throw new SlayerError(ErrorCode.InvalidInput, 'save-model takes a query (JSON or @file), not a model name.');
    const loaded = await loadStorage(folder);
    const root = singleRoot(loaded, folder);
    const saved = await headlessEngine(loaded, true).saveStagesAsModel(root, decodeQueryText(input), name);
    out.write(`${saved.file}\n`);
  });
}
