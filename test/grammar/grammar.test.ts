import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

/**
 * Tokenizes small SLayer YAML snippets with the real TextMate machinery VS Code uses: vscode-textmate +
 * vscode-oniguruma, our two grammars from syntaxes/, and a real YAML grammar (tm-grammars' yaml.json) standing
 * in for VS Code's built-in `source.yaml`.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const BASE_SCOPE = 'source.slayer-yaml';
const INJECTION_SCOPE = 'slayer.formula.injection';
const YAML_SCOPE = 'source.yaml';
const GRAMMAR_FILES: Record<string, string> = {
  [BASE_SCOPE]: path.join(ROOT, 'syntaxes', 'slayer-yaml.tmLanguage.json'),
  [INJECTION_SCOPE]: path.join(ROOT, 'syntaxes', 'slayer-formula.injection.tmLanguage.json'),
};
const YAML_GRAMMAR_FILE = path.join(ROOT, 'node_modules', 'tm-grammars', 'grammars', 'yaml.json');
const ONIG_WASM = path.join(ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm');

/** The scopeName the YAML grammar file declares (it is served under `source.yaml` whatever it says). */
const yamlDeclaredScope = (JSON.parse(readFileSync(YAML_GRAMMAR_FILE, 'utf8')) as { scopeName?: string }).scopeName;

function loadRawGrammar(scopeName: string): vsctm.IRawGrammar | null {
  if (scopeName === YAML_SCOPE) {
    const raw = JSON.parse(readFileSync(YAML_GRAMMAR_FILE, 'utf8')) as { scopeName?: string };
    // Our base grammar includes `source.yaml`; serve the YAML grammar under that name if it declares another.
    if (raw.scopeName !== YAML_SCOPE) raw.scopeName = YAML_SCOPE;
    return vsctm.parseRawGrammar(JSON.stringify(raw), YAML_GRAMMAR_FILE);
  }
  const file = GRAMMAR_FILES[scopeName];
  return file ? vsctm.parseRawGrammar(readFileSync(file, 'utf8'), file) : null;
}

async function loadGrammar(withInjection: boolean): Promise<vsctm.IGrammar> {
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: (scopeName: string) => Promise.resolve(loadRawGrammar(scopeName)),
    getInjections: (scopeName: string) => (withInjection && scopeName === BASE_SCOPE ? [INJECTION_SCOPE] : undefined),
  });
  const grammar = await registry.loadGrammar(BASE_SCOPE);
  assert.ok(grammar, `grammar ${BASE_SCOPE} did not load`);
  return grammar;
}

const grammars = (async () => {
  await oniguruma.loadWASM(readFileSync(ONIG_WASM));
  return { slayer: await loadGrammar(true), yamlOnly: await loadGrammar(false) };
})();

/** One token: its text and its full scope stack (outermost first). */
type Token = [text: string, scopes: string[]];

interface Line {
  text: string;
  tokens: Token[];
}

async function tokenize(source: string, which: 'slayer' | 'yamlOnly' = 'slayer'): Promise<Line[]> {
  const grammar = (await grammars)[which];
  let state = vsctm.INITIAL;
  return source.split('\n').map((text) => {
    const result = grammar.tokenizeLine(text, state);
    state = result.ruleStack;
    const tokens = result.tokens
      .map((t): Token => [text.slice(t.startIndex, t.endIndex), t.scopes])
      .filter(([tokenText]) => tokenText.length > 0);
    return { text, tokens };
  });
}

/** The tokens of the first line whose text contains `needle`. */
function lineWith(lines: Line[], needle: string): Line {
  const line = lines.find((l) => l.text.includes(needle));
  assert.ok(line, `no line contains ${JSON.stringify(needle)}`);
  return line;
}

