import * as path from 'node:path';
import { ErrorCode, SlayerError } from '../../../../shared/src/errors';
import { KEYWORDS } from '../formula/parser';
import { columnNameProblem, identifierProblem, measureNameProblem, modelNameProblem } from '../schema/names';
import type { Span } from '../schema/source';
import type { Declaration, Reference } from './model';
import type { NameTable } from './table';

/** One replacement of characters in a file's text. */
export interface TextChange {
  span: Span;
  newText: string;
}

/** Everything a rename changes: characters in files, and the model file's own name. */
export interface RenamePlan {
  changes: Map<string, TextChange[]>;
  fileRename?: { from: string; to: string };
}

/** What the cursor may rename: the declaration, and the characters to select in the editor. */
export interface RenameTarget {
  declaration: Declaration;
  span: Span;
}

const RENAMEABLE = new Set(['model', 'column', 'measure']);

/**
 * The declaration a rename at `offset` would change, or a SlayerError that
 * says why there is none: not a name, a name this root does not declare, a
 * kind we do not rename, a virtual or engine-written column.
 */
export function renameTarget(table: NameTable, file: string, offset: number): RenameTarget {
  const occurrence = table.at(file, offset);
  if (!occurrence) throw refuse('There is nothing to rename here: put the cursor on a model, column or measure name.');
  const declaration = occurrence.kind === 'declaration' ? occurrence.declaration : table.resolve(occurrence.reference);
  const name = occurrence.kind === 'declaration' ? occurrence.declaration.name : occurrence.reference.name;
  if (!declaration) throw refuse(`'${name}' does not name a model, column or measure of this storage root.`);
  if (declaration.derived) {
    const stage = declaration.parent?.name ?? 'an earlier stage';
    throw refuse(
      `'${name}' is a column of stage '${stage}', named after what that stage selects; rename the column or model it comes from.`,
    );
  }
  if (!RENAMEABLE.has(declaration.kind)) {
    throw refuse(`Only models, columns and measures can be renamed; '${name}' is a ${declaration.kind}.`);
  }
  if (declaration.cached) {
    const model = declaration.parent?.name ?? 'this model';
    throw refuse(
      `'${name}' is a column of query-backed model '${model}', written by the engine from its source_queries; rename it there.`,
    );
  }
  const exact = occurrence.kind === 'declaration' ? occurrence.declaration.exact : occurrence.reference.exact;
  if (!exact || !declaration.exact)
    throw refuse(`'${name}' sits in a value whose characters cannot be edited exactly.`);
  return { declaration, span: occurrence.span };
}

/**
 * Renames a model, column or measure everywhere in its storage root, as
 * byte-range edits: the declaration, every use (formulas, filters, dimensions,
 * join pairs and paths, query files), the later stages' virtual columns named
 * after it, and a model's file when it is named after the model.
 */
export function planRename(table: NameTable, file: string, offset: number, newName: string): RenamePlan {
  const { declaration } = renameTarget(table, file, offset);
  checkNewName(table, declaration, newName);
  const uses = table.usesOf(declaration);
  const inexact = uses.find((use) => !use.exact);
  if (inexact)
    throw refuseName(
      `'${declaration.name}' is also used ${where(table, inexact)} inside a value whose characters cannot be edited exactly (a block scalar or an escaped string); write that value as a plain or quoted string first.`,
    );
  const plan: RenamePlan = { changes: new Map() };
  const edit = (target: string, change: TextChange): void => {
    plan.changes.set(target, [...(plan.changes.get(target) ?? []), change]);
  };
  edit(declaration.file, { span: declaration.span, newText: newName });
  for (const use of uses) edit(use.file, { span: use.span, newText: newName });
  for (const change of derivedChanges(table, declaration, newName)) edit(change.file, change);
  const keep = declaration.kind === 'column' ? keepTableColumn(table, declaration) : undefined;
  if (keep) edit(declaration.file, keep);
  const fileRename = declaration.kind === 'model' ? modelFileRename(table, declaration, newName) : undefined;
  if (fileRename) plan.fileRename = fileRename;
  for (const [target, changes] of plan.changes) plan.changes.set(target, ordered(changes));
  return plan;
}

function refuse(message: string): SlayerError {
  return new SlayerError(ErrorCode.Unsupported, message);
}

function refuseName(message: string): SlayerError {
  return new SlayerError(ErrorCode.InvalidInput, message);
}

/** SLayer's own name rules, plus what a name must be for formulas, dimensions and YAML to read it back as itself. */
function checkNewName(table: NameTable, declaration: Declaration, newName: string): void {
  const what = `${declaration.kind[0]?.toUpperCase() ?? ''}${declaration.kind.slice(1)} name`;
  const problem =
    (declaration.kind === 'model'
      ? modelNameProblem(newName)
      : declaration.kind === 'column'
        ? columnNameProblem(newName)
        : measureNameProblem(newName)) ?? identifierProblem(newName, what);
  if (problem) throw refuseName(problem);
  if (KEYWORDS.has(newName.toLowerCase())) {
    throw refuseName(`${what} '${newName}' is a keyword: formulas and YAML would read it as an operator or a literal.`);
  }
  if (newName === declaration.name) throw refuseName(`'${newName}' is already the ${declaration.kind}'s name.`);
  const clash = collision(table, declaration, newName);
  if (clash) throw refuseName(clash);
}

