/**
 * A fast emitter of block YAML for the shapes the cache patch writes most:
 * lists of column mappings whose values are identifiers, booleans and
 * numbers. It returns exactly the text the `yaml` package would emit for the
 * same value and layout (a differential test pins that), or undefined for
 * anything it does not know how to emit the same way; the caller then asks
 * the `yaml` package. The patch verifies every result by parsing it, so this
 * module only has to be fast, never clever.
 */

export interface BlockLayout {
  /** Spaces per nesting level. */
  step: number;
  /** Block lists under a key indented (`key:\n  - a`) rather than flush (`key:\n- a`). */
  indentSeq: boolean;
}

/**
 * Strings the `yaml` package writes without quotes in any position: words of
 * letters, digits and `_`, joined by single spaces, dots, slashes or dashes,
 * and starting with a letter or `_` (so never a number, an indicator or a
 * comment).
 */
const PLAIN_WORDS = /^[A-Za-z_][A-Za-z0-9_]*(?:[ ./-][A-Za-z0-9_]+)*$/;
const CORE_SCHEMA_WORDS = /^(?:null|true|false)$/i;

type Emitted = string[] | undefined;

/** The value as the `yaml` package writes a document of it (no final newline), or undefined. */
export function emitBlockYaml(value: unknown, layout: BlockLayout): string | undefined {
  // Other steps have quirks of their own (a flush list under step 4 is indented by 2).
  if (layout.step !== 2) return undefined;
  if (isPlainMap(value) && Object.keys(value).length > 0) return joined(mapLines(value, 0, layout));
  if (Array.isArray(value) && value.length > 0) return joined(seqLines(value, 0, layout));
  return scalarText(value);
}

function joined(lines: Emitted): string | undefined {
  return lines?.join('\n');
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function scalarText(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'string' && PLAIN_WORDS.test(value) && !CORE_SCHEMA_WORDS.test(value)) return value;
  return undefined;
}

function numberText(value: number): string | undefined {
  if (!Number.isFinite(value) || Object.is(value, -0)) return undefined;
  const text = String(value);
  return text.includes('e') ? undefined : text;
}

/** An inline value after `key:` or `- `: a scalar, or an empty collection in flow style. */
function inlineText(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
  if (isPlainMap(value)) return Object.keys(value).length === 0 ? '{}' : undefined;
  return scalarText(value);
}

function mapLines(map: Record<string, unknown>, indent: number, layout: BlockLayout): Emitted {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (scalarText(key) !== key) return undefined;
    const inline = inlineText(value);
    if (inline !== undefined) {
      lines.push(`${pad}${key}: ${inline}`);
      continue;
    }
    const literal = typeof value === 'string' ? literalLines(value, indent + layout.step) : undefined;
    if (literal) {
      lines.push(`${pad}${key}: |-`, ...literal);
      continue;
    }
    const nested = nestedLines(value, indent, layout);
    if (!nested) return undefined;
    lines.push(`${pad}${key}:`, ...nested);
  }
  return lines;
}

/**
 * Printable text of several lines, none of them blank but for spaces, not
 * starting with a space or ending with a line break: the `yaml` package
 * writes it as a `|-` literal, its lines one step in from the key.
 */
function isPrintable(code: number): boolean {
  if (code < 0x20) return false;
  if (code === 0x7f || (code >= 0x80 && code <= 0x9f)) return false;
  return code !== 0xfeff && code !== 0x2028 && code !== 0x2029;
}

function isLiteralText(text: string): boolean {
  const first = text.charCodeAt(0);
  if (first === 0x20 || !isPrintable(first)) return false;
  for (let i = 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code !== 0x09 && code !== 0x0a && !isPrintable(code)) return false;
  }
  return true;
}

function literalLines(text: string, indent: number): string[] | undefined {
  if (!text.includes('\n') || text.endsWith('\n') || !isLiteralText(text)) return undefined;
  const lines = text.split('\n');
  if (lines.some((line) => line !== '' && line.trim() === '')) return undefined;
  const pad = ' '.repeat(indent);
  return lines.map((line) => (line === '' ? '' : pad + line));
}

/** A non-empty collection that is a mapping's value, on the lines after its key at `indent`. */
function nestedLines(value: unknown, indent: number, layout: BlockLayout): Emitted {
  if (Array.isArray(value)) return seqLines(value, indent + (layout.indentSeq ? layout.step : 0), layout);
  if (isPlainMap(value)) return mapLines(value, indent + layout.step, layout);
  return undefined;
}

function seqLines(items: readonly unknown[], indent: number, layout: BlockLayout): Emitted {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const item of items) {
    const inline = isPlainMap(item) || Array.isArray(item) ? undefined : scalarText(item);
    if (inline !== undefined) {
      lines.push(`${pad}- ${inline}`);
      continue;
    }
    // A mapping item starts on the dash's line; a list in a list, or an empty collection, is left to `yaml`.
    if (!isPlainMap(item) || Object.keys(item).length === 0) return undefined;
    const body = mapLines(item, indent + 2, layout);
    if (!body?.[0]) return undefined;
    lines.push(`${pad}- ${body[0].slice(indent + 2)}`, ...body.slice(1));
  }
  return lines;
}
