/**
 * Trino's JSON pages read without losing digits: JSON.parse would round a
 * BIGINT past 2^53, so a page holding a long run of digits is read by a small
 * reader that keeps every number as its text (JsonNumber).
 */

/** A JSON number kept as its source text, so a BIGINT past 2^53 keeps every digit. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS: readonly [string, boolean | null][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];
const QUOTE = 34;
const BACKSLASH = 92;

/** JSON text to values; numbers become JsonNumber, objects have no prototype (a `__proto__` key stays a key). */
class LosslessJsonReader {
  private at = 0;

  constructor(private readonly text: string) {}

  read(): unknown {
    const value = this.value();
    this.skipSpace();
    if (this.at !== this.text.length) throw this.fail();
    return value;
  }

  private value(): unknown {
    this.skipSpace();
    const char = this.text[this.at];
    if (char === '{') return this.object();
    if (char === '[') return this.array();
    if (char === '"') return this.string();
    const number = this.number();
    if (number !== undefined) return new JsonNumber(number);
    for (const [word, value] of LITERALS) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    throw this.fail();
  }

  private object(): Record<string, unknown> {
    const object = Object.create(null) as Record<string, unknown>;
    this.at += 1;
    if (this.next('}')) return object;
    do {
      this.skipSpace();
      const key = this.string();
      this.expect(':');
      object[key] = this.value();
    } while (this.next(','));
    this.expect('}');
    return object;
  }

  private array(): unknown[] {
    const items: unknown[] = [];
    this.at += 1;
    if (this.next(']')) return items;
    do items.push(this.value());
    while (this.next(','));
    this.expect(']');
    return items;
  }

  /** Scans to the closing quote; only a string with escapes needs JSON.parse to decode it. */
  private string(): string {
    const { text } = this;
    if (text.charCodeAt(this.at) !== QUOTE) throw this.fail();
    let end = this.at + 1;
    let escaped = false;
    for (; end < text.length; end += 1) {
      const code = text.charCodeAt(end);
      if (code === QUOTE) break;
      if (code === BACKSLASH) {
        escaped = true;
        end += 1;
      }
    }
    if (end >= text.length) throw this.fail();
    const literal = text.slice(this.at, end + 1);
    this.at = end + 1;
    return escaped ? (JSON.parse(literal) as string) : literal.slice(1, -1);
  }

  private number(): string | undefined {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) return undefined;
    this.at = NUMBER.lastIndex;
    return match[0];
  }

  /** Skips whitespace, then consumes `char` if it is next. */
  private next(char: string): boolean {
    this.skipSpace();
    if (this.text[this.at] !== char) return false;
    this.at += 1;
    return true;
  }

  private expect(char: string): void {
    if (!this.next(char)) throw this.fail();
  }

  private skipSpace(): void {
    const { text } = this;
    while (this.at < text.length && ' \t\n\r'.includes(text.charAt(this.at))) this.at += 1;
  }

  private fail(): Error {
    return new Error(`Trino sent a page that is not valid JSON (at character ${this.at}).`);
  }
}

/**
 * Only a run of 16 digits can be an integer past 2^53; a page without one
 * (most pages) is read by JSON.parse, exactly and many times faster.
 */
const LONG_DIGITS = /\d{16}/;

export function readJson(text: string): unknown {
  return LONG_DIGITS.test(text) ? new LosslessJsonReader(text).read() : JSON.parse(text);
}

/** Values back to JSON text, numbers exactly as Trino wrote them. */
export function toJsonText(value: unknown): string {
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
