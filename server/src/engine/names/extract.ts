import type { ParsedDocument } from '../document';
import type { Path } from '../schema/decode';
import type { Span } from '../schema/source';
import type { ColumnDef, ColumnRefDef, JoinDef, MeasureDef, ModelDef, QueryDef } from '../schema/types';
import { formulaNames, sqlNames, type DottedName } from './formula-names';
import type { Declaration, DeclarationKind, Reference, Scope, StageList, Target } from './model';

/** What the table needs of an indexed file; the workspace index's FileState is one. */
export interface NamedFile {
  path: string;
  root: string | undefined;
  parsed: ParsedDocument;
}

/** The names one file declares and uses, extracted once per parse. */
export interface FileNames {
  file: string;
  root: string | undefined;
  parsed: ParsedDocument;
  declarations: Declaration[];
  references: Reference[];
  /** Decoded objects (a ModelDef, a ColumnDef, a stage's QueryDef) to their declarations, for resolution. */
  owners: Map<object, Declaration>;
}

interface DeclareOptions {
  parent?: Declaration | undefined;
  detail?: string | undefined;
  local?: boolean;
  cached?: boolean;
}

/**
 * Walks one decoded file and records every declaration and every use of a
 * name with its exact characters. Nothing is resolved here: a use names
 * where it would be looked up, and the table resolves it on request.
 */
export function extractNames(named: NamedFile): FileNames {
  const extractor = new Extractor(named);
  const { model, datasource, queries } = named.parsed;
  if (model) extractor.model(model, [], false);
  if (datasource?.name)
    extractor.owners.set(datasource, extractor.declare('datasource', datasource.name, ['name'], [], {}));
  if (queries) {
    const isList = named.parsed.queryIsList;
    extractor.stages(queries, (i) => (isList ? [i] : []), undefined);
  }
  return {
    file: named.path,
    root: named.root,
    parsed: named.parsed,
    declarations: extractor.declarations,
    references: extractor.references,
    owners: extractor.owners,
  };
}

class Extractor {
  readonly declarations: Declaration[] = [];
  readonly references: Reference[] = [];
  readonly owners = new Map<object, Declaration>();

  constructor(private readonly named: NamedFile) {}

  private get sources(): ParsedDocument['sources'] {
    return this.named.parsed.sources;
  }

  model(model: ModelDef, path: Path, local: boolean, parent?: Declaration): void {
    const declaration = model.name
      ? this.declare('model', model.name, [...path, 'name'], path, { local, parent, detail: sourceOf(model) })
      : undefined;
    if (declaration) this.owners.set(model, declaration);
    const members = { parent: declaration, local };
    // A query-backed model's columns are the engine's cache of what its stages yield.
    this.members(model, path, { ...members, cachedColumns: Boolean(model.source_queries) });
    const scope: Scope = { kind: 'model', model };
    this.joins(model.joins, [...path, 'joins'], scope, { ...members, dataSource: model.data_source });
    const variables = this.variables(model.query_variables, [...path, 'query_variables'], declaration);
    if (model.data_source) this.refer(model.data_source, [...path, 'data_source'], 0, { kind: 'datasource' });
    this.modelFormulas(model, path, scope);
    if (model.source_queries)
      this.stages(model.source_queries, (i) => [...path, 'source_queries', i], model, variables, declaration);
  }

  /** Measures are formulas; model filters, column filters and column SQL are SQL snippets over the model's columns. */
  private modelFormulas(model: ModelDef, path: Path, scope: Scope): void {
    model.measures.forEach((measure, i) => this.formula(measure.formula, [...path, 'measures', i, 'formula'], scope));
    model.filters.forEach((filter, i) => this.sql(filter, [...path, 'filters', i], scope));
    model.columns.forEach((column, i) => {
      const at = [...path, 'columns', i];
      if (column.filter !== undefined) this.sql(column.filter, [...at, 'filter'], scope);
      // A column's SQL naming the column itself reads the table's column of that name, not the model's.
      if (column.sql !== undefined) this.sql(column.sql, [...at, 'sql'], scope, column.name);
    });
    const time = model.default_time_dimension;
    if (time)
      this.refer(time, [...path, 'default_time_dimension'], 0, { kind: 'member', scope, before: [], mode: 'columns' });
  }

