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
  return new SlayerError(
    ErrorCode.InvalidInput,
    `Model '${name}' exists in multiple datasources: ${pyList([...dataSources].sort())}. Specify a data_source or set a datasource priority to disambiguate: list the data sources in order in the storage root's priority.yaml (priority: [${dataSources.join(', ')}]), or rename one of the models.`,
  );
}

/** A list of names as Python prints it, as SLayer's messages show lists: `['a', 'b']`. */
export function pyList(names: readonly string[]): string {
  return `[${names.map((name) => `'${name}'`).join(', ')}]`;
}

/**
 * A string as Python's repr() prints it, as SLayer quotes formulas and
 * filters (`{formula!r}`): single quotes, or double quotes when the text
 * holds a single quote and no double quote.
 */
export function repr(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\');
  if (text.includes("'") && !text.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

/** SLayer's words for stages that read the list's last entry, with how to fix it. */
export function dagRootReferencedMessage(rootName: string, referrers: readonly string[]): string {
  return (
    `The final entry '${rootName}' is the DAG root and must not be referenced by other stages. ` +
    `Referenced by: ${pyList(referrers)}. Move '${rootName}' earlier, or end the list with the stage that reads it.`
  );
}

/** SLayer's words for a filter's bare name that is nothing the model or the query defines. */
export function filterUnknownNameMessage(name: string, model: string): string {
  return (
    `Filter references unknown name '${name}' on model '${model}'. It is not a Column, a ModelMeasure, a custom ` +
    'aggregation, or a named measure / transform alias in this query. Define it on the model first or check spelling.'
  );
}

/** SLayer's words for a filter's dotted reference whose first step is not one of the source model's joins. */
export function filterNotInJoinsMessage(reference: string, head: string, model: string): string {
  return (
    `Filter '${reference}' references model '${head}' but it is not in joins for source model '${model}'. ` +
    'Add it to source_model.joins or rewrite the filter to use a local derived column.'
  );
}

/** SLayer's words for a filter's dotted reference to a column its joined model does not have. */
export function filterJoinedColumnMessage(reference: string, column: string, path: string): string {
  return (
    `Filter '${reference}' references column '${column}' on '${path}', which doesn't resolve to a known column ` +
    'on the joined model. Check the path or define the column on the model.'
  );
}

/** SLayer's words for an aggregation used without a parameter it needs. */
export function missingParameterMessage(aggregation: string, parameter: string, target: string): string {
  return (
    `Aggregation '${aggregation}' requires parameter '${parameter}'. Set it in the model's aggregation definition ` +
    `or at query time (e.g., '${target}:${aggregation}(${parameter}=...)').`
  );
}

/** SLayer's words for `*` aggregated by anything but count. */
export function starAggregationMessage(aggregation: string): string {
  return `Aggregation '${aggregation}' not allowed with measure '*' — use '*:count' for COUNT(*).`;
}

/** Re-throws a SlayerError with, after its message, which formula failed and a caret under the offending characters. */
export function withFormulaContext(
  error: SlayerError,
  what: string,
  formula: string,
  span?: { start: number; end: number },
): SlayerError {
  // The message keeps SLayer's words first; which formula failed, and where, follow on their own lines.
  const quoted = ` '${formula}'`;
  const label = what.endsWith(quoted) ? what.slice(0, -quoted.length).toLowerCase() : what;
  // A message that already names what failed (SLayer's "Invalid formula syntax: '…'") needs only the caret.
  const lead = error.message.startsWith(what) ? '' : `in ${label}: `;
  const caret = span
    ? `\n  ${' '.repeat(lead.length + span.start)}${'^'.repeat(Math.max(1, span.end - span.start))}`
    : '';
  return new SlayerError(error.code, `${error.message}\n  ${lead}${formula}${caret}`, {
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
