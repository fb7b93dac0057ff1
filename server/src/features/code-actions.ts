import {
  CodeActionKind,
  TextDocumentEdit,
  TextEdit,
  type CodeAction,
  type Diagnostic,
  type Range,
} from 'vscode-languageserver';
import { DiagnosticCode } from '../../../shared/src/diagnostics';
import type { AllowAggregation, NameSuggestion } from '../engine/schema/problems';
import { LineIndex, type Span } from '../engine/schema/source';

/** What a quick fix needs of the document and its storage root. */
export interface QuickFixInput {
  uri: string;
  /** The editor's version of the document, so a fix computed on old text is refused. */
  version: number | null;
  text: string;
  diagnostics: readonly Diagnostic[];
  /** Datasources of the document's storage root, for a model that names none. */
  dataSources: readonly string[];
  /** Where a model's column is declared, for a fix that allows an aggregation on it. */
  locateColumn(model: string, column: string): ColumnSite | undefined;
}

/** A column's entry in its model file, as the index last parsed it. */
export interface ColumnSite {
  uri: string;
  version: number | null;
  text: string;
  /** The value of the column's `allowed_aggregations`, when it has one. */
  list?: Span;
  /** The column's `name` key: a new `allowed_aggregations` goes on the line after it. */
  nameKey: Span;
}

/** Fixes that list alternatives show this many at most; the first few are the likeliest. */
const MAX_ALTERNATIVES = 6;

/**
 * Quick fixes for the diagnostics the editor sent back: a name the checker
 * suggested a replacement for (did-you-mean, an aggregation the column
 * allows, a legacy type, the model name its file implies), and a missing
 * data_source. Each is a byte-range edit of just the name, so nothing else
 * in the file moves.
 */
export function quickFixes(input: QuickFixInput): CodeAction[] {
  const lines = new LineIndex(input.text);
  return input.diagnostics.flatMap((diagnostic) => [
    ...replacementFixes(input, lines, diagnostic),
    ...allowFixes(input, diagnostic),
    ...dataSourceFixes(input, lines, diagnostic),
  ]);
}

/** "Allow 'sum' on orders.id": the column's allowed_aggregations gets the aggregation, after what it allows now. */
function allowFixes(input: QuickFixInput, diagnostic: Diagnostic): CodeAction[] {
  const allow = allowOf(diagnostic.data);
  const site = allow ? input.locateColumn(allow.model, allow.column) : undefined;
  if (!allow || !site) return [];
  const insertion = allowInsertion(site, allow);
  if (!insertion) return [];
  const lines = new LineIndex(site.text);
  const at = lines.positionAt(insertion.offset);
  return [
    {
      title: `Allow '${allow.aggregation}' on ${allow.model}.${allow.column} (allowed_aggregations)`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: {
        documentChanges: [
          TextDocumentEdit.create({ uri: site.uri, version: site.version }, [TextEdit.insert(at, insertion.text)]),
        ],
      },
    },
  ];
}

/** Where and what to insert: into the existing list (flow or block), or a new flow list under the name. */
function allowInsertion(site: ColumnSite, allow: AllowAggregation): { offset: number; text: string } | undefined {
  const eol = site.text.includes('\r\n') ? '\r\n' : '\n';
  if (site.list) {
    const listText = site.text.slice(site.list.start, site.list.end);
    if (listText.startsWith('[')) {
      const close = site.list.start + listText.lastIndexOf(']');
      const empty = listText.slice(1, -1).trim() === '';
      return { offset: close, text: empty ? allow.aggregation : `, ${allow.aggregation}` };
    }
    const itemIndent = indentOfLine(site.text, site.list.start);
    return { offset: site.list.end, text: `${eol}${' '.repeat(itemIndent)}- ${allow.aggregation}` };
  }
  const lineStart = site.text.lastIndexOf('\n', site.nameKey.start - 1) + 1;
  // A flow mapping (`- {name: id, type: INT}`) has no line to add a key on; no fix rather than a broken file.
  if (site.text.slice(lineStart, site.nameKey.start).includes('{')) return undefined;
  const lineEnd = site.text.indexOf('\n', site.nameKey.start);
  const end = lineEnd < 0 ? site.text.length : site.text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
  const indent = ' '.repeat(site.nameKey.start - lineStart);
  const list = [...allow.allowed, allow.aggregation].join(', ');
  return { offset: end, text: `${eol}${indent}allowed_aggregations: [${list}]` };
}

