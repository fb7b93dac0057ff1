import { ALL_TRANSFORMS, BUILTIN_AGGREGATIONS } from '../vocabulary';

/**
 * SLayer's naming rules. Each returns the reason a name is rejected, or
 * undefined when it is fine, so decoders and the CLI word them the same way.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const FORBIDDEN = {
  dunder: { text: '__', reason: 'double underscores are reserved for join-path aliases in generated SQL' },
  dot: { text: '.', reason: 'dots separate join paths and canonical ids' },
  colon: { text: ':', reason: 'colons separate a column from its aggregation (revenue:sum)' },
  slash: { text: '/', reason: 'path separators break the storage layout' },
  backslash: { text: '\\', reason: 'path separators break the storage layout' },
  nul: { text: '\u0000', reason: 'NUL bytes are not safe in file names' },
} as const;

type Rule = keyof typeof FORBIDDEN;

function firstViolation(name: string, what: string, rules: readonly Rule[]): string | undefined {
  for (const rule of rules) {
    const { text, reason } = FORBIDDEN[rule];
    if (name.includes(text)) return `${what} '${name}' must not contain ${JSON.stringify(text)}: ${reason}.`;
  }
  return undefined;
}

function emptyOrPadded(name: string, what: string): string | undefined {
  if (name.trim() === '') return `${what} must not be empty.`;
  if (name.trim() !== name) return `${what} '${name}' must not have leading or trailing whitespace.`;
  return undefined;
}

export function modelNameProblem(name: string, what = 'Model name'): string | undefined {
  return emptyOrPadded(name, what) ?? firstViolation(name, what, ['dunder', 'dot', 'colon']);
}

/** Columns may contain `__`: virtual models flatten join paths into names like `stores__name`. */
export function columnNameProblem(name: string): string | undefined {
  return emptyOrPadded(name, 'Column name') ?? firstViolation(name, 'Column name', ['dot', 'colon']);
}

/** SLayer's words for a name that is not an identifier; `what` says which name it is. */
export function identifierProblem(name: string, what: string): string | undefined {
  if (IDENTIFIER.test(name)) return undefined;
  return `Invalid name '${name}': must contain only letters, digits, and underscores, and start with a letter or underscore (${what.toLowerCase()}).`;
}

export function measureNameProblem(name: string): string | undefined {
  const shape = identifierProblem(name, 'Measure name');
  if (shape) return shape;
  if (ALL_TRANSFORMS.has(name)) {
    return `ModelMeasure name '${name}' is a reserved transform name. Reserved: ${[...ALL_TRANSFORMS].sort().join(', ')}. It would shadow ${name}(...).`;
  }
  return undefined;
}

export function aggregationNameProblem(name: string): string | undefined {
  const shape = identifierProblem(name, 'Aggregation name');
  if (shape) return shape;
  if (ALL_TRANSFORMS.has(name) && !BUILTIN_AGGREGATIONS.has(name)) {
    const reserved = [...ALL_TRANSFORMS].filter((transform) => !BUILTIN_AGGREGATIONS.has(transform)).sort();
    return `Aggregation name '${name}' conflicts with a built-in transform function. Reserved names: ${reserved.join(', ')}.`;
  }
  return undefined;
}

/** Data-source names are path components and canonical-id prefixes, but never SQL aliases, so `__` is fine. */
export function dataSourceNameProblem(name: string, what = 'Data source name'): string | undefined {
  return emptyOrPadded(name, what) ?? firstViolation(name, what, ['nul', 'slash', 'backslash', 'dot', 'colon']);
}

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}
