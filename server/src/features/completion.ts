import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type CompletionList,
  type Range,
} from 'vscode-languageserver';
import { LineIndex } from '../engine/schema/source';
import type { CompletionAnswer, CompletionEntry, CompletionKind } from '../language/completion';

const ITEM_KINDS: Readonly<Record<CompletionKind, CompletionItemKind>> = {
  model: CompletionItemKind.Class,
  datasource: CompletionItemKind.Module,
  column: CompletionItemKind.Field,
  measure: CompletionItemKind.Value,
  join: CompletionItemKind.Reference,
  aggregation: CompletionItemKind.Function,
  transform: CompletionItemKind.Function,
  function: CompletionItemKind.Function,
  variable: CompletionItemKind.Variable,
  value: CompletionItemKind.EnumMember,
  key: CompletionItemKind.Property,
  snippet: CompletionItemKind.Snippet,
};

/** The language service's answer as LSP items, each replacing exactly the partial word. */
export function toCompletionList(answer: CompletionAnswer | undefined, text: string): CompletionList {
  if (!answer) return { isIncomplete: false, items: [] };
  const lines = new LineIndex(text);
  const range = { start: lines.positionAt(answer.replace.start), end: lines.positionAt(answer.replace.end) };
  return { isIncomplete: false, items: answer.items.map((entry) => toItem(entry, range)) };
}

function toItem(entry: CompletionEntry, range: Range): CompletionItem {
  return {
    label: entry.label,
    kind: ITEM_KINDS[entry.kind],
    ...(entry.detail ? { detail: entry.detail } : {}),
    ...(entry.documentation ? { documentation: { kind: MarkupKind.Markdown, value: entry.documentation } } : {}),
    sortText: `${entry.rank}_${entry.label}`,
    filterText: entry.label,
    textEdit: { range, newText: entry.insertText },
    insertTextFormat: entry.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
  };
}
