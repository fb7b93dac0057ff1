import { invalidQuery, pyList, repr } from './errors';

export type Variables = Readonly<Record<string, unknown>>;

const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|\{([^}]*)\}/g;

/**
 * SLayer's `{name}` substitution in filter strings: values go in as written
 * (strings must be quoted in the template), `{{`/`}}` are literal braces,
 * and an undefined variable is an error naming the ones that exist.
 */
export function substituteVariables(filter: string, variables: Variables): string {
  return filter.replace(PLACEHOLDER, (whole, name: string | undefined, badName: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    if (name !== undefined) return variableText(name, filter, variables);
    throw invalidQuery(
      `Invalid variable name '${badName ?? ''}' in filter: ${repr(filter)}. ` +
        'Variable names must contain only letters, digits, and underscores.',
    );
  });
}

function variableText(name: string, filter: string, variables: Variables): string {
  if (!Object.prototype.hasOwnProperty.call(variables, name)) {
    const available = Object.keys(variables).sort();
    throw invalidQuery(
      `Undefined variable '${name}' in filter: ${repr(filter)}. Available variables: ${pyList(available)}`,
    );
  }
  const value = variables[name];
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw invalidQuery(`Variable '${name}' must be a string or number, got ${got}.`);
}

/**
 * SLayer's precedence, highest first: the runtime `--variables`, the stage's
 * own `variables`, an outer query's, then the model's `query_variables`.
 */
export function mergeVariables(...layersHighestFirst: ReadonlyArray<Variables | undefined>): Variables {
  const merged: Record<string, unknown> = {};
  for (const layer of [...layersHighestFirst].reverse()) Object.assign(merged, layer ?? {});
  return merged;
}
