import { ErrorCode, SlayerError } from '../../../shared/src/errors';
import { stageCatalogFor } from '../engine/query/execute';
import { lookupModel } from '../engine/query/stages';
import type { DataType, ModelDef } from '../engine/schema/types';
import { modelToPlain } from '../storage/cache-values';
import { stringOption, type ParsedArgs } from './args';
import { headlessEngine, loadStorage, reportFailures, singleRoot, type LoadedStorage } from './storage';

/** `slayer-ls show MODEL`: SLayer's storage.get_model, as JSON. */
export async function runShowCommand(
  args: ParsedArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  return withModel('show', args, err, (model) => {
    out.write(`${JSON.stringify(modelToPlain(model), null, 2)}\n`);
    return Promise.resolve();
  });
}

/**
 * `slayer-ls column-types MODEL`: SLayer's get_column_types shape,
 * `{column: "number" | "string" | "time" | "boolean"}` over the columns it
 * probes (not hidden, not a key). The types are the model's declared ones (a
 * query-backed model's from its stages), which are what the engine plans with.
 */
export async function runColumnTypesCommand(
  args: ParsedArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  return withModel('column-types', args, err, (model, loaded, root) => {
    const columns = model.source_queries
      ? stageCatalogFor(model, loaded.index.catalogFor(root)).cacheOf(model).columns
      : model.columns;
    const probed = columns.filter((column) => !column.hidden && !column.primary_key);
    const types = Object.fromEntries(probed.map((column) => [column.name, TYPE_CATEGORY[column.type]]));
    out.write(`${JSON.stringify(types, null, 2)}\n`);
    return Promise.resolve();
  });
}

const TYPE_CATEGORY: Record<DataType, string> = {
  INT: 'number',
  DOUBLE: 'number',
  TEXT: 'string',
  DATE: 'time',
  TIMESTAMP: 'time',
  BOOLEAN: 'boolean',
};

/**
 * `slayer-ls refresh-samples [MODEL...]`: re-profiles table-backed models and
 * writes their columns' samples through the revision-checked patch; prints
 * SLayer's RefreshSamplesResult (`errors`, `unresolved_models`) and exits 1
 * when a named model does not exist.
 */
export async function runRefreshSamplesCommand(
  args: ParsedArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const folder = stringOption(args, 'storage') ?? '.';
  let unresolved: string[] = [];
  const code = await reportFailures('refresh-samples', err, async () => {
    const loaded = await loadStorage(folder);
    const root = singleRoot(loaded, folder);
    const catalog = loaded.index.catalogFor(root);
    const named = args.positionals;
    unresolved = named.filter((name) => !catalog.getModel(name));
    const models = named.length > 0 ? named.filter((name) => catalog.getModel(name)) : catalog.modelNames();
    const engine = headlessEngine(loaded, true);
    const errors: string[] = [];
    try {
      for (const name of models) {
        const model = lookupModel(catalog, name, undefined);
        if (!model || model.source_queries) continue;
        await engine.inspectByName(root, name, model.data_source || undefined).catch((error: unknown) => {
          errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        });
      }
    } finally {
      await engine.dispose();
    }
    out.write(`${JSON.stringify({ errors, unresolved_models: unresolved }, null, 2)}\n`);
  });
  return code === 0 && unresolved.length > 0 ? 1 : code;
}

async function withModel(
  command: string,
  args: ParsedArgs,
  err: NodeJS.WritableStream,
  work: (model: ModelDef, loaded: LoadedStorage, root: string) => Promise<void>,
): Promise<number> {
  const name = args.positionals[0];
  if (!name) throw new SlayerError(ErrorCode.InvalidInput, `slayer-ls ${command} needs a model name.`);
  const folder = stringOption(args, 'storage') ?? '.';
  return reportFailures(command, err, async () => {
    const loaded = await loadStorage(folder);
    const root = singleRoot(loaded, folder);
    const model = lookupModel(loaded.index.catalogFor(root), name, undefined);
    if (!model) throw new SlayerError(ErrorCode.NotFound, `Model '${name}' not found in ${root}.`);
    await work(model, loaded, root);
  });
}
