/**
 * The part of TOML that a Snowflake connections.toml uses: `[tables]` (dotted
 * or quoted names kept as one name), `key = value` with basic, literal and
 * multi-line strings, integers, floats and booleans, and `#` comments. Arrays,
 * inline tables and dates are refused, naming the line.
 *
 * An error names the line and what was wrong, never the line's text: a
 * connections.toml holds passwords and tokens.
 */

export type TomlValue = string | number | boolean;
/** Table name (`''` for keys before the first header) to its keys and values. */
export type TomlTables = Map<string, Map<string, TomlValue>>;

export class TomlError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'TomlError';
  }
}

const BARE_KEY = /[A-Za-z0-9_-]/;
const ESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  '"': '"',
  '\\': '\\',
};
const INTEGER = /^[+-]?(?:0|[1-9](?:_?\d)*)$/;
const FLOAT = /^[+-]?(?:0|[1-9](?:_?\d)*)(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?$/;
const SPECIAL_FLOATS: Readonly<Record<string, number>> = {
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  nan: Number.NaN,
  '+nan': Number.NaN,
  '-nan': Number.NaN,
};

class Reader {
  private at = 0;
  private line = 1;
  /** Keys before the first header. */
  private table = new Map<string, TomlValue>();
  private readonly tables: TomlTables = new Map([['', this.table]]);

  constructor(private readonly text: string) {}

  read(): TomlTables {
    for (;;) {
      this.skipBlank();
      if (this.at >= this.text.length) return this.tables;
      if (this.peek() === '[') this.header();
      else this.keyValue();
      this.endOfLine();
    }
  }

  private fail(reason: string): TomlError {
    return new TomlError(this.line, reason);
  }

  private peek(offset = 0): string {
    return this.text[this.at + offset] ?? '';
  }

  /** Spaces, tabs, newlines and comments between statements. */
  private skipBlank(): void {
    while (this.at < this.text.length) {
      const char = this.peek();
      if (char === '\n') this.line += 1;
      if (char === '#') this.skipComment();
      else if (char === ' ' || char === '\t' || char === '\r' || char === '\n') this.at += 1;
      else return;
    }
  }

  private skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.at += 1;
  }

  private skipComment(): void {
    while (this.at < this.text.length && this.peek() !== '\n') this.at += 1;
  }

  /** After a statement: only spaces and a comment before the newline. */
  private endOfLine(): void {
    this.skipSpaces();
    if (this.peek() === '#') this.skipComment();
    if (this.peek() === '\r') this.at += 1;
    if (this.at < this.text.length && this.peek() !== '\n') throw this.fail('unexpected text after a value');
  }

  private header(): void {
    this.at += 1;
    if (this.peek() === '[') throw this.fail('arrays of tables ([[...]]) are not supported');
    this.skipSpaces();
    const name = this.dottedKey();
    this.skipSpaces();
    if (this.peek() !== ']') throw this.fail("a table header must end with ']'");
    this.at += 1;
    if (this.tables.has(name) && name !== '') throw this.fail(`table [${name}] is defined twice`);
    this.table = new Map();
    this.tables.set(name, this.table);
  }

  private keyValue(): void {
    const key = this.dottedKey();
    this.skipSpaces();
    if (this.peek() !== '=') throw this.fail("expected '=' after a key");
    this.at += 1;
    this.skipSpaces();
    if (this.table.has(key)) throw this.fail('a key is set twice in one table');
    this.table.set(key, this.value());
  }

  /** `a`, `"a b"`, `a.b`: the parts joined with dots. */
  private dottedKey(): string {
    const parts = [this.simpleKey()];
    for (;;) {
      this.skipSpaces();
      if (this.peek() !== '.') return parts.join('.');
      this.at += 1;
      this.skipSpaces();
      parts.push(this.simpleKey());
    }
  }

  private simpleKey(): string {
    const char = this.peek();
    if (char === '"') return this.basicString();
    if (char === "'") return this.literalString();
    const start = this.at;
    while (BARE_KEY.test(this.peek())) this.at += 1;
    if (this.at === start) throw this.fail('expected a key');
    return this.text.slice(start, this.at);
  }

  private value(): TomlValue {
    if (this.text.startsWith('"""', this.at)) return this.multiLineBasic();
    if (this.text.startsWith("'''", this.at)) return this.multiLineLiteral();
    const char = this.peek();
    if (char === '"') return this.basicString();
    if (char === "'") return this.literalString();
    if (char === '[' || char === '{') throw this.fail('arrays and inline tables are not supported');
    const start = this.at;
    while (this.at < this.text.length && !/[\s#]/.test(this.peek())) this.at += 1;
    return this.scalar(this.text.slice(start, this.at));
  }

  private scalar(word: string): TomlValue {
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (INTEGER.test(word) || FLOAT.test(word)) return Number(word.replace(/_/g, ''));
    const special = SPECIAL_FLOATS[word];
    if (special !== undefined) return special;
    throw this.fail(word === '' ? 'a key has no value' : 'a value that is not a string, number or boolean');
  }

  private basicString(): string {
    this.at += 1;
    let out = '';
    for (;;) {
      const char = this.peek();
      if (char === '' || char === '\n') throw this.fail('a string is not closed on its line');
      this.at += 1;
      if (char === '"') return out;
      out += char === '\\' ? this.escape() : char;
    }
  }

  private literalString(): string {
    this.at += 1;
    const end = this.text.indexOf("'", this.at);
    const newline = this.text.indexOf('\n', this.at);
    if (end < 0 || (newline >= 0 && newline < end)) throw this.fail('a string is not closed on its line');
    const out = this.text.slice(this.at, end);
    this.at = end + 1;
    return out;
  }

  /** `"""…"""`: escapes, a newline right after the opening quotes dropped, `\` at a line's end joining lines. */
  private multiLineBasic(): string {
    this.at += 3;
    this.dropFirstNewline();
    let out = '';
    for (;;) {
      if (this.at >= this.text.length) throw this.fail('a """ string is never closed');
      if (this.text.startsWith('"""', this.at) && this.peek(3) !== '"') {
        this.at += 3;
        return out;
      }
      const char = this.peek();
      this.at += 1;
      if (char === '\n') this.line += 1;
      if (char !== '\\') {
        out += char;
      } else if (/^[ \t]*\r?\n/.test(this.text.slice(this.at, this.at + 64))) {
        this.skipLineContinuation();
      } else {
        out += this.escape();
      }
    }
  }

  private multiLineLiteral(): string {
    this.at += 3;
    this.dropFirstNewline();
    const end = this.text.indexOf("'''", this.at);
    if (end < 0) throw this.fail("a ''' string is never closed");
    const out = this.text.slice(this.at, end);
    this.line += out.split('\n').length - 1;
    this.at = end + 3;
    return out;
  }

  private dropFirstNewline(): void {
    if (this.peek() === '\r' && this.peek(1) === '\n') this.at += 1;
    if (this.peek() === '\n') {
      this.at += 1;
      this.line += 1;
    }
  }

  /** A `\` ending a line: the newline and the blank space after it are dropped. */
  private skipLineContinuation(): void {
    while (/[ \t\r\n]/.test(this.peek())) {
      if (this.peek() === '\n') this.line += 1;
      this.at += 1;
    }
  }

  private escape(): string {
    const char = this.peek();
    this.at += 1;
    const simple = ESCAPES[char];
    if (simple !== undefined) return simple;
    const length = char === 'u' ? 4 : char === 'U' ? 8 : 0;
    const hex = this.text.slice(this.at, this.at + length);
    if (length === 0 || !/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== length)
      throw this.fail('a bad escape in a string');
    this.at += length;
    const code = Number.parseInt(hex, 16);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw this.fail('a bad escape in a string');
    return String.fromCodePoint(code);
  }
}

/** Reads `text` as the TOML subset above; a TomlError names the line that is not. */
export function readToml(text: string): TomlTables {
  return new Reader(text.replace(/^\uFEFF/, '')).read();
}