/** Scopes of the token covering the first character of `needle` in this line (after `from`). */
function scopesAt(line: Line, needle: string, from = 0): string[] {
  const column = line.text.indexOf(needle, from);
  assert.ok(column >= 0, `${JSON.stringify(needle)} not in ${JSON.stringify(line.text)}`);
  let start = 0;
  for (const [text, scopes] of line.tokens) {
    if (column < start + text.length) return scopes;
    start += text.length;
  }
  assert.fail(`no token covers column ${column} of ${JSON.stringify(line.text)}`);
}

const isFormulaScope = (scope: string) => scope.endsWith('.slayer') && !scope.startsWith('meta.');

/**
 * The line as [text, formula scopes] pairs; neighbouring tokens with the same formula scopes are merged, so the
 * view does not depend on how the YAML grammar happens to split plain text.
 */
function formulaView(line: Line): Array<[string, string[]]> {
  const view: Array<[string, string[]]> = [];
  for (const [text, scopes] of line.tokens) {
    const formula = scopes.filter(isFormulaScope);
    const last = view[view.length - 1];
    if (last && last[1].join(' ') === formula.join(' ')) last[0] += text;
    else view.push([text, formula]);
  }
  return view;
}

/** Asserts `outer` is on the scope stack outside (before) `inner`. */
function assertOuter(scopes: string[], outer: string, inner: string): void {
  const o = scopes.indexOf(outer);
  const i = scopes.indexOf(inner);
  assert.ok(o >= 0, `${outer} missing from [${scopes.join(', ')}]`);
  assert.ok(i >= 0, `${inner} missing from [${scopes.join(', ')}]`);
  assert.ok(o < i, `${outer} should be outside ${inner} in [${scopes.join(', ')}]`);
}

function assertNoFormulaScopes(scopes: string[], what: string): void {
  assert.deepEqual(
    scopes.filter((s) => s.endsWith('.slayer')),
    [],
    `${what} must not carry formula scopes: [${scopes.join(', ')}]`,
  );
}

const AGG = 'keyword.operator.aggregation.slayer';
const AGG_FN = 'support.function.aggregation.slayer';
const MEASURE = 'variable.other.measure.slayer';
const PATH = 'variable.other.path.slayer';
const DOT = 'punctuation.accessor.dot.slayer';
const STAR = 'variable.language.star.slayer';
const KWARG = 'variable.parameter.keyword.slayer';
const TRANSFORM = 'support.function.transform.slayer';
const SCALAR = 'support.function.scalar.slayer';
const PLACEHOLDER = 'variable.parameter.placeholder.slayer';

const MODEL = [
  'name: orders',
  'sql_table: orders',
  'measures:',
  '  - name: aov',
  '    formula: revenue:sum / *:count',
  '  - name: customer_score',
  '    formula: "customers.score:avg"',
  '  - formula: price:weighted_avg(weight=quantity)',
  "  - formula: 'revenue:sum(window=''30d'')'",
  '  - {name: p90, formula: "amount:percentile(p=0.9)"}',
  '',
].join('\n');

const QUERY = [
  'source_model: orders',
  'dimensions: [status, customers.region]',
  'measures:',
  '  - "*:count"',
  '  - cumsum(revenue:sum)',
  '  - rank(revenue:sum, partition_by=customers.region)',
  'filters:',
  `  - "status = '{status}' AND amount > {min_amount}"`,
  "  - customers.regions.name = 'US' and amount > 1.5",
  '  - ROUND(amount, 2) > {{literal}} and round + rank > 0',
  'variables:',
  '  status: completed',
  '',
].join('\n');

test('the YAML grammar is served as source.yaml and still highlights the document', async () => {
  assert.ok(yamlDeclaredScope, `${YAML_GRAMMAR_FILE} declares no scopeName`);
  const lines = await tokenize(MODEL);
  const first = lineWith(lines, 'name: orders');
  assert.ok(scopesAt(first, 'name').includes('entity.name.tag.yaml'));
  assert.ok(scopesAt(first, ':').includes('punctuation.separator.key-value.mapping.yaml'));
  assert.ok(scopesAt(first, 'orders').includes('string.unquoted.plain.out.yaml'));
  assert.equal(scopesAt(first, 'name')[0], BASE_SCOPE);
  const item = lineWith(lines, '- name: aov');
  assert.ok(scopesAt(item, '-').includes('punctuation.definition.block.sequence.item.yaml'));
});