  /** The columns and measures declared under `path`: a model's, or a query extension's additions. */
  private members(
    entries: { columns?: readonly ColumnDef[] | undefined; measures?: readonly MeasureDef[] | undefined },
    path: Path,
    options: DeclareOptions & { cachedColumns?: boolean },
  ): void {
    const { cachedColumns, ...shared } = options;
    entries.columns?.forEach((column, i) => {
      const columnOptions = { ...shared, cached: cachedColumns ?? false, detail: column.type };
      this.member('column', column, column.name, [...path, 'columns', i], columnOptions);
    });
    entries.measures?.forEach((measure, i) => {
      this.member('measure', measure, measure.name, [...path, 'measures', i], { ...shared, detail: measure.formula });
    });
  }

  private member(
    kind: DeclarationKind,
    owner: object,
    name: string | undefined,
    at: Path,
    options: DeclareOptions,
  ): void {
    if (name) this.own(owner, this.declare(kind, name, [...at, 'name'], at, options));
  }

  private joins(
    joins: readonly JoinDef[],
    path: Path,
    scope: Scope,
    options: DeclareOptions & { dataSource?: string },
  ): void {
    joins.forEach((join, i) => {
      const at = [...path, i];
      if (!join.target_model) return;
      const pairs = join.join_pairs.map(([source, target]) => `${source} = ${target}`).join(', ');
      this.own(
        join,
        this.declare('join', join.target_model, [...at, 'target_model'], at, { ...options, detail: pairs }),
      );
      const target: Target = options.dataSource ? { kind: 'model', dataSource: options.dataSource } : { kind: 'model' };
      this.refer(join.target_model, [...at, 'target_model'], 0, target);
      join.join_pairs.forEach(([source, targetColumn], pi) => {
        const pairPath = [...at, 'join_pairs', pi];
        this.refer(source, [...pairPath, 0], 0, { kind: 'member', scope, before: [], mode: 'columns' });
        const before = [join.target_model];
        this.refer(targetColumn, [...pairPath, 1], 0, { kind: 'member', scope, before, mode: 'columns' });
      });
    });
  }

  private variables(
    values: Readonly<Record<string, unknown>> | undefined,
    path: Path,
    parent: Declaration | undefined,
  ): Map<string, Declaration> {
    const declared = new Map<string, Declaration>();
    for (const name of Object.keys(values ?? {})) {
      const span = this.sources.key([...path, name]);
      if (!span) continue;
      const entry = [...path, name];
      const declaration = this.add({ kind: 'variable', name, span, extent: span, exact: true, entry, parent });
      declared.set(name, declaration);
    }
    return declared;
  }

  stages(
    stages: readonly QueryDef[],
    pathOf: (i: number) => Path,
    host: ModelDef | undefined,
    hostVariables: Map<string, Declaration> = new Map(),
    hostDeclaration?: Declaration,
  ): void {
    const list: StageList = {
      stages,
      declarations: new Map(),
      virtualColumns: new Map(),
      variables: new Map(),
      hostVariables,
      ...(host ? { host } : {}),
    };
    stages.forEach((stage, i) => {
      const at = pathOf(i);
      const declaration = stage.name
        ? this.declare('stage', stage.name, [...at, 'name'], at, { parent: hostDeclaration, detail: sourceName(stage) })
        : undefined;
      if (declaration) {
        list.declarations.set(stage, declaration);
        this.owners.set(stage, declaration);
      }
      list.variables.set(stage, this.variables(stage.variables, [...at, 'variables'], declaration));
    });
    stages.forEach((stage, i) => this.stage(stage, pathOf(i), list));
  }

  private stage(stage: QueryDef, path: Path, list: StageList): void {
    const scope: Scope = { kind: 'stage', stage, list };
    this.stageSource(stage, path, list, scope);
    const virtual = new VirtualColumns(this, list.declarations.get(stage), sourceName(stage));
    stage.measures?.forEach((measure, i) => {
      const at = [...path, 'measures', i];
      const names = this.formula(measure.formula, [...at, 'formula'], scope, stage, list);
      virtual.measure(measure.name, measure.formula, names, at);
    });
    stage.dimensions?.forEach((ref, i) => {
      const at = [...path, 'dimensions', i];
      virtual.dimension(this.columnRef(ref, at, scope), at);
    });
    stage.time_dimensions?.forEach((td, i) => {
      const at = [...path, 'time_dimensions', i, 'dimension'];
      virtual.dimension(this.columnRef(td.dimension, at, scope), at);
    });
    const main = stage.main_time_dimension;
    if (main) this.dotted(dottedOf(main, true), [...path, 'main_time_dimension'], scope);
    stage.filters?.forEach((filter, i) => this.formula(filter, [...path, 'filters', i], scope, stage, list));
    stage.order?.forEach((item, i) => {
      const at = [...path, 'order', i];
      // The `{revenue: desc}` shorthand holds the name as a mapping key, which has no string to point into.
      if (this.sources.key([...at, item.column])) return;
      const column = [...at, 'column'];
      this.formula(item.column, this.sources.value(column) ? column : at, scope, stage, list);
    });
    list.virtualColumns.set(stage, virtual.columns);
  }

