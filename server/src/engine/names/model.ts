import type { Span } from '../schema/source';
import type { ModelDef, QueryDef } from '../schema/types';

/**
 * The vocabulary of the name table: what a name declares, where a name is
 * used, and how a use is looked up. Everything is plain data over decoded
 * objects and offsets; the LSP adapters turn it into protocol shapes.
 */

export type DeclarationKind = 'model' | 'column' | 'measure' | 'join' | 'datasource' | 'stage' | 'variable';

export interface Location {
  file: string;
  span: Span;
}

/** A place that gives a name its meaning: `name: orders`, a column entry, a `query_variables` key. */
export interface Declaration {
  kind: DeclarationKind;
  name: string;
  file: string;
  root: string | undefined;
  /** The name's characters (or, when not exact, the whole value holding it). */
  span: Span;
  /** The whole entry (a column's mapping, a model's document), for outlines. */
  extent: Span;
  /** True when `span` is exactly the name's characters, so a rename can rewrite them. */
  exact: boolean;
  /** Where the entry sits in its file's decoded tree (`['columns', 2]`), to find its other keys. */
  entry: readonly (string | number)[];
  /** The model that owns a column, measure, join or variable; the stage that yields a virtual column. */
  parent?: Declaration;
  /** A short description for symbols: a column's type, a measure's formula, a join's pairs. */
  detail?: string;
  /** Models written inline in a query, and a query extension's columns, are not visible to other files. */
  local?: boolean;
  /** The engine writes these (the columns of a query-backed model); renaming them by hand is pointless. */
  cached?: boolean;
  /** Set on a stage's virtual columns (`customers__name`): named after references, written nowhere. */
  derived?: DerivedName;
}

/** How a virtual column's name is spelled from the references it was made of. */
export interface DerivedName {
  /** Each piece of the name copied from a reference: its offset in the name and that reference. */
  parts: { offset: number; reference: Reference }[];
}

/** Where a stage reads its unqualified names from. */
export type Scope = { kind: 'model'; model: ModelDef } | { kind: 'stage'; stage: QueryDef; list: StageList };

/** The stages of one query file or one `source_queries`, which may read each other by name. */
export interface StageList {
  stages: readonly QueryDef[];
  /** The query-backed model holding these stages, when they are `source_queries`. */
  host?: ModelDef;
  /** Each named stage's declaration. */
  declarations: Map<QueryDef, Declaration>;
  /** Each stage's result columns by name, as a later stage reads them. */
  virtualColumns: Map<QueryDef, Map<string, Declaration>>;
  /** Each stage's `variables` keys. */
  variables: Map<QueryDef, Map<string, Declaration>>;
  /** The host model's `query_variables` keys. */
  hostVariables: Map<string, Declaration>;
}

/**
 * How a use of a name is resolved. Resolution happens on request, against
 * the table as it is then, so a change to another file is seen at once.
 */
export type Target =
  /** `target_model`, `source_name`: a model of the storage root, preferring `dataSource`'s. */
  | { kind: 'model'; dataSource?: string }
  | { kind: 'datasource' }
  /** A stage's `source_model`: another stage of the same list, else a model. */
  | { kind: 'source'; stage: QueryDef; list: StageList }
  /** A join path segment: the model reached by walking `before` and then this name. */
  | { kind: 'segment'; scope: Scope; before: readonly string[] }
  /**
   * A column or measure reached through the join path `before`. `columns`
   * mode (dimensions, join pairs, SQL snippets, aggregated targets) only
   * accepts columns; `formula` mode also accepts saved measures.
   */
  | { kind: 'member'; scope: Scope; before: readonly string[]; mode: 'columns' | 'formula' }
  /** A `{variable}` placeholder. */
  | { kind: 'variable'; stage: QueryDef; list: StageList };

/** One use of a name in a file. */
export interface Reference {
  name: string;
  file: string;
  root: string | undefined;
  /** The name's characters (or, when not exact, the whole value holding it). */
  span: Span;
  exact: boolean;
  target: Target;
}

/** What the cursor is on: a use of a name, or the declaration itself. */
export type Occurrence =
  | { kind: 'reference'; reference: Reference; span: Span }
  | { kind: 'declaration'; declaration: Declaration; span: Span };