test('plain-scalar formula in a measures list: aggregation refs and *:count', async () => {
  const line = lineWith(await tokenize(MODEL), 'formula: revenue:sum / *:count');
  assert.deepEqual(formulaView(line), [
    ['    formula: ', []],
    ['revenue', [MEASURE]],
    [':', [AGG]],
    ['sum', [AGG_FN]],
    [' / ', []],
    ['*', [STAR]],
    [':', [AGG]],
    ['count', [AGG_FN]],
  ]);
  // The key keeps its YAML key scope and gets nothing from the injection.
  const key = scopesAt(line, 'formula');
  assert.ok(key.includes('entity.name.tag.yaml'), key.join(' '));
  assertNoFormulaScopes(key, 'the key `formula`');
  // Formula tokens sit inside the YAML plain-string scope, including the very first one.
  assertOuter(scopesAt(line, 'revenue'), 'string.unquoted.plain.out.yaml', MEASURE);
  assertOuter(scopesAt(line, 'count'), 'string.unquoted.plain.out.yaml', AGG_FN);
});

test('double-quoted formula with a joined measure keeps the YAML string scope outside', async () => {
  const line = lineWith(await tokenize(MODEL), '"customers.score:avg"');
  assert.deepEqual(formulaView(line), [
    ['    formula: "', []],
    ['customers', [MEASURE]],
    ['.', [DOT]],
    ['score', [MEASURE]],
    [':', [AGG]],
    ['avg', [AGG_FN]],
    ['"', []],
  ]);
  assertOuter(scopesAt(line, 'customers'), 'string.quoted.double.yaml', MEASURE);
  assertOuter(scopesAt(line, '.'), 'string.quoted.double.yaml', DOT);
  assert.ok(scopesAt(line, '"').includes('punctuation.definition.string.begin.yaml'));
});

test('aggregation arguments: weight=, window= inside single quotes, p= inside a flow mapping', async () => {
  const lines = await tokenize(MODEL);

  const weighted = lineWith(lines, 'weighted_avg');
  assert.deepEqual(formulaView(weighted), [
    ['  - formula: ', []],
    ['price', [MEASURE]],
    [':', [AGG]],
    ['weighted_avg', [AGG_FN]],
    ['(', []],
    ['weight', [KWARG]],
    ['=', ['keyword.operator.assignment.slayer']],
    ['quantity)', []],
  ]);

  const windowed = lineWith(lines, 'window=');
  assert.deepEqual(formulaView(windowed), [
    ["  - formula: '", []],
    ['revenue', [MEASURE]],
    [':', [AGG]],
    ['sum', [AGG_FN]],
    ['(', []],
    ['window', [KWARG]],
    ['=', ['keyword.operator.assignment.slayer']],
    ["''30d'')'", []],
  ]);
  assertOuter(scopesAt(windowed, 'window'), 'string.quoted.single.yaml', KWARG);
  // The YAML '' escape is still recognised inside the formula.
  assert.ok(scopesAt(windowed, "''30d").includes('constant.character.escape.single-quoted.yaml'));

  const flow = lineWith(lines, 'percentile');
  assert.deepEqual(
    formulaView(flow).filter(([, scopes]) => scopes.length > 0),
    [
      ['amount', [MEASURE]],
      [':', [AGG]],
      ['percentile', [AGG_FN]],
      ['p', [KWARG]],
      ['=', ['keyword.operator.assignment.slayer']],
    ],
  );
  assert.ok(scopesAt(flow, '{').includes('punctuation.definition.mapping.begin.yaml'));
  for (const key of ['name', 'formula']) {
    const scopes = scopesAt(flow, key);
    assert.ok(scopes.includes('entity.name.tag.yaml'), `${key}: ${scopes.join(' ')}`);
    assertNoFormulaScopes(scopes, `the flow-mapping key ${key}`);
  }
  assertOuter(scopesAt(flow, 'percentile'), 'string.quoted.double.yaml', AGG_FN);
});

