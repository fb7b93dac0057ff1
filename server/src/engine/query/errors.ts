import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import type { ColumnDef, ModelDef } from '../schema/types';
import { closestName } from '../suggest';

/**
 * The engine's error constructors. Wording follows SLayer's own messages
 * ("Model 'x' not found", "has no join to", ...) so users who know SLayer
 * recognise them; we add where in the formula and the nearest valid name.
 */
export function invalidQuery(message: string, suggestion?: string): SlayerError {
  return new SlayerError(ErrorCode.InvalidInput, message, suggestion === undefined ? {} : { suggestion });
}

export function unsupported(message: string): SlayerError {
  return new SlayerError(ErrorCode.Unsupported, message);
}

/** "Did you mean 'x'?" with the suggestion carried on the error too. */
export function unknownName(message: string, name: string, candidates: Iterable<string>): SlayerError {
  const suggestion = closestName(name, candidates);
  const hint = suggestion ? ` Did you mean '${suggestion}'?` : '';
  return new SlayerError(ErrorCode.InvalidInput, `${message}${hint}`, suggestion ? { suggestion } : {});
}

/** A model's column by name, or SLayer's "Column 'x' not found in model 'y'" with the nearest name. */
export function requireColumn(model: ModelDef, name: string): ColumnDef {
  const column = model.columns.find((candidate) => candidate.name === name);
  if (column) return column;
  throw unknownName(
    `Column '${name}' not found in model '${model.name}'.`,
    name,
    model.columns.map((candidate) => candidate.name),
  );
}

export function modelNotFound(name: string, candidates: Iterable<string>): SlayerError {
  const suggestion = closestName(name, candidates);
  const hint = suggestion ? ` Did you mean '${suggestion}'?` : '';
  return new SlayerError(ErrorCode.NotFound, `Model '${name}' not found.${hint}`, suggestion ? { suggestion } : {});
}

/**
 * SLayer's AmbiguousModelError: a bare model name found in several data
 * sources, with nothing saying which one is meant. Never guessed: the two
 * models may read different databases.
 */
export function ambiguousModel(name: string, dataSources: readonly string[]): SlayerError {
  const listed = dataSources.map((ds) => `'${ds}'`).join(', ');
  return new SlayerError(
    ErrorCode.InvalidInput,
    `Model '${name}' exists in data sources ${listed}, and nothing says which one is meant; SLayer refuses it too (AmbiguousModelError). List the data sources in order in the storage root's priority.yaml (priority: [${dataSources.join(', ')}]), or rename one of the models.`,
  );
}

/** Points at a span of a formula: `in 'amount:summ' at 8-12`, with a caret line for terminals. */
export function locate(formula: string, start: number, end: number): string {
  const width = Math.max(1, end - start);
  return `\n  ${formula}\n  ${' '.repeat(start)}${'^'.repeat(width)}`;
}

/** Re-throws a SlayerError with the formula and a caret under the offending characters. */
export function withFormulaContext(
  error: SlayerError,
  what: string,
  formula: string,
  span?: { start: number; end: number },
): SlayerError {
  const where = span ? locate(formula, span.start, span.end) : `\n  ${formula}`;
  // Messages that already name what failed (SLayer's "Filter 'x' references ...") are not prefixed twice.
  const message = error.message.startsWith(what) ? error.message : `${what}: ${error.message}`;
  return new SlayerError(error.code, `${message}${where}`, {
    ...(error.suggestion === undefined ? {} : { suggestion: error.suggestion }),
    cause: error,
  });
}

/** A model whose file did not decode cleanly is never read: what decoding dropped would change its numbers. */
export function requireSound(model: ModelDef): ModelDef {
  if (model.defect === undefined) return model;
  throw invalidQuery(
    `Model '${model.name}' has errors in its file, so a query on it could silently lose part of its definition: ` +
      `${model.defect}. Fix the file first.`,
  );
}
