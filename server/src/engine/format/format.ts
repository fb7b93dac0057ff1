/**
 * Format-on-save for SLayer files: SLayer's key order, two-space block
 * style, comments kept with the keys they describe, scalars exactly as
 * written. The result is checked before it is returned: it must parse to the
 * same value and hold the same comments, or the file is refused and left as
 * written. Files with YAML errors or duplicate keys are never formatted.
 */
import { isDeepStrictEqual } from 'node:util';
import { Parser } from 'yaml';
import type { SlayerFileKind } from '../document';
import { ProblemSink } from '../schema/problems';
import { LineIndex, stripBom } from '../schema/source';
import { documentOf, MAX_ALIAS_RESOLUTIONS, parseYamlSource } from '../schema/yaml-source';
import { emitDocument } from './emit';
import { lineEdits, type TextSpanEdit } from './line-diff';
import { orderTree } from './order';
import { forEachToken, FormatRefusal, TreeReader, type DocumentTree } from './tree';

export type { TextSpanEdit } from './line-diff';

export type FormatResult = { edits: TextSpanEdit[] } | { refused: string };
export type FormattedText = { text: string } | { refused: string };

/** The edits that format `text` (none when it already is); offsets count the BOM when there is one. */
export function formatSlayerYaml(kind: SlayerFileKind, text: string): FormatResult {
  const result = formatSlayerText(kind, text);
  return 'refused' in result ? result : { edits: lineEdits(text, result.text) };
}

/** The formatted text, keeping the file's BOM and line breaks. */
export function formatSlayerText(kind: SlayerFileKind, text: string): FormattedText {
  const body = stripBom(text);
  const bom = text.slice(0, text.length - body.length);
  const before = readYaml(body);
  if ('refused' in before) return before;
  if (/\r(?!\n)/.test(body)) return { refused: 'the file breaks lines with a bare carriage return' };
  const tree = readTree(body);
  if ('refused' in tree) return tree;
  if (!tree.root) return { text }; // empty, comments only, or a flow root kept as written
  orderTree(tree.root, kind);
  const eol = lineBreakOf(body);
  const formatted = emitDocument(tree.header, tree.root).join(eol) + eol;
  const problem = differenceFrom(before, formatted);
  if (problem) return { refused: `formatting would ${problem}; the file is left as written (please report it)` };
  return { text: bom + formatted };
}

function readTree(body: string): DocumentTree | { refused: string } {
  try {
    return new TreeReader(body).read();
  } catch (error) {
    if (error instanceof FormatRefusal) return { refused: error.message };
    throw error;
  }
}

/** The line break of the file's first line, which every line gets (as the cache patch does). */
function lineBreakOf(body: string): string {
  const first = body.indexOf('\n');
  return first > 0 && body[first - 1] === '\r' ? '\r\n' : '\n';
}

interface ReadYaml {
  value: unknown;
  comments: string[];
}

/** The value and the comments of a YAML text, or why it cannot be formatted. */
function readYaml(body: string): ReadYaml | { refused: string } {
  const sink = new ProblemSink();
  const parsed = parseYamlSource(body, sink);
  const error = sink.problems.find((problem) => problem.severity === 'error');
  if (error) {
    const line = new LineIndex(body).positionAt(error.span.start).line + 1;
    return { refused: `line ${line}: ${error.message}` };
  }
  try {
    const value: unknown = parsed ? documentOf(parsed).toJS({ maxAliasCount: MAX_ALIAS_RESOLUTIONS }) : null;
    return { value, comments: commentsOf(body) };
  } catch (failure) {
    return { refused: failure instanceof Error ? failure.message : String(failure) };
  }
}

function commentsOf(body: string): string[] {
  const comments: string[] = [];
  for (const token of new Parser().parse(body)) {
    forEachToken(token, (t) => {
      if (t.type === 'comment') comments.push(t.source.trimEnd());
    });
  }
  return comments.sort();
}

/** What the formatted text would lose, if anything. */
function differenceFrom(before: ReadYaml, formatted: string): string | undefined {
  const after = readYaml(formatted);
  if ('refused' in after) return `not parse (${after.refused})`;
  if (!isDeepStrictEqual(after.value, before.value)) return 'change a value';
  if (!isDeepStrictEqual(after.comments, before.comments)) return 'lose or change a comment';
  return undefined;
}