test('query measures: transform calls, partition_by= and a dotted join path', async () => {
  const lines = await tokenize(QUERY);

  assert.deepEqual(formulaView(lineWith(lines, '"*:count"')), [
    ['  - "', []],
    ['*', [STAR]],
    [':', [AGG]],
    ['count', [AGG_FN]],
    ['"', []],
  ]);

  const cumsum = lineWith(lines, 'cumsum(');
  assert.deepEqual(formulaView(cumsum), [
    ['  - ', []],
    ['cumsum', [TRANSFORM]],
    ['(', []],
    ['revenue', [MEASURE]],
    [':', [AGG]],
    ['sum', [AGG_FN]],
    [')', []],
  ]);
  assertOuter(scopesAt(cumsum, 'cumsum'), 'string.unquoted.plain.out.yaml', TRANSFORM);

  assert.deepEqual(formulaView(lineWith(lines, 'partition_by=')), [
    ['  - ', []],
    ['rank', [TRANSFORM]],
    ['(', []],
    ['revenue', [MEASURE]],
    [':', [AGG]],
    ['sum', [AGG_FN]],
    [', ', []],
    ['partition_by', [KWARG]],
    ['=', ['keyword.operator.assignment.slayer']],
    ['customers', [PATH]],
    ['.', [DOT]],
    ['region', [PATH]],
    [')', []],
  ]);
});

test('filters: {variable} placeholders, join paths, scalar functions; {{ }} and bare names are not matched', async () => {
  const lines = await tokenize(QUERY);

  const placeholders = lineWith(lines, '{status}');
  assert.deepEqual(formulaView(placeholders), [
    [`  - "status = '`, []],
    ['{', [PLACEHOLDER, 'punctuation.definition.placeholder.begin.slayer']],
    ['status', [PLACEHOLDER]],
    ['}', [PLACEHOLDER, 'punctuation.definition.placeholder.end.slayer']],
    [`' AND amount > `, []],
    ['{', [PLACEHOLDER, 'punctuation.definition.placeholder.begin.slayer']],
    ['min_amount', [PLACEHOLDER]],
    ['}', [PLACEHOLDER, 'punctuation.definition.placeholder.end.slayer']],
    ['"', []],
  ]);
  assertOuter(scopesAt(placeholders, 'min_amount'), 'string.quoted.double.yaml', PLACEHOLDER);

  const paths = lineWith(lines, 'customers.regions.name');
  assert.deepEqual(formulaView(paths), [
    ['  - ', []],
    ['customers', [PATH]],
    ['.', [DOT]],
    ['regions', [PATH]],
    ['.', [DOT]],
    ['name', [PATH]],
    [" = 'US' and amount > 1.5", []],
  ]);
  assertOuter(scopesAt(paths, 'regions'), 'string.unquoted.plain.out.yaml', PATH);

  const scalar = lineWith(lines, 'ROUND(');
  assert.deepEqual(formulaView(scalar), [
    ['  - ', []],
    ['ROUND', [SCALAR]],
    ['(amount, 2) > ', []],
    ['{{', ['constant.character.escape.placeholder.slayer']],
    ['literal', []],
    ['}}', ['constant.character.escape.placeholder.slayer']],
    [' and round + rank > 0', []],
  ]);
  for (const escape of ['{{', '}}']) assert.ok(!scopesAt(scalar, escape).includes(PLACEHOLDER), escape);

  // The variables mapping is plain YAML.
  const variables = lineWith(lines, 'status: completed');
  assert.ok(scopesAt(variables, 'status').includes('entity.name.tag.yaml'));
  assertNoFormulaScopes(scopesAt(variables, 'completed'), 'a plain value');
});

