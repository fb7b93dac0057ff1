import type { Span } from '../schema/source';

export type TokenKind =
  'number' | 'string' | 'ident' | 'placeholder' | 'op' | '(' | ')' | '[' | ']' | ',' | '.' | ':' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  /** For strings: the unquoted value; for placeholders: the variable name. */
  value: string;
  span: Span;
}

export class FormulaSyntaxError extends Error {
  constructor(
    message: string,
    readonly span: Span,
    /** The message is SLayer's own sentence for this mistake, not a parse error to prefix with "Invalid ... syntax". */
    readonly standalone = false,
  ) {
    super(message);
    this.name = 'FormulaSyntaxError';
  }
}

const OPERATORS = ['**', '||', '==', '!=', '<>', '<=', '>=', '<', '>', '=', '+', '-', '*', '/', '%'];
const SINGLE = new Set(['(', ')', '[', ']', ',', '.', ':']);

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const token = readToken(text, i);
    tokens.push(token);
    i = token.span.end;
  }
  tokens.push({ kind: 'eof', text: '', value: '', span: { start: text.length, end: text.length } });
  return tokens;
}

function readToken(text: string, start: number): Token {
  const rest = text.slice(start);
  const number = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(rest);
  if (number) return make('number', number[0], number[0], start);
  const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
  if (ident) return make('ident', ident[0], ident[0], start);
  const ch = rest[0] ?? '';
  if (ch === "'" || ch === '"') return readString(text, start, ch);
  if (ch === '{') return readPlaceholder(text, start);
  if (SINGLE.has(ch)) return make(ch as TokenKind, ch, ch, start);
  const op = OPERATORS.find((candidate) => rest.startsWith(candidate));
  if (op) return make('op', op, op, start);
  throw new FormulaSyntaxError(`Unexpected character '${ch}'.`, { start, end: start + 1 });
}

function make(kind: TokenKind, text: string, value: string, start: number): Token {
  return { kind, text, value, span: { start, end: start + text.length } };
}

/** SQL-style quoting: a doubled quote inside the literal stands for one quote. */
function readString(text: string, start: number, quote: string): Token {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === quote) {
      if (text[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { kind: 'string', text: text.slice(start, i + 1), value, span: { start, end: i + 1 } };
    }
    if (ch === '\\' && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  throw new FormulaSyntaxError('Unterminated string literal.', { start, end: text.length });
}

function readPlaceholder(text: string, start: number): Token {
  const match = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(text.slice(start));
  if (match)
    return {
      kind: 'placeholder',
      text: match[0],
      value: match[1] ?? '',
      span: { start, end: start + match[0].length },
    };
  const close = text.indexOf('}', start);
  const end = close < 0 ? text.length : close + 1;
  throw new FormulaSyntaxError('Invalid variable placeholder: use {name} with letters, digits and underscores.', {
    start,
    end,
  });
}
