/**
 * textDocument/formatting and rangeFormatting: a thin adapter from the
 * engine's formatter (byte-range edits) to LSP text edits.
 */
import type { TextEdit } from 'vscode-languageserver';
import type { SlayerFileKind } from '../engine/document';
import { formatSlayerYaml } from '../engine/format/format';
import { LineIndex } from '../engine/schema/source';

const JSON_FILE = /\.json$/i;

/**
 * The kind to format a file as, or undefined to leave it alone: only SLayer
 * files (as the index classifies them), and never a `*.query.json`, which
 * the YAML formatter would turn into YAML.
 */
export function formattableKind(file: string, kind: SlayerFileKind | undefined): SlayerFileKind | undefined {
  return kind && !JSON_FILE.test(file) ? kind : undefined;
}

export interface FormattingRequest {
  file: string;
  /** The file's kind as the index classified it; undefined for a file the index does not know. */
  kind: SlayerFileKind | undefined;
  /** The editor's buffer, which the edits apply to. */
  text: string;
  /** `slayer.format.enable`. */
  enabled: boolean;
  log: (message: string) => void;
}

/**
 * The whole document's edits. Range formatting answers with these too: SLayer's
 * key order is a property of a whole mapping, and half of a reorder (a key
 * inserted above the range, not yet removed below it) would duplicate a key.
 */
export function formattingEdits(request: FormattingRequest): TextEdit[] {
  const kind = formattableKind(request.file, request.kind);
  if (!request.enabled || !kind) return [];
  const result = formatSlayerYaml(kind, request.text);
  if ('refused' in result) {
    request.log(`SLayer: not formatting ${request.file}: ${result.refused}`);
    return [];
  }
  const lines = new LineIndex(request.text);
  return result.edits.map((edit) => ({
    range: { start: lines.positionAt(edit.start), end: lines.positionAt(edit.end) },
    newText: edit.newText,
  }));
}