  private stageSource(stage: QueryDef, path: Path, list: StageList, scope: Scope): void {
    const source = stage.source_model;
    const at = [...path, 'source_model'];
    if (source.kind === 'name') {
      if (source.name) this.refer(source.name, at, 0, { kind: 'source', stage, list });
    } else if (source.kind === 'extension') {
      const extension = source.extension;
      if (extension.source_name) this.refer(extension.source_name, [...at, 'source_name'], 0, { kind: 'model' });
      const members = { parent: list.declarations.get(stage), local: true };
      this.members(extension, at, members);
      this.joins(extension.joins ?? [], [...at, 'joins'], scope, members);
    } else {
      this.model(source.model, at, true, list.declarations.get(stage));
    }
  }

  /** A dimension: `customers.region`, or `{name: region, model: customers}`; the join segments, then the column. */
  private columnRef(ref: ColumnRefDef, path: Path, scope: Scope): Reference[] {
    const namePath = [...path, 'name'];
    const modelPath = [...path, 'model'];
    if (!this.sources.value(namePath)) return this.dotted(dottedOf(joinRef(ref), true), path, scope);
    if (ref.model === undefined || !this.sources.value(modelPath)) {
      return this.dotted(dottedOf(joinRef(ref), true), namePath, scope);
    }
    const segments = this.segments(dottedOf(ref.model, false), modelPath, scope);
    const leaf = this.refer(ref.name, namePath, 0, {
      kind: 'member',
      scope,
      before: ref.model.split('.'),
      mode: 'columns',
    });
    return [...segments, leaf];
  }

  /** A formula or a query filter; returns the names it uses, in order. */
  private formula(text: string, path: Path, scope: Scope, stage?: QueryDef, list?: StageList): Reference[] {
    const names = formulaNames(text);
    const references = names.dotted.flatMap((name) => this.dotted(name, path, scope));
    if (stage && list) {
      for (const placeholder of names.placeholders) {
        this.refer(placeholder.name, path, placeholder.start, { kind: 'variable', stage, list });
      }
    }
    return references;
  }

  private sql(text: string, path: Path, scope: Scope, self?: string): void {
    for (const name of sqlNames(text, self)) this.dotted(name, path, scope);
  }

  /** `a.b.c`: `a` and `b` are join segments, `c` the column or measure (none when it ends in `*`). */
  private dotted(name: DottedName, path: Path, scope: Scope): Reference[] {
    const parts = name.parts;
    const segments = this.segments(name, path, scope);
    if (!name.hasLeaf) return segments;
    const leaf = parts[parts.length - 1];
    const offset = name.offsets[parts.length - 1];
    if (!leaf || offset === undefined) return segments;
    const before = parts.slice(0, -1);
    return [...segments, this.refer(leaf, path, offset, { kind: 'member', scope, before, mode: name.mode })];
  }

  private segments(name: DottedName, path: Path, scope: Scope): Reference[] {
    const count = name.hasLeaf ? name.parts.length - 1 : name.parts.length;
    const references: Reference[] = [];
    for (let i = 0; i < count; i++) {
      const part = name.parts[i];
      const offset = name.offsets[i];
      // `a..b` has an empty part: nothing to point at.
      if (!part || offset === undefined) continue;
      const before = name.parts.slice(0, i);
      references.push(this.refer(part, path, offset, { kind: 'segment', scope, before }));
    }
    return references;
  }

