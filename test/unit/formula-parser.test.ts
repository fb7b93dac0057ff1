import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr } from '../../server/src/engine/formula/ast';
import { FormulaSyntaxError } from '../../server/src/engine/formula/lexer';
import { parseFormula } from '../../server/src/engine/formula/parser';

/** A compact, fully parenthesised rendering, so precedence is visible in the expectation. */
function show(expr: Expr): string {
  switch (expr.kind) {
    case 'number':
      return expr.text;
    case 'string':
      return `'${expr.value}'`;
    case 'boolean':
      return String(expr.value);
    case 'null':
      return 'null';
    case 'placeholder':
      return `{${expr.name}}`;
    case 'ref':
      return expr.path.join('.');
    case 'agg': {
      const target = expr.target === '*' ? '*' : expr.target.join('.');
      const args = [...expr.args.map(show), ...expr.kwargs.map((k) => `${k.name}=${show(k.value)}`)];
      return `${target}:${expr.aggregation}${args.length ? `(${args.join(', ')})` : ''}`;
    }
    case 'call':
      return `${expr.name}(${[...expr.args.map(show), ...expr.kwargs.map((k) => `${k.name}=${show(k.value)}`)].join(', ')})`;
    case 'binary':
    case 'compare':
    case 'logical':
      return `(${show(expr.left)} ${expr.op} ${show(expr.right)})`;
    case 'unary':
      return `(${expr.op} ${show(expr.operand)})`;
    case 'in':
      return `(${show(expr.operand)} ${expr.negated ? 'not in' : 'in'} [${expr.items.map(show).join(', ')}])`;
    case 'like':
      return `(${show(expr.operand)} ${expr.negated ? 'not like' : 'like'} ${show(expr.pattern)})`;
    case 'isNull':
      return `(${show(expr.operand)} is ${expr.negated ? 'not ' : ''}null)`;
  }
}

describe('formula parser', () => {
  const cases: [string, string][] = [
    ['revenue:sum / *:count', '(revenue:sum / *:count)'],
    ['(revenue:sum - cost:sum) / *:count', '((revenue:sum - cost:sum) / *:count)'],
    ['value:sum ** 2 * 3', '((value:sum ** 2) * 3)'],
    ['-x:sum ** 2', '(- (x:sum ** 2))'],
    ['2 ** 3 ** 2', '(2 ** (3 ** 2))'],
    ['customers.regions.population:sum', 'customers.regions.population:sum'],
    ['price:weighted_avg(weight=quantity)', 'price:weighted_avg(weight=quantity)'],
    ["revenue:sum(window='30d')", "revenue:sum(window='30d')"],
    ['amount:last(ordered_at)', 'amount:last(ordered_at)'],
    ['cumsum(revenue:sum) / 2', '(cumsum(revenue:sum) / 2)'],
    ["time_shift(revenue:sum, -1, 'month')", "time_shift(revenue:sum, (- 1), 'month')"],
    ['ntile(aov, n=4, partition_by=region)', 'ntile(aov, n=4, partition_by=region)'],
    ["status == 'done' and amount > 10 or not flag", "(((status = 'done') and (amount > 10)) or (not flag))"],
    ["status IN ('a', 'b') AND region NOT IN ['x']", "((status in ['a', 'b']) and (region not in ['x']))"],
    ["name like '%shop%'", "(name like '%shop%')"],
    ['tip is not null', '(tip is not null)'],
    ['amount >= {min_amount}', '(amount >= {min_amount})'],
    ["label = 'it''s'", "(label = 'it's')"],
    ['change(revenue:sum) < 0', '(change(revenue:sum) < 0)'],
    ['x <> 1', '(x != 1)'],
  ];
  for (const [input, expected] of cases) {
    test(`parses ${input}`, () => assert.equal(show(parseFormula(input)), expected));
  }

  test('spans point into the formula text', () => {
    const expr = parseFormula('revenue:sum / *:count');
    assert.equal(expr.kind, 'binary');
    if (expr.kind !== 'binary' || expr.right.kind !== 'agg') throw new Error('unexpected shape');
    assert.deepEqual(expr.right.span, { start: 14, end: 21 });
    assert.deepEqual(expr.right.aggregationSpan, { start: 16, end: 21 });
  });

  const errors: [string, RegExp, number][] = [
    ['revenue:sum +', /Unexpected end of formula/, 13],
    ['revenue:', /Expected an aggregation name/, 8],
    ['(a + b', /Expected '\)'/, 6],
    ["status = 'open", /Unterminated string/, 9],
    ['a $ b', /Unexpected character '\$'/, 2],
    ['*', /must be followed by an aggregation/, 0],
    ['{bad name}', /Invalid variable placeholder/, 0],
    ['', /empty/, 0],
  ];
  for (const [input, message, at] of errors) {
    test(`rejects ${JSON.stringify(input)} at offset ${at}`, () => {
      assert.throws(
        () => parseFormula(input),
        (error: unknown) =>
          error instanceof FormulaSyntaxError && message.test(error.message) && error.span.start === at,
      );
    });
  }
});