test('comments and plain keys get no formula scopes', async () => {
  const source = [
    '# revenue:sum over *:count, cumsum(x) and {var} for customers.region',
    'name: orders',
    'customers.name: joined',
    '"customers.region:first": EU',
    'formula: revenue:sum  # trailing revenue:sum comment',
    '',
  ].join('\n');
  const lines = await tokenize(source);

  const comment = lineWith(lines, '# revenue:sum');
  for (const [text, scopes] of comment.tokens) {
    assert.ok(scopes.includes('comment.line.number-sign.yaml'), `${JSON.stringify(text)}: ${scopes.join(' ')}`);
    assertNoFormulaScopes(scopes, `comment text ${JSON.stringify(text)}`);
  }

  const name = lineWith(lines, 'name: orders');
  assert.ok(scopesAt(name, 'name').includes('entity.name.tag.yaml'));
  for (const [text, scopes] of name.tokens) assertNoFormulaScopes(scopes, `${JSON.stringify(text)} in name: orders`);

  const dottedKey = lineWith(lines, 'customers.name: joined');
  assert.ok(scopesAt(dottedKey, 'customers').includes('entity.name.tag.yaml'));
  for (const [text, scopes] of dottedKey.tokens)
    assertNoFormulaScopes(scopes, `${JSON.stringify(text)} of a dotted key`);

  const quotedKey = lineWith(lines, '"customers.region:first": EU');
  assert.ok(scopesAt(quotedKey, 'customers').includes('string.quoted.double.yaml'));
  for (const [text, scopes] of quotedKey.tokens)
    assertNoFormulaScopes(scopes, `${JSON.stringify(text)} of a quoted key`);

  const trailing = lineWith(lines, '# trailing');
  assert.deepEqual(
    formulaView(trailing).filter(([, scopes]) => scopes.length > 0),
    [
      ['revenue', [MEASURE]],
      [':', [AGG]],
      ['sum', [AGG_FN]],
    ],
  );
  const inComment = scopesAt(trailing, 'revenue', trailing.text.indexOf('#'));
  assert.ok(inComment.includes('comment.line.number-sign.yaml'));
  assertNoFormulaScopes(inComment, 'revenue:sum inside a trailing comment');
});

test('block scalars are highlighted too; prose values stay plain', async () => {
  const lines = await tokenize(['formula: >-', '  cumsum(revenue:sum)', 'label: Revenue (net)', ''].join('\n'));
  const folded = lineWith(lines, 'cumsum');
  assert.deepEqual(
    formulaView(folded).filter(([, scopes]) => scopes.length > 0),
    [
      ['cumsum', [TRANSFORM]],
      ['revenue', [MEASURE]],
      [':', [AGG]],
      ['sum', [AGG_FN]],
    ],
  );
  assertOuter(scopesAt(folded, 'cumsum'), 'string.unquoted.block.yaml', TRANSFORM);
  for (const [text, scopes] of lineWith(lines, 'label:').tokens) assertNoFormulaScopes(scopes, JSON.stringify(text));
});

test('the injection only adds scopes: every character keeps the scopes plain YAML gives it', async () => {
  for (const source of [MODEL, QUERY]) {
    const withFormulas = await tokenize(source);
    const yamlOnly = await tokenize(source, 'yamlOnly');
    let formulaChars = 0;
    withFormulas.forEach((line, index) => {
      const plain = yamlOnly[index];
      assert.ok(plain);
      const perChar = (l: Line) => l.tokens.flatMap(([text, scopes]) => [...text].map(() => scopes));
      const a = perChar(line);
      const b = perChar(plain);
      assert.equal(a.length, b.length);
      a.forEach((scopes, column) => {
        if (scopes.some(isFormulaScope)) formulaChars++;
        assert.deepEqual(
          scopes.filter((s) => !s.endsWith('.slayer')),
          b[column],
          `line ${index + 1} column ${column}: ${JSON.stringify(line.text)}`,
        );
      });
    });
    assert.ok(formulaChars > 20, `expected formula highlighting, saw ${formulaChars} characters`);
  }
});
