import {
  RenameFile,
  SymbolKind,
  TextDocumentEdit,
  TextEdit,
  type Connection,
  type DocumentSymbol,
  type Location,
  type Position,
  type Range,
  type ServerCapabilities,
  type SymbolInformation,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import { RpcErrorCode } from '../../../shared/src/errors';
import type { DeclarationKind } from '../engine/names/model';
import { planRename, renameTarget, type RenamePlan } from '../engine/names/rename';
import { outline, workspaceSymbols, type OutlineNode } from '../engine/names/symbols';
import type { NameTable } from '../engine/names/table';
import type { Span } from '../engine/schema/source';
import { toResponseError } from './response-error';

export const NAVIGATION_CAPABILITIES = {
  definitionProvider: true,
  referencesProvider: true,
  renameProvider: { prepareProvider: true },
  documentSymbolProvider: true,
  workspaceSymbolProvider: true,
} as const satisfies ServerCapabilities;

/** Workspace symbol answers are cut here; the editor asks again as the user types more. */
const WORKSPACE_SYMBOL_LIMIT = 500;

export interface NavigationHost {
  names: NameTable;
  fileOf(uri: string): string | undefined;
  uriOf(file: string): string;
  /** The editor's version of an open document, null when the file is not open. */
  versionOf(file: string): number | null;
  /** Resolves once every change received so far is in the name table. */
  settled(): Promise<void>;
  log(message: string): void;
}

const SYMBOL_KINDS: Record<DeclarationKind | 'query', SymbolKind> = {
  model: SymbolKind.Class,
  column: SymbolKind.Field,
  measure: SymbolKind.Function,
  join: SymbolKind.Interface,
  datasource: SymbolKind.Package,
  stage: SymbolKind.Event,
  variable: SymbolKind.Variable,
  query: SymbolKind.Object,
};

/**
 * Definition, references, rename and symbols: each one converts positions
 * to offsets, asks the name table, and converts its answer back. The table
 * answers from memory, so none of these reads a file or a database.
 */
export function registerNavigation(connection: Connection, host: NavigationHost): void {
  const navigation = new Navigation(host);
  connection.onDefinition(answer(host, (params) => navigation.definition(params.textDocument.uri, params.position)));
  connection.onReferences(
    answer(host, (params) =>
      navigation.references(params.textDocument.uri, params.position, params.context.includeDeclaration),
    ),
  );
  connection.onPrepareRename(
    answer(host, (params) => navigation.prepareRename(params.textDocument.uri, params.position)),
  );
  connection.onRenameRequest(
    answer(host, (params) => navigation.rename(params.textDocument.uri, params.position, params.newName)),
  );
  connection.onDocumentSymbol(answer(host, (params) => navigation.documentSymbols(params.textDocument.uri)));
  connection.onWorkspaceSymbol(answer(host, (params) => navigation.workspaceSymbols(params.query)));
}

/** Waits for pending edits, then answers; a refusal goes back as a typed error the editor shows. */
function answer<P, R>(host: NavigationHost, handler: (params: P) => R): (params: P) => Promise<R> {
  return async (params) => {
    await host.settled();
    try {
      return handler(params);
    } catch (error) {
      const response = toResponseError(error);
      // Refusals are answers the editor shows; anything else is a bug worth a line in the log.
      if (response.code === RpcErrorCode.SLAYER_INTERNAL) host.log(`SLayer: navigation failed: ${response.message}`);
      throw response;
    }
  };
}

class Navigation {
  constructor(private readonly host: NavigationHost) {}

  private get names(): NameTable {
    return this.host.names;
  }

  definition(uri: string, position: Position): Location[] {
    const at = this.offsetOf(uri, position);
    const declaration = at ? this.names.declarationAt(at.file, at.offset) : undefined;
    return declaration ? [this.location(declaration.file, declaration.span)] : [];
  }

  references(uri: string, position: Position, includeDeclaration: boolean): Location[] {
    const at = this.offsetOf(uri, position);
    const declaration = at ? this.names.declarationAt(at.file, at.offset) : undefined;
    if (!declaration) return [];
    const uses = this.names.usesOf(declaration).map((use) => this.location(use.file, use.span));
    return includeDeclaration ? [this.location(declaration.file, declaration.span), ...uses] : uses;
  }

  prepareRename(uri: string, position: Position): { range: Range; placeholder: string } | null {
    const at = this.offsetOf(uri, position);
    if (!at) return null;
    const target = renameTarget(this.names, at.file, at.offset);
    return { range: this.range(at.file, target.span), placeholder: target.declaration.name };
  }

  rename(uri: string, position: Position, newName: string): WorkspaceEdit | null {
    const at = this.offsetOf(uri, position);
    if (!at) return null;
    const plan = planRename(this.names, at.file, at.offset, newName);
    const edit = this.workspaceEdit(plan);
    this.host.log(
      `SLayer: rename to '${newName}': ${plan.changes.size} file(s) edited${plan.fileRename ? ', 1 renamed' : ''}.`,
    );
    return edit;
  }

  documentSymbols(uri: string): DocumentSymbol[] {
    const file = this.host.fileOf(uri);
    const names = file ? this.names.namesOf(file) : undefined;
    if (!file || !names) return [];
    return outline(names).map((node) => this.documentSymbol(file, node));
  }

  workspaceSymbols(query: string): SymbolInformation[] {
    return workspaceSymbols(this.names, query, WORKSPACE_SYMBOL_LIMIT).map(({ declaration }) => ({
      name: declaration.name,
      kind: SYMBOL_KINDS[declaration.kind],
      location: this.location(declaration.file, declaration.span),
      ...(declaration.parent ? { containerName: declaration.parent.name } : {}),
    }));
  }

  /** Versioned edits per file (the open buffer's version, null for a closed file), then the model file's rename. */
  private workspaceEdit(plan: RenamePlan): WorkspaceEdit {
    const files = [...plan.changes.keys()].sort();
    const documentChanges: (TextDocumentEdit | RenameFile)[] = files.map((file) =>
      TextDocumentEdit.create(
        { uri: this.host.uriOf(file), version: this.host.versionOf(file) },
        (plan.changes.get(file) ?? []).map((change) => TextEdit.replace(this.range(file, change.span), change.newText)),
      ),
    );
    if (plan.fileRename) {
      const { from, to } = plan.fileRename;
      documentChanges.push(RenameFile.create(this.host.uriOf(from), this.host.uriOf(to)));
    }
    return { documentChanges };
  }

  private documentSymbol(file: string, node: OutlineNode): DocumentSymbol {
    return {
      name: node.name,
      kind: SYMBOL_KINDS[node.kind],
      ...(node.detail ? { detail: node.detail } : {}),
      range: this.range(file, covering(node.extent, node.span)),
      selectionRange: this.range(file, node.span),
      children: node.children.map((child) => this.documentSymbol(file, child)),
    };
  }

  private offsetOf(uri: string, position: Position): { file: string; offset: number } | undefined {
    const file = this.host.fileOf(uri);
    const lines = file ? this.names.lineIndex(file) : undefined;
    return file && lines ? { file, offset: lines.offsetAt(position) } : undefined;
  }

  private location(file: string, span: Span): Location {
    return { uri: this.host.uriOf(file), range: this.range(file, span) };
  }

  private range(file: string, span: Span): Range {
    const lines = this.names.lineIndex(file);
    const start = lines?.positionAt(span.start) ?? { line: 0, character: 0 };
    const end = lines?.positionAt(span.end) ?? start;
    return { start, end };
  }
}

/** LSP requires the selection inside the range; a name key sits just before its entry's value span. */
function covering(extent: Span, span: Span): Span {
  return { start: Math.min(extent.start, span.start), end: Math.max(extent.end, span.end) };
}
