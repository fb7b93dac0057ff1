/**
 * A small SQL tokenizer: just enough to find the column references inside a
 * model's SQL snippets (`Column.sql`, `Column.filter`, `filters`) without
 * touching string literals, quoted identifiers or comments.
 */
export type SqlTokenKind = 'word' | 'quoted' | 'string' | 'number' | 'punct' | 'space' | 'comment';

export interface SqlToken {
  kind: SqlTokenKind;
  text: string;
}

const PATTERNS: ReadonlyArray<readonly [SqlTokenKind, RegExp]> = [
  ['space', /\s+/y],
  ['comment', /--[^\n]*|\/\*[\s\S]*?\*\//y],
  ['string', /'(?:[^']|'')*'/y],
  ['quoted', /"(?:[^"]|"")*"|`[^`]*`/y],
  ['number', /\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+/y],
  ['word', /[A-Za-z_][A-Za-z0-9_$]*/y],
];

export function tokenizeSql(text: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let index = 0;
  while (index < text.length) {
    const token = matchAt(text, index);
    tokens.push(token);
    index += token.text.length;
  }
  return tokens;
}

function matchAt(text: string, index: number): SqlToken {
  for (const [kind, pattern] of PATTERNS) {
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (match && match[0].length > 0) return { kind, text: match[0] };
  }
  // An unterminated quote or any other character stands alone; the database reports real syntax errors.
  return { kind: 'punct', text: text.charAt(index) };
}

/** A dotted chain of words (`customers.regions.name`) starting at `start`, or undefined. */
export interface WordChain {
  parts: string[];
  /** Index of the token after the chain. */
  end: number;
}

export function readWordChain(tokens: readonly SqlToken[], start: number): WordChain | undefined {
  const first = tokens[start];
  if (first?.kind !== 'word') return undefined;
  const parts = [first.text];
  let index = start + 1;
  while (tokens[index]?.text === '.' && tokens[index + 1]?.kind === 'word') {
    parts.push(tokens[index + 1]?.text ?? '');
    index += 2;
  }
  return { parts, end: index };
}

export function nextSignificant(tokens: readonly SqlToken[], start: number): SqlToken | undefined {
  for (let index = start; index < tokens.length; index++) {
    const token = tokens[index];
    if (token && token.kind !== 'space' && token.kind !== 'comment') return token;
  }
  return undefined;
}

export function previousSignificant(tokens: readonly SqlToken[], start: number): SqlToken | undefined {
  for (let index = start; index >= 0; index--) {
    const token = tokens[index];
    if (token && token.kind !== 'space' && token.kind !== 'comment') return token;
  }
  return undefined;
}
