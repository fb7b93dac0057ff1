import type { ModelCatalog } from '../catalog';
import { LineIndex, type Span } from '../schema/source';
import { CatalogsByRoot, LiveCatalog } from '../live-catalog';
import { addTo, removeFrom } from '../multimap';
import { extractNames, type FileNames, type NamedFile } from './extract';
import type { Declaration, Occurrence, Reference } from './model';
import { mayResolveTo, resolveReference, type ResolveContext } from './resolve';

/**
 * Every declaration and every use of a name in the workspace, kept per file.
 * A file's names are extracted when its parse changes (a re-check of a
 * dependent keeps its parse and costs nothing); uses are resolved on
 * request, from memory, so an edit to one model is seen by every file that
 * names it without touching those files.
 */
export class NameTable {
  private readonly files = new Map<string, FileNames>();
  private readonly owners = new Map<object, Declaration>();
  /** Uses by name and, for members reached through a model, the model they land on (usesKey). */
  private readonly uses = new Map<string, Set<Reference>>();
  private readonly catalogs = new CatalogsByRoot();
  private readonly derived = new Set<Declaration>();
  private readonly lineIndexes = new Map<string, LineIndex>();
  private declarationList: Declaration[] | undefined;
  private searchList: SearchableDeclarations | undefined;
  private readonly context: ResolveContext = {
    catalog: (root) => this.catalogOf(root),
    declarationOf: (owner) => this.owners.get(owner),
  };

  /**
   * `shared`: the workspace index's catalogs, which also know each root's
   * priority.yaml, so names resolve exactly as the engine resolves them.
   * Without it (tests) the table keeps catalogs of its own.
   */
  constructor(private readonly shared?: (root: string | undefined) => ModelCatalog) {}

  /** Brings one file up to date with its indexed state; `undefined` forgets it. */
  sync(file: string, state: NamedFile | undefined): void {
    const previous = this.files.get(file);
    if (previous && state && previous.parsed === state.parsed && previous.root === state.root) return;
    const names = state ? extractNames(state) : undefined;
    if (previous) this.forget(previous);
    if (names) this.remember(names);
    if (!this.shared) this.updateOwnCatalog(previous, names);
  }

  /** The table's own catalogs, kept only when it has no shared ones; an edited file keeps its model's place. */
  private updateOwnCatalog(previous: FileNames | undefined, next: FileNames | undefined): void {
    if (previous && next && previous.root === next.root) {
      this.catalogFor(next.root).replace(previous.parsed, next.parsed);
      return;
    }
    if (previous) this.catalogFor(previous.root).remove(previous.parsed);
    if (next) this.catalogFor(next.root).add(next.parsed);
  }

  /** Forgets every file `stillThere` says is gone. */
  forgetMissing(stillThere: (file: string) => boolean): void {
    for (const file of [...this.files.keys()]) if (!stillThere(file)) this.sync(file, undefined);
  }

  namesOf(file: string): FileNames | undefined {
    return this.files.get(file);
  }

  hasFile(file: string): boolean {
    return this.files.has(file);
  }

  /** Every declaration of the workspace, in file order; cached until the next change. */
  declarations(): readonly Declaration[] {
    this.declarationList ??= [...this.files.values()].flatMap((names) => names.declarations);
    return this.declarationList;
  }

  /**
   * The declarations workspace symbols search, grouped by name and sorted,
   * names lower-cased once; cached until the next change, so a search
   * scores each distinct name once (10,000 models share a few column names).
   */
  searchable(): SearchableDeclarations {
    this.searchList ??= searchableOf(this.declarations());
    return this.searchList;
  }

  /** The stages' virtual columns, whose names follow renames of what they were named after. */
  derivedDeclarations(): ReadonlySet<Declaration> {
    return this.derived;
  }

  catalogOf(root: string | undefined): ModelCatalog {
    return this.shared?.(root) ?? this.catalogs.existing(root) ?? EMPTY_CATALOG;
  }

  /** Line/character positions for a file's text, built once per parse. */
  lineIndex(file: string): LineIndex | undefined {
    const names = this.files.get(file);
    if (!names) return undefined;
    let lines = this.lineIndexes.get(file);
    if (!lines) {
      lines = new LineIndex(names.parsed.text);
      this.lineIndexes.set(file, lines);
    }
    return lines;
  }

  resolve(reference: Reference): Declaration | undefined {
    return resolveReference(reference, this.context);
  }

