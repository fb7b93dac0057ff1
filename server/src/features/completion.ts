import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type ClientCapabilities,
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

/**
 * The language service's answer as LSP items, each replacing exactly the
 * partial word. A client that takes LSP 3.17's list defaults gets the range
 * and format once for the whole list rather than once per item: the answer
 * is a third of the size, and stdout (a pipe, written synchronously) is
 * where an answer spends most of its time.
 */
export function toCompletionList(
  answer: CompletionAnswer | undefined,
  text: string,
  listDefaults = false,
): CompletionList {
  if (!answer) return { isIncomplete: false, items: [] };
  const lines = new LineIndex(text);
  const range = { start: lines.positionAt(answer.replace.start), end: lines.positionAt(answer.replace.end) };
  if (!listDefaults) return { isIncomplete: false, items: answer.items.map((entry) => toItem(entry, range)) };
  return {
    isIncomplete: false,
    itemDefaults: { editRange: range, insertTextFormat: InsertTextFormat.PlainText },
    items: answer.items.map(toDefaultedItem),
  };
}

/** Whether the client fills a list's items from `itemDefaults` (VS Code does). */
export function takesListDefaults(capabilities: ClientCapabilities): boolean {
  const defaults = capabilities.textDocument?.completion?.completionList?.itemDefaults ?? [];
  return defaults.includes('editRange') && defaults.includes('insertTextFormat');
}

function describedItem(entry: CompletionEntry): CompletionItem {
  return {
    label: entry.label,
    kind: ITEM_KINDS[entry.kind],
    ...(entry.detail ? { detail: entry.detail } : {}),
    ...(entry.documentation ? { documentation: { kind: MarkupKind.Markdown, value: entry.documentation } } : {}),
    sortText: `${entry.rank}_${entry.label}`,
  };
}

function toItem(entry: CompletionEntry, range: Range): CompletionItem {
  return {
    ...describedItem(entry),
    filterText: entry.label,
    textEdit: { range, newText: entry.insertText },
    insertTextFormat: entry.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
  };
}

/** The item without what the list's defaults give it: the range, plain text, and the label as the text. */
function toDefaultedItem(entry: CompletionEntry): CompletionItem {
  return {
    ...describedItem(entry),
    ...(entry.insertText === entry.label ? {} : { textEditText: entry.insertText }),
    ...(entry.snippet ? { insertTextFormat: InsertTextFormat.Snippet } : {}),
  };
}
