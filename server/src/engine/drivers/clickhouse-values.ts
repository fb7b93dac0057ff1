/**
 * ClickHouse's TabSeparated text as the driver contract's values (types.ts):
 * a reader per column type, and ClickHouse's literals for arrays, tuples and
 * maps as JSON text.
 */
import { integerToJs, normaliseTimestampText } from './normalise';

export type ValueReader = (raw: string) => unknown;

const TSV_ESCAPES: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  '0': '\0',
  "'": "'",
  '\\': '\\',
};

/** One TSV field's text: `\t` -> tab and so on; an unknown escape keeps its character, as ClickHouse reads it. */
export function unescapeTsv(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/gs, (_escape, char: string) => TSV_ESCAPES[char] ?? char);
}

/** A line's raw fields: escaped text never holds a tab, so every tab separates two fields. */
export function splitTsvLine(line: string): string[] {
  return line.split('\t');
}

/** `Nullable(T)` and `LowCardinality(T)` read as T: NULL is told apart by its `\N` before any reader runs. */
function innerType(type: string): string {
  const wrapped = /^(?:Nullable|LowCardinality)\((.*)\)$/s.exec(type.trim());
  return wrapped?.[1] === undefined ? type.trim() : innerType(wrapped[1]);
}

const FLOAT_WORDS: Record<string, number> = {
  nan: Number.NaN,
  '-nan': Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
};

function readFloat(text: string): number {
  return FLOAT_WORDS[text.toLowerCase()] ?? Number(text);
}

function readBigInteger(text: string): number | string {
  return integerToJs(BigInt(text));
}

/** The reader for a column of `type` (already unwrapped by innerType), given the field's unescaped text. */
function scalarReader(type: string): ValueReader | undefined {
  if (/^U?Int(?:8|16|32)$/.test(type)) return Number;
  if (/^U?Int(?:64|128|256)$/.test(type)) return readBigInteger;
  if (/^(?:Float(?:32|64)|BFloat16)$/.test(type)) return readFloat;
  // The contract reads DECIMAL as a number, as every other driver does.
  if (/^Decimal(?:32|64|128|256)?\(/.test(type)) return Number;
  if (type === 'Bool' || type === 'Boolean') return (text) => text === 'true' || text === '1';
  // A DateTime is shown in the server's (or the column's) time zone: it reads as a TIMESTAMP without one.
  if (/^DateTime(?:64)?(?:\(|$)/.test(type)) return normaliseTimestampText;
  if (type === 'Nothing') return () => null;
  return undefined;
}

/** Arrays, tuples and maps are written as ClickHouse literals; they reach the contract as JSON text. */
function isComposite(type: string): boolean {
  return /^(?:Array|Tuple|Map|Nested)\(/.test(type);
}

/**
 * How to read one column's fields. Composite values are read from the raw
 * field: strings inside them are quoted and escaped as literals already, and
 * TSV adds no second escaping. Everything else (String, FixedString, Date,
 * UUID, Enum, IPv4...) is its unescaped text.
 */
export function readerFor(type: string): ValueReader {
  const inner = innerType(type);
  if (isComposite(inner)) return (raw) => (raw === '\\N' ? null : literalToJson(raw));
  const scalar = scalarReader(inner);
  return (raw) => {
    if (raw === '\\N') return null;
    const text = unescapeTsv(raw);
    return scalar ? scalar(text) : text;
  };
}

/**
 * A ClickHouse literal as ClickHouse writes one in text formats (`[1,NULL]`,
 * `('a',[2.5,nan])`, `{'k':1}`) to JSON text: arrays and tuples become JSON
 * arrays, maps objects, quoted strings JSON strings, NULL null. Numbers keep
 * their digits as written (a UInt64 past 2^53 stays exact in the text); nan
 * and inf, which JSON cannot spell, become strings. Text that is not such a
 * literal comes back unchanged rather than failing the run.
 */
export function literalToJson(text: string): string {
  try {
    const reader = new LiteralReader(text);
    const json = reader.value();
    return reader.atEnd() ? json : text;
  } catch {
    return text;
  }
}

const BARE_TOKEN = /[^,\])}:\s]+/y;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const CLOSERS: Record<string, string> = { '[': ']', '(': ')', '{': '}' };

class LiteralReader {
  private at = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    this.skipSpace();
    return this.at === this.text.length;
  }

  value(): string {
    this.skipSpace();
    const char = this.text[this.at];
    if (char === '[' || char === '(') return this.list(char);
    if (char === '{') return this.map();
    if (char === "'") return JSON.stringify(this.quoted());
    return this.bare();
  }

  private list(open: string): string {
    const items = this.items(CLOSERS[open] ?? ']', () => this.value());
    return `[${items.join(',')}]`;
  }

  private map(): string {
    const entries = this.items('}', () => {
      const key = this.value();
      this.expect(':');
      // JSON keys are strings; a number or NULL key is written as its text.
      const name = key.startsWith('"') ? key : JSON.stringify(key);
      return `${name}:${this.value()}`;
    });
    return `{${entries.join(',')}}`;
  }

  /** The comma-separated items up to `close`, the opener already seen. */
  private items(close: string, item: () => string): string[] {
    this.at += 1;
    const items: string[] = [];
    this.skipSpace();
    if (this.text[this.at] === close) {
      this.at += 1;
      return items;
    }
    for (;;) {
      items.push(item());
      this.skipSpace();
      const next = this.text[this.at];
      this.at += 1;
      if (next === close) return items;
      if (next !== ',') throw new Error('malformed literal');
    }
  }

  private quoted(): string {
    let result = '';
    for (this.at += 1; this.at < this.text.length; this.at += 1) {
      const char = this.text[this.at];
      if (char === "'") {
        this.at += 1;
        return result;
      }
      if (char === '\\') {
        this.at += 1;
        const escaped = this.text[this.at] ?? '';
        result += TSV_ESCAPES[escaped] ?? escaped;
      } else {
        result += char;
      }
    }
    throw new Error('unterminated string');
  }

  private bare(): string {
    BARE_TOKEN.lastIndex = this.at;
    const token = BARE_TOKEN.exec(this.text)?.[0];
    if (token === undefined) throw new Error('malformed literal');
    this.at += token.length;
    if (token === 'NULL') return 'null';
    if (token === 'true' || token === 'false') return token;
    return JSON_NUMBER.test(token) ? token : JSON.stringify(token);
  }

  private expect(char: string): void {
    this.skipSpace();
    if (this.text[this.at] !== char) throw new Error('malformed literal');
    this.at += 1;
  }

  private skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at] ?? '')) this.at += 1;
  }
}