/** Columns and measures share one namespace per model; models one per storage root. */
function collision(table: NameTable, declaration: Declaration, newName: string): string | undefined {
  if (declaration.kind === 'model') {
    const existing = table.catalogOf(declaration.root).getModel(newName);
    return existing ? `A model named '${newName}' already exists in this storage root.` : undefined;
  }
  const sibling = table
    .namesOf(declaration.file)
    ?.declarations.find(
      (other) =>
        other.parent === declaration.parent &&
        other.name === newName &&
        (other.kind === 'column' || other.kind === 'measure'),
    );
  const owner = declaration.parent?.name ?? 'this model';
  return sibling ? `Model '${owner}' already has a ${sibling.kind} named '${newName}'.` : undefined;
}

/**
 * `customers__name` in a later stage is spelled from `customers.name` in an
 * earlier one: when a piece of the spelling is renamed, the later stages'
 * uses of the virtual column change the same characters.
 */
function derivedChanges(
  table: NameTable,
  declaration: Declaration,
  newName: string,
): (TextChange & { file: string })[] {
  const changes: (TextChange & { file: string })[] = [];
  for (const virtual of table.derivedDeclarations()) {
    const parts = virtual.derived?.parts.filter((part) => table.resolve(part.reference) === declaration) ?? [];
    if (parts.length === 0) continue;
    for (const use of table.usesOf(virtual)) {
      if (!use.exact) continue;
      for (const part of parts) {
        const start = use.span.start + part.offset;
        changes.push({ file: use.file, span: { start, end: start + declaration.name.length }, newText: newName });
      }
    }
  }
  return changes;
}

/**
 * A column without `sql` reads the table's column of its own name. Renamed,
 * it would read a column that does not exist, so it gets `sql: <old name>`
 * and keeps reading the same data.
 */
function keepTableColumn(table: NameTable, declaration: Declaration): TextChange | undefined {
  const names = table.namesOf(declaration.file);
  if (!names) return undefined;
  const { sources, text } = names.parsed;
  const entry = declaration.entry;
  const nameKey = sources.key([...entry, 'name']);
  const nameValue = sources.value([...entry, 'name']);
  if (sources.key([...entry, 'sql']) || !nameKey || !nameValue) return undefined;
  const written = text.slice(nameValue.start, nameValue.end);
  if (text[declaration.extent.start] === '{') {
    return { span: { start: nameValue.end, end: nameValue.end }, newText: `, sql: ${written}` };
  }
  const lineStart = text.lastIndexOf('\n', nameKey.start - 1) + 1;
  const newline = text.indexOf('\n', nameValue.end);
  const crlf = newline > 0 && text[newline - 1] === '\r';
  const lineEnd = newline < 0 ? text.length : crlf ? newline - 1 : newline;
  const indent = ' '.repeat(nameKey.start - lineStart);
  return { span: { start: lineEnd, end: lineEnd }, newText: `${crlf ? '\r\n' : '\n'}${indent}sql: ${written}` };
}

/** SLayer finds a model by its file name, so `models/shop/orders.yaml` follows `orders` when it is renamed. */
function modelFileRename(
  table: NameTable,
  declaration: Declaration,
  newName: string,
): { from: string; to: string } | undefined {
  if (declaration.local || declaration.entry.length > 0) return undefined;
  const extension = path.extname(declaration.file);
  if (path.basename(declaration.file, extension) !== declaration.name) return undefined;
  const to = path.join(path.dirname(declaration.file), `${newName}${extension}`);
  if (table.hasFile(to)) throw refuseName(`A file ${path.basename(to)} already exists next to this model.`);
  return { from: declaration.file, to };
}

/** Edits in file order, an insertion right after a replacement folded into it, overlaps refused. */
function ordered(changes: readonly TextChange[]): TextChange[] {
  const sorted = [...changes].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  const out: TextChange[] = [];
  for (const change of sorted) {
    const last = out[out.length - 1];
    if (last && last.span.start === change.span.start && last.span.end === change.span.end) continue;
    if (last && change.span.start === change.span.end && change.span.start === last.span.end) {
      out[out.length - 1] = { span: last.span, newText: last.newText + change.newText };
      continue;
    }
    if (last && change.span.start < last.span.end) {
      throw new SlayerError(ErrorCode.Internal, 'Two edits of this rename overlap; nothing was changed.');
    }
    out.push(change);
  }
  return out;
}

function where(table: NameTable, use: Reference): string {
  const position = table.lineIndex(use.file)?.positionAt(use.span.start);
  return `in ${path.basename(use.file)}${position ? ` line ${position.line + 1}` : ''}`;
}
