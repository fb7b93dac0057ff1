import type { Span } from '../schema/source';
import type { ArithmeticOp, CompareOp, Expr, Kwarg } from './ast';
import { FormulaSyntaxError, tokenize, type Token } from './lexer';

const COMPARE_OPS: Readonly<Record<string, CompareOp>> = {
  '=': '=',
  '==': '=',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

/** The name a bracketed keyword value parses to: `[a, b]` is a call of `[]`. */
export const LIST_CALL = '[]';

/** Words a formula reads as operators or literals, whatever their case; never a column's name. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'and',
  'or',
  'not',
  'in',
  'like',
  'is',
  'null',
  'none',
  'true',
  'false',
]);

/**
 * Parses a measure formula or a filter into an Expr. Keywords are
 * case-insensitive because users write both `and` and SQL's `AND`.
 * Throws FormulaSyntaxError with the span of the offending token.
 */
export function parseFormula(text: string): Expr {
  const parser = new Parser(tokenize(text));
  if (parser.atEnd()) throw new FormulaSyntaxError('Formula is empty.', { start: 0, end: text.length });
  const expr = parser.expression();
  parser.expectEnd();
  return expr;
}

class Parser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  atEnd(): boolean {
    return this.peek().kind === 'eof';
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'eof') throw new FormulaSyntaxError(`Unexpected '${token.text}'.`, token.span);
  }

  expression(): Expr {
    return this.or();
  }

  private or(): Expr {
    let left = this.and();
    while (this.keyword('or')) {
      const right = this.and();
      left = { kind: 'logical', op: 'or', left, right, span: join(left.span, right.span) };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.keyword('and')) {
      const right = this.not();
      left = { kind: 'logical', op: 'and', left, right, span: join(left.span, right.span) };
    }
    return left;
  }

  private not(): Expr {
    const start = this.peek().span;
    if (this.keyword('not')) {
      const operand = this.not();
      return { kind: 'unary', op: 'not', operand, span: join(start, operand.span) };
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.concatenation();
    const token = this.peek();
    const compareOp = token.kind === 'op' ? COMPARE_OPS[token.text] : undefined;
    if (compareOp) {
      this.index++;
      const right = this.concatenation();
      const next = this.peek();
      if (next.kind === 'op' && COMPARE_OPS[next.text]) {
        // SLayer's DEV-1539 rule: `a < b < c` means (a < b) AND (b < c) in Python but ((a < b) < c) in SQL.
        throw new FormulaSyntaxError(
          'Chained comparisons (e.g. `a < b < c`) are not supported in DSL filters because SQL would compare ' +
            'the result of `a < b` with `c`. Rewrite using AND: `a < b AND b < c`.',
          join(left.span, next.span),
          true,
        );
      }
      return { kind: 'compare', op: compareOp, left, right, span: join(left.span, right.span) };
    }
    if (this.isKeyword(token, 'is')) return this.isNull(left);
    const negated = this.isKeyword(token, 'not') && this.isKeywordAt(1, ['in', 'like']);
    if (negated) this.index++;
    if (this.keyword('in')) return this.inList(left, negated);
    if (this.keyword('like')) {
      const pattern = this.concatenation();
      return { kind: 'like', negated, operand: left, pattern, span: join(left.span, pattern.span) };
    }
    return left;
  }

  private isNull(operand: Expr): Expr {
    this.index++;
    const negated = this.keyword('not');
    const token = this.peek();
    if (!this.keyword('null') && !this.keyword('none')) {
      throw new FormulaSyntaxError(`Expected NULL after IS${negated ? ' NOT' : ''}.`, token.span);
    }
    return { kind: 'isNull', negated, operand, span: join(operand.span, token.span) };
  }

  private inList(operand: Expr, negated: boolean): Expr {
    const open = this.peek();
    const close = open.kind === '(' ? ')' : open.kind === '[' ? ']' : undefined;
    if (!close) throw new FormulaSyntaxError("Expected '(' or '[' after IN.", open.span);
    this.index++;
    const items = this.commaList(close, () => this.concatenation());
    const end = this.expect(close, `Expected '${close}' to close the IN list.`);
    return { kind: 'in', negated, operand, items, span: join(operand.span, end.span) };
  }

  /** SQL's `a || b`, which SLayer rewrites to concat(a, b); it binds looser than + and -. */
  private concatenation(): Expr {
    let left = this.additive();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op' || token.text !== '||') return left;
      this.index++;
      const right = this.additive();
      const span = join(left.span, right.span);
      left = { kind: 'call', name: 'concat', nameSpan: token.span, args: [left, right], kwargs: [], span };
    }
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (;;) {
      const op = this.arithmeticOp(['+', '-']);
      if (!op) return left;
      const right = this.multiplicative();
      left = { kind: 'binary', op, left, right, span: join(left.span, right.span) };
    }
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      const op = this.arithmeticOp(['*', '/', '%']);
      if (!op) return left;
      const right = this.unary();
      left = { kind: 'binary', op, left, right, span: join(left.span, right.span) };
    }
  }

  private unary(): Expr {
    const token = this.peek();
    const op = this.arithmeticOp(['-', '+']);
    if (op === '-' || op === '+') {
      const operand = this.unary();
      return { kind: 'unary', op, operand, span: join(token.span, operand.span) };
    }
    return this.power();
  }

  /** `**` binds tighter than unary minus on its left and is right-associative, as in Python. */
  private power(): Expr {
    const base = this.primary();
    if (this.arithmeticOp(['**'])) {
      const exponent = this.unary();
      return { kind: 'binary', op: '**', left: base, right: exponent, span: join(base.span, exponent.span) };
    }
    return base;
  }

  private primary(): Expr {
    const token = this.peek();
    switch (token.kind) {
      case 'number':
        this.index++;
        return { kind: 'number', value: Number(token.text), text: token.text, span: token.span };
      case 'string':
        this.index++;
        return { kind: 'string', value: token.value, span: token.span };
      case 'placeholder':
        this.index++;
        return { kind: 'placeholder', name: token.value, span: token.span };
      case '(':
        return this.parenthesized();
      case 'op':
        if (token.text === '*') return this.starAggregate();
        break;
      case 'ident':
        return this.nameOrCall();
      default:
        break;
    }
    const what = token.kind === 'eof' ? 'end of formula' : `'${token.text}'`;
    throw new FormulaSyntaxError(`Unexpected ${what}; expected a value, a name or '('.`, token.span);
  }

  private parenthesized(): Expr {
    this.index++;
    const inner = this.expression();
    this.expect(')', "Expected ')'.");
    return inner;
  }

  private starAggregate(): Expr {
    const star = this.peek();
    this.index++;
    if (this.peek().kind !== ':') {
      throw new FormulaSyntaxError("'*' must be followed by an aggregation, as in *:count.", star.span);
    }
    return this.aggregate('*', star.span);
  }

  private nameOrCall(): Expr {
    const first = this.peek();
    const lower = first.text.toLowerCase();
    if (KEYWORDS.has(lower)) return this.keywordLiteral(first, lower);
    this.index++;
    const path = [first.text];
    let span = first.span;
    while (this.peek().kind === '.') {
      this.index++;
      // `customers.*:count` counts the rows of a joined model.
      const star = this.peek();
      if (star.kind === 'op' && star.text === '*' && this.tokens[this.index + 1]?.kind === ':') {
        this.index++;
        return this.aggregate([...path, '*'], join(span, star.span));
      }
      const part = this.expect('ident', "Expected a name after '.'.");
      path.push(part.text);
      span = join(span, part.span);
    }
    if (this.peek().kind === ':') return this.aggregate(path, span);
    if (this.peek().kind === '(') {
      if (path.length > 1) throw new FormulaSyntaxError('Only plain function names can be called.', span);
      return this.call(first);
    }
    return { kind: 'ref', path, span };
  }

  private keywordLiteral(token: Token, lower: string): Expr {
    this.index++;
    if (lower === 'true' || lower === 'false') return { kind: 'boolean', value: lower === 'true', span: token.span };
    if (lower === 'null' || lower === 'none') return { kind: 'null', span: token.span };
    throw new FormulaSyntaxError(`Unexpected keyword '${token.text}'.`, token.span);
  }

  private aggregate(target: string[] | '*', targetSpan: Span): Expr {
    this.index++;
    const name = this.expect('ident', "Expected an aggregation name after ':', as in revenue:sum.");
    let end = name.span;
    let args: Expr[] = [];
    let kwargs: Kwarg[] = [];
    if (this.peek().kind === '(') {
      ({ args, kwargs, end } = this.argumentList());
    }
    return {
      kind: 'agg',
      target,
      targetSpan,
      aggregation: name.text,
      aggregationSpan: name.span,
      args,
      kwargs,
      span: join(targetSpan, end),
    };
  }

  private call(name: Token): Expr {
    const { args, kwargs, end } = this.argumentList();
    return { kind: 'call', name: name.text, nameSpan: name.span, args, kwargs, span: join(name.span, end) };
  }

  private argumentList(): { args: Expr[]; kwargs: Kwarg[]; end: Span } {
    this.expect('(', "Expected '('.");
    const args: Expr[] = [];
    const kwargs: Kwarg[] = [];
    this.commaList(')', () => {
      const token = this.peek();
      const next = this.tokens[this.index + 1];
      if (token.kind === 'ident' && next?.kind === 'op' && next.text === '=') {
        this.index += 2;
        kwargs.push({ name: token.text, nameSpan: token.span, value: this.kwargValue() });
      } else {
        if (kwargs.length > 0)
          throw new FormulaSyntaxError('Positional argument after a keyword argument.', token.span);
        args.push(this.expression());
      }
      return undefined;
    });
    const end = this.expect(')', "Expected ')' to close the argument list.");
    return { args, kwargs, end: end.span };
  }

  /** A keyword value; `partition_by=[region, channel]` takes a list, written as a call of `[]`. */
  private kwargValue(): Expr {
    const open = this.peek();
    if (open.kind !== '[') return this.expression();
    this.index++;
    const items = this.commaList(']', () => this.expression());
    const end = this.expect(']', "Expected ']' to close the list.");
    return {
      kind: 'call',
      name: LIST_CALL,
      nameSpan: open.span,
      args: items,
      kwargs: [],
      span: join(open.span, end.span),
    };
  }

  private commaList<T>(close: string, item: () => T): T[] {
    const items: T[] = [];
    if (this.peek().kind === close) return items;
    for (;;) {
      items.push(item());
      if (this.peek().kind !== ',') return items;
      this.index++;
    }
  }

  private arithmeticOp(ops: readonly ArithmeticOp[]): ArithmeticOp | undefined {
    const token = this.peek();
    if (token.kind !== 'op') return undefined;
    const op = ops.find((candidate) => candidate === token.text);
    if (op) this.index++;
    return op;
  }

  private keyword(word: string): boolean {
    if (!this.isKeyword(this.peek(), word)) return false;
    this.index++;
    return true;
  }

  private isKeyword(token: Token, word: string): boolean {
    return token.kind === 'ident' && token.text.toLowerCase() === word;
  }

  private isKeywordAt(offset: number, words: readonly string[]): boolean {
    const token = this.tokens[this.index + offset];
    return token !== undefined && words.some((word) => this.isKeyword(token, word));
  }

  private expect(kind: string, message: string): Token {
    const token = this.peek();
    if (token.kind !== kind) throw new FormulaSyntaxError(message, token.span);
    this.index++;
    return token;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? this.tokens[this.tokens.length - 1] ?? eofToken();
  }
}

function eofToken(): Token {
  return { kind: 'eof', text: '', value: '', span: { start: 0, end: 0 } };
}

function join(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}