  declare(kind: DeclarationKind, name: string, namePath: Path, extentPath: Path, options: DeclareOptions): Declaration {
    const exact = this.sources.exactInner(namePath, 0, name.length);
    const extent = this.sources.value(extentPath) ?? this.sources.best(extentPath);
    return this.add({
      kind,
      name,
      span: exact ?? this.sources.best(namePath),
      extent,
      exact: exact !== undefined,
      entry: extentPath,
      ...(options.parent ? { parent: options.parent } : {}),
      ...(options.detail === undefined ? {} : { detail: options.detail }),
      ...(options.local ? { local: true } : {}),
      ...(options.cached ? { cached: true } : {}),
    });
  }

  add(fields: Omit<Declaration, 'file' | 'root'>): Declaration {
    const declaration: Declaration = { file: this.named.path, root: this.named.root, ...fields };
    this.declarations.push(declaration);
    return declaration;
  }

  private own(owner: object, declaration: Declaration): void {
    this.owners.set(owner, declaration);
  }

  private refer(name: string, path: Path, offset: number, target: Target): Reference {
    const exact = this.sources.exactInner(path, offset, offset + name.length);
    const reference: Reference = {
      name,
      file: this.named.path,
      root: this.named.root,
      span: exact ?? this.sources.best(path),
      exact: exact !== undefined,
      target,
    };
    this.references.push(reference);
    return reference;
  }

  extentOf(path: Path): Span {
    return this.sources.value(path) ?? this.sources.best(path);
  }
}

/**
 * A stage's result columns as a later stage reads them, named as SLayer's
 * virtual models name them: `customers.name` -> `customers__name`,
 * `amount:sum` -> `amount_sum`, `*:count` -> `_count`, a named measure by
 * its name. Each keeps the references its name was spelled from, so a rename
 * of `customers` or `name` can follow into the later stages.
 */
class VirtualColumns {
  readonly columns = new Map<string, Declaration>();

  constructor(
    private readonly extractor: Extractor,
    private readonly stage: Declaration | undefined,
    private readonly source: string,
  ) {}

  dimension(references: readonly Reference[], path: Path): void {
    // SLayer drops a leading "<source model>." from the key.
    const own = references.length > 1 && references[0]?.name === this.source;
    this.add(own ? references.slice(1) : references, path);
  }

  measure(name: string | undefined, formula: string, references: readonly Reference[], path: Path): void {
    if (name !== undefined) {
      this.declare(name, [], path);
      return;
    }
    const aggregate = /^\s*(\*|[A-Za-z_]\w*):([A-Za-z_]\w*)\s*$/.exec(formula);
    if (!aggregate) return;
    const [, column = '', aggregation = ''] = aggregate;
    const leaf = references[0];
    const parts = column === '*' || !leaf ? [] : [{ offset: 0, reference: leaf }];
    this.declare(`${column === '*' ? '' : column}_${aggregation}`, parts, path);
  }

  private add(references: readonly Reference[], path: Path): void {
    let offset = 0;
    const parts = references.map((reference) => {
      const part = { offset, reference };
      offset += reference.name.length + 2;
      return part;
    });
    this.declare(references.map((reference) => reference.name).join('__'), parts, path);
  }

  private declare(name: string, parts: DerivedNameParts, path: Path): void {
    if (!name || !this.stage) return;
    const extent = this.extractor.extentOf(path);
    const declaration = this.extractor.add({
      kind: 'column',
      name,
      span: extent,
      extent,
      exact: false,
      entry: path,
      parent: this.stage,
      local: true,
      derived: { parts },
    });
    this.columns.set(name, declaration);
  }
}

type DerivedNameParts = { offset: number; reference: Reference }[];

function joinRef(ref: ColumnRefDef): string {
  return ref.model ? `${ref.model}.${ref.name}` : ref.name;
}

/** A dotted name written alone in a value (`customers.region`), with each part's offset. */
function dottedOf(text: string, hasLeaf: boolean): DottedName {
  const parts = text.split('.');
  const offsets: number[] = [];
  let offset = 0;
  for (const part of parts) {
    offsets.push(offset);
    offset += part.length + 1;
  }
  return { parts, offsets, hasLeaf, mode: 'columns' };
}

function sourceName(stage: QueryDef): string {
  const source = stage.source_model;
  if (source.kind === 'name') return source.name;
  return source.kind === 'extension' ? source.extension.source_name : source.model.name;
}

function sourceOf(model: ModelDef): string {
  if (model.sql_table) return `table ${model.sql_table}`;
  if (model.source_queries)
    return `${model.source_queries.length} source quer${model.source_queries.length === 1 ? 'y' : 'ies'}`;
  return model.sql === undefined ? '' : 'SQL';
}