function indentOfLine(text: string, offset: number): number {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return text.slice(lineStart, offset).length - text.slice(lineStart, offset).trimStart().length;
}

function allowOf(data: unknown): AllowAggregation | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const allow = (data as { allow?: Partial<AllowAggregation> }).allow;
  if (!allow || typeof allow.model !== 'string' || typeof allow.column !== 'string') return undefined;
  if (typeof allow.aggregation !== 'string' || !Array.isArray(allow.allowed)) return undefined;
  return {
    model: allow.model,
    column: allow.column,
    aggregation: allow.aggregation,
    allowed: allow.allowed.filter((name): name is string => typeof name === 'string'),
  };
}

function replacementFixes(input: QuickFixInput, lines: LineIndex, diagnostic: Diagnostic): CodeAction[] {
  const suggestion = suggestionOf(diagnostic.data);
  if (!suggestion) return [];
  const start = lines.offsetAt(diagnostic.range.start);
  const end = lines.offsetAt(diagnostic.range.end);
  const at = lastWholeWord(input.text.slice(start, end), suggestion.wrong);
  if (at === undefined) return [];
  const range = {
    start: lines.positionAt(start + at),
    end: lines.positionAt(start + at + suggestion.wrong.length),
  };
  const alternatives = suggestion.replacements.slice(0, MAX_ALTERNATIVES);
  return alternatives.map((replacement) => ({
    title: `Change '${suggestion.wrong}' to '${replacement}'`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    isPreferred: alternatives.length === 1,
    edit: editOf(input, range, replacement),
  }));
}

function dataSourceFixes(input: QuickFixInput, lines: LineIndex, diagnostic: Diagnostic): CodeAction[] {
  if (diagnostic.code !== DiagnosticCode.MissingField || !diagnostic.message.includes("'data_source'")) return [];
  if (/^data_source\s*:/m.test(input.text)) return [];
  const line = diagnostic.range.end.line + 1;
  const at = { line, character: 0 };
  const eol = input.text.includes('\r\n') ? '\r\n' : '\n';
  const atEnd = lines.offsetAt(at) <= lines.offsetAt(diagnostic.range.end);
  return input.dataSources.slice(0, MAX_ALTERNATIVES).map((name) => ({
    title: `Set data_source: ${name}`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    isPreferred: input.dataSources.length === 1,
    edit: editOf(
      input,
      { start: atEnd ? diagnostic.range.end : at, end: atEnd ? diagnostic.range.end : at },
      atEnd ? `${eol}data_source: ${name}` : `data_source: ${name}${eol}`,
    ),
  }));
}

function editOf(input: QuickFixInput, range: Range, newText: string): CodeAction['edit'] {
  return {
    documentChanges: [
      TextDocumentEdit.create({ uri: input.uri, version: input.version }, [TextEdit.replace(range, newText)]),
    ],
  };
}

/** Where `word` last stands on its own in `text` (not inside a longer name). */
function lastWholeWord(text: string, word: string): number | undefined {
  let found: number | undefined;
  for (let index = text.indexOf(word); index >= 0; index = text.indexOf(word, index + 1)) {
    const before = text.charAt(index - 1);
    const after = text.charAt(index + word.length);
    if (!/[\w]/.test(before) && !/[\w]/.test(after)) found = index;
  }
  return found;
}

function suggestionOf(data: unknown): NameSuggestion | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { wrong, replacements } = data as Partial<NameSuggestion>;
  if (typeof wrong !== 'string' || !Array.isArray(replacements)) return undefined;
  const names = replacements.filter((name): name is string => typeof name === 'string');
  return names.length > 0 ? { wrong, replacements: names } : undefined;
}
