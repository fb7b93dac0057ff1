import { Document, parseAllDocuments, Scalar, type Node as YamlNode } from 'yaml';
import { isAlias, isMap, isScalar, isSeq } from './yaml-kinds';
import { parseFastYaml } from './fast-yaml';
import { DiagnosticCode } from '../../../../shared/src/diagnostics';
import type { ProblemSink } from './problems';
import type { Span } from './source';

/** Scalar styles, read once (see yaml-kinds.ts). */
const { PLAIN, QUOTE_DOUBLE, QUOTE_SINGLE } = Scalar;

/** Files larger than this are not parsed: a model file this big is a mistake, and parsing it would stall the server. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** Alias dereferences per file; a billion-laughs file hits this instead of eating memory. */
export const MAX_ALIAS_RESOLUTIONS = 10_000;

export interface ParsedYaml {
  /** The document's root node; null for an empty document. */
  contents: YamlNode | null;
  /**
   * The `yaml` package's document, when it read the text: aliases resolve
   * against it. The fast reader's documents hold no aliases, so it builds
   * none (a Document costs as much as the rest of a small file's parse).
   */
  doc: Document.Parsed | undefined;
}

/**
 * Parses one YAML file, reporting syntax errors, duplicate keys and extra
 * documents with exact spans; undefined when the text cannot be used.
 */
export function parseYamlSource(text: string, sink: ProblemSink): ParsedYaml | undefined {
  if (text.length > MAX_FILE_BYTES) {
    sink.error(
      DiagnosticCode.FileTooLarge,
      { start: 0, end: 0 },
      `File is ${Math.round(text.length / 1024)} KiB; files over ${MAX_FILE_BYTES / 1024} KiB are not checked.`,
    );
    return undefined;
  }
  const fast = parseFastYaml(text);
  if (fast) return { contents: fast, doc: undefined };
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    for (const error of doc.errors) {
      if (error.code === 'DUPLICATE_KEY') {
        sink.error(DiagnosticCode.DuplicateKey, keySpanAt(text, error.pos[0]), firstLine(error.message));
      } else {
        sink.error(DiagnosticCode.YamlSyntax, spanOfPos(error.pos, text.length), firstLine(error.message));
      }
    }
    for (const warning of doc.warnings) {
      sink.warning(DiagnosticCode.YamlSyntax, spanOfPos(warning.pos, text.length), firstLine(warning.message));
    }
  }
  const [first, ...rest] = list;
  for (const extra of rest) {
    const start = extra.range[0];
    const marker = text.startsWith('---', start) ? 3 : Math.max(0, extra.range[1] - start);
    sink.error(
      DiagnosticCode.MultipleDocuments,
      { start, end: start + marker },
      'SLayer reads one YAML document per file; this second document is ignored.',
    );
  }
  if (!first || first.errors.length > 0) return undefined;
  return { contents: first.contents, doc: first };
}

/** The parsed text as a `yaml` Document, for what needs one (conversion to plain data). */
export function documentOf(parsed: ParsedYaml): Document.Parsed {
  if (parsed.doc) return parsed.doc;
  const doc = new Document();
  doc.contents = parsed.contents;
  return doc as unknown as Document.Parsed;
}

function spanOfPos(pos: [number, number], length: number): Span {
  const start = Math.min(pos[0], length);
  return { start, end: Math.min(Math.max(pos[1], start), length) };
}

/** The yaml package points a duplicate key at its first character; the whole key reads better. */
function keySpanAt(text: string, start: number): Span {
  const match = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:\n#]*[^:\s#])/.exec(text.slice(start, start + 1024));
  return { start, end: start + Math.max(1, match?.[0].length ?? 1) };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

export function spanOfNode(node: YamlNode | null | undefined): Span {
  const range = node?.range;
  if (!range) return { start: 0, end: 0 };
  return { start: range[0], end: range[1] };
}

export function describeNode(node: unknown): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value: unknown = node.value;
    if (value === null) return 'null';
    if (typeof value === 'string') return 'a string';
    if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
    if (typeof value === 'boolean') return 'a boolean';
    return typeof value;
  }
  if (isAlias(node)) return 'an alias';
  return 'an unsupported value';
}

/**
 * Where the characters of a string scalar's value start in the source, when
 * each character sits exactly there (character i at base + i); undefined
 * when escapes, folding or indentation make it inexact.
 */
export function valueOffsetBase(node: Scalar, text: string): number | undefined {
  const range = node.range;
  const value: unknown = node.value;
  if (!range || typeof value !== 'string') return undefined;
  const length = range[1] - range[0];
  if (node.type === PLAIN && length === value.length && text.startsWith(value, range[0])) return range[0];
  const quoted = node.type === QUOTE_SINGLE || node.type === QUOTE_DOUBLE;
  if (quoted && length === value.length + 2 && text.startsWith(value, range[0] + 1)) return range[0] + 1;
  return undefined;
}