  /**
   * The name under the cursor. A use wins over a declaration sharing its
   * characters (a join's `target_model` is both); a use whose characters are
   * not known exactly (inside a block scalar) counts only when it is the
   * only name there.
   */
  at(file: string, offset: number): Occurrence | undefined {
    const names = this.files.get(file);
    if (!names) return undefined;
    const uses = names.references.filter((reference) => contains(reference.span, offset));
    const exact = smallest(uses.filter((reference) => reference.exact));
    const approximate = new Set(uses.map((reference) => reference.name)).size === 1 ? uses[0] : undefined;
    const reference = exact ?? approximate;
    if (reference) return { kind: 'reference', reference, span: reference.span };
    const declared = names.declarations.filter((entry) => !entry.derived && contains(entry.span, offset));
    const declaration = smallest(declared);
    return declaration ? { kind: 'declaration', declaration, span: declaration.span } : undefined;
  }

  /** The declaration the cursor's name means: itself on a declaration, the resolved one on a use. */
  declarationAt(file: string, offset: number): Declaration | undefined {
    const occurrence = this.at(file, offset);
    if (!occurrence) return undefined;
    return occurrence.kind === 'declaration' ? occurrence.declaration : this.resolve(occurrence.reference);
  }

  /** Every use of `declaration` in its storage root. Only uses spelling its name can mean it. */
  usesOf(declaration: Declaration): Reference[] {
    const keys = [usesKey(declaration.name, '')];
    if (declaration.parent) keys.push(usesKey(declaration.name, declaration.parent.name));
    const root = declaration.root ?? '';
    return keys.flatMap((key) =>
      [...(this.uses.get(key) ?? [])].filter(
        (reference) =>
          (reference.root ?? '') === root &&
          mayResolveTo(reference, declaration, this.context) &&
          this.resolve(reference) === declaration,
      ),
    );
  }

  private remember(names: FileNames): void {
    this.files.set(names.file, names);
    this.declarationList = undefined;
    this.searchList = undefined;
    for (const [owner, declaration] of names.owners) this.owners.set(owner, declaration);
    for (const reference of names.references)
      addTo(this.uses, usesKey(reference.name, landingModel(reference)), reference);
    for (const declaration of names.declarations) if (declaration.derived) this.derived.add(declaration);
  }

  private forget(names: FileNames): void {
    this.files.delete(names.file);
    this.lineIndexes.delete(names.file);
    this.declarationList = undefined;
    this.searchList = undefined;
    for (const owner of names.owners.keys()) this.owners.delete(owner);
    for (const reference of names.references) {
      removeFrom(this.uses, usesKey(reference.name, landingModel(reference)), reference);
    }
    for (const declaration of names.declarations) this.derived.delete(declaration);
  }

  private catalogFor(root: string | undefined): LiveCatalog {
    return this.catalogs.of(root);
  }
}

const EMPTY_CATALOG: ModelCatalog = new LiveCatalog();

/**
 * The name of the model a member use lands on, when it is reached through a
 * model (the last step of its join path, else its own model): a use of
 * `amount` in 10,000 models is then looked up among the few landing on the
 * column's model. Empty for every other use.
 */
function landingModel(reference: Reference): string {
  const target = reference.target;
  if (target.kind !== 'member' || target.scope.kind !== 'model') return '';
  return target.before[target.before.length - 1] ?? target.scope.model.name;
}

function usesKey(name: string, landing: string): string {
  return `${name}\u0000${landing}`;
}

/** Declarations sharing one name, with the name lower-cased once. */
export interface NameGroup {
  lower: string;
  declarations: readonly Declaration[];
}

/** The searchable declarations grouped by name, groups sorted by name, each group in file order. */
export type SearchableDeclarations = readonly NameGroup[];

const SEARCHED_KINDS: ReadonlySet<string> = new Set(['model', 'column', 'measure']);

function searchableOf(all: readonly Declaration[]): SearchableDeclarations {
  const byName = new Map<string, Declaration[]>();
  for (const declaration of all) {
    if (!SEARCHED_KINDS.has(declaration.kind) || declaration.local) continue;
    const group = byName.get(declaration.name);
    if (group) group.push(declaration);
    else byName.set(declaration.name, [declaration]);
  }
  return [...byName.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => ({ lower: name.toLowerCase(), declarations: byName.get(name) ?? [] }));
}

function contains(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}

function smallest<T extends { span: Span }>(entries: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const entry of entries) {
    if (!best || entry.span.end - entry.span.start < best.span.end - best.span.start) best = entry;
  }
  return best;
}
