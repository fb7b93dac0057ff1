import type { ModelCatalog } from '../catalog';
import type { ColumnDef, JoinDef, ModelDef } from '../schema/types';
import type { SqlDialect } from '../sql/dialect';
import { nextSignificant, previousSignificant, readWordChain, tokenizeSql, type SqlToken } from '../sql/sql-tokens';
import { invalidQuery, modelNotFound, requireColumn, requireSound, unknownName, unsupported } from './errors';

/** A table in the FROM clause: the root model or a model reached through joins. */
export interface TableNode {
  model: ModelDef;
  /** Join path from the root; empty for the root. */
  path: readonly string[];
  alias: string;
}

export interface JoinStep extends TableNode {
  parent: TableNode;
  join: JoinDef;
}

export interface ResolvedColumn {
  table: TableNode;
  column: ColumnDef;
  sql: string;
}

/** Words that are SQL syntax, never a column to qualify. */
const SQL_KEYWORDS = new Set(
  (
    'all and any as asc between by case cast collate cross current_date current_time current_timestamp date day ' +
    'desc distinct else end escape exists extract false filter first following for from full glob group having ' +
    'hour if ilike in inner interval is isnull join last left like limit minute month natural not notnull null ' +
    'nulls offset on or order outer over partition preceding quarter range regexp right rows second select ' +
    'similar then time timestamp to true unbounded union using week when where window with within year ' +
    'integer int bigint smallint real double precision float numeric decimal varchar char text boolean bool ' +
    'string zone epoch dow doy isodow'
  ).split(' '),
);

/**
 * The FROM side of one query: the root model, the joins the query needs
 * (added on demand, each once), and the SQL of every column reference.
 */
export class SourceScope {
  readonly root: TableNode;
  private readonly steps = new Map<string, JoinStep>();

  constructor(
    root: ModelDef,
    readonly catalog: ModelCatalog,
    readonly dialect: SqlDialect,
  ) {
    this.root = { model: root, path: [], alias: root.name };
  }

  /** The joins in the order they were first needed, parents before children. */
  get joins(): JoinStep[] {
    return [...this.steps.values()];
  }

  /** Walks a dotted join path from `from`, adding each LEFT JOIN once; SLayer's `a__b` aliases. */
  reach(from: TableNode, path: readonly string[]): TableNode {
    let current = from;
    for (const step of path) current = this.reachOne(current, step);
    return current;
  }

  /**
   * The model at the end of a join path, checked as `reach` checks it but
   * joined into nothing: a cross-model measure reads its model in its own
   * sub-query, and joining it here too would multiply this query's rows.
   */
  modelAt(path: readonly string[]): ModelDef {
    let current: TableNode = this.root;
    for (const step of path)
      current = { model: this.joinFrom(current, step).model, path: [...current.path, step], alias: '' };
    return current.model;
  }

  private reachOne(from: TableNode, target: string): TableNode {
    const path = [...from.path, target];
    const alias = path.join('__');
    const known = this.steps.get(alias);
    if (known) return known;
    const { join, model } = this.joinFrom(from, target);
    const step: JoinStep = { model, path, alias, parent: from, join };
    this.steps.set(alias, step);
    return step;
  }

  private joinFrom(from: TableNode, target: string): { join: JoinDef; model: ModelDef } {
    const path = [...from.path, target];
    const join = from.model.joins.find((candidate) => candidate.target_model === target);
    if (!join) {
      const available = from.model.joins.map((candidate) => candidate.target_model);
      throw unknownName(
        `Model '${from.model.name}' has no join to '${target}'. Available joins: [${available.map((n) => `'${n}'`).join(', ')}].`,
        target,
        available,
      );
    }
    const model = this.catalog.getModel(target, from.model.data_source || undefined);
    if (!model) throw modelNotFound(target, this.catalog.modelNames());
    requireSound(model);
    if (path.length > 1 && path.slice(0, -1).includes(target)) {
      const chain = [this.root.model.name, ...path].join(' → ');
      throw invalidQuery(
        `Circular join detected while resolving '${path.join('.')}': '${target}' already visited (${chain}).`,
      );
    }
    return { join, model };
  }

  /** A column by its dotted reference from the root (`status`, `customers.regions.name`). */
  resolveColumn(parts: readonly string[]): ResolvedColumn {
    const normalized = parts[0] === this.root.model.name && parts.length > 1 ? parts.slice(1) : parts;
    const table = this.reach(this.root, normalized.slice(0, -1));
    const name = normalized[normalized.length - 1] ?? '';
    const column = requireColumn(table.model, name);
    return { table, column, sql: this.columnSql(table, column) };
  }

  /** A column's SQL, its derived `sql` inlined recursively and qualified by its table alias. */
  columnSql(table: TableNode, column: ColumnDef, stack: readonly string[] = []): string {
    if (column.sql === undefined || column.sql.trim() === column.name) {
      return `${table.alias}.${this.dialect.quoteIdentifier(column.name)}`;
    }
    const key = `${table.alias}.${column.name}`;
    if (stack.includes(key)) {
      throw invalidQuery(`Circular column reference detected: ${[...stack, key].join(' → ')}.`);
    }
    const inlined = this.qualifySnippet(table, column.sql, [...stack, key], column.name);
    const wrapped = this.castToDeclared(column, /^[\w."]+$/.test(inlined) ? inlined : `(${inlined})`);
    return 'join' in table ? this.nullWhenUnmatched(table as JoinStep, column, wrapped) : wrapped;
  }

  /**
   * SLayer's DEV-1361: an expression column (`json_extract(payload, '$.score')`)
   * is cast to its declared type, so a DOUBLE sums as a float on SQLite too.
   * A column whose sql is one identifier is trusted as it is.
   */
  private castToDeclared(column: ColumnDef, sql: string): string {
    if (/^\s*[A-Za-z_]\w*\s*$/.test(column.sql ?? '')) return sql;
    return this.dialect.castToDeclared(sql, column.type) ?? sql;
  }

  /**
   * A derived column that reads nothing of its own table (`has_premium: "1"`)
   * would still be 1 on a row a LEFT JOIN found no match for, so a filter on
   * it would keep every row. It is NULL there, like every real column.
   */
  private nullWhenUnmatched(step: JoinStep, column: ColumnDef, columnSql: string): string {
    if (step.join.join_type === 'inner' || readsTable(columnSql, step.alias)) return columnSql;
    const [, key] = step.join.join_pairs[0] ?? [];
    if (key === undefined || key === column.name) return columnSql;
    return `CASE WHEN ${this.pairSide(step, key)} IS NOT NULL THEN ${columnSql} END`;
  }

  /**
   * Qualifies every column reference in a SQL snippet written against
   * `table`'s model (Column.sql, Column.filter, model filters), inlining
   * derived columns and joining what dotted references need. Words inside
   * nested SELECTs, function names, keywords and literals are left alone.
   */
  qualifySnippet(table: TableNode, text: string, stack: readonly string[] = [], self?: string): string {
    const tokens = tokenizeSql(text);
    const out: string[] = [];
    const nestedDepths: number[] = [];
    let depth = 0;
    for (let index = 0; index < tokens.length;) {
      const token = tokens[index] as SqlToken;
      if (token.text === '(') depth++;
      if (token.text === ')') {
        if (nestedDepths[nestedDepths.length - 1] === depth) nestedDepths.pop();
        depth--;
      }
      if (token.kind === 'word' && token.text.toLowerCase() === 'select' && depth > 0) nestedDepths.push(depth);
      const chain = token.kind === 'word' && nestedDepths.length === 0 ? readWordChain(tokens, index) : undefined;
      if (!chain || !this.isReference(tokens, index, chain.end)) {
        out.push(token.text);
        index++;
        continue;
      }
      out.push(
        this.referenceSql(table, chain.parts, stack, self) ??
          tokens
            .slice(index, chain.end)
            .map((t) => t.text)
            .join(''),
      );
      index = chain.end;
    }
    return out.join('');
  }

  private isReference(tokens: readonly SqlToken[], start: number, end: number): boolean {
    const before = previousSignificant(tokens, start - 1);
    if (
      before?.text === '.' ||
      before?.text === ':' ||
      (before?.kind === 'word' && before.text.toLowerCase() === 'as')
    ) {
      return false;
    }
    return nextSignificant(tokens, end)?.text !== '(';
  }

  /** The SQL for a word chain in a snippet, or undefined to keep the text as written. */
  private referenceSql(
    table: TableNode,
    parts: readonly string[],
    stack: readonly string[],
    self: string | undefined,
  ): string | undefined {
    const [head, ...rest] = parts;
    if (head === undefined) return undefined;
    if (rest.length === 0) return this.bareWordSql(table, head, stack, self);
    if (head === table.model.name) return this.referenceSql(table, rest, stack, self);
    // SQL-mode snippets may spell join paths with SLayer's alias syntax: customers__regions.name.
    const hops = head.includes('__') ? head.split('__') : [head];
    const first = hops[0] ?? head;
    if (!table.model.joins.some((join) => join.target_model === first)) return undefined;
    const target = this.reach(table, [...hops, ...rest.slice(0, -1)]);
    const leaf = rest[rest.length - 1] ?? '';
    const column = target.model.columns.find((candidate) => candidate.name === leaf);
    if (!column) return `${target.alias}.${this.dialect.quoteIdentifier(leaf)}`;
    return this.columnSql(target, column, stack);
  }

  private bareWordSql(
    table: TableNode,
    word: string,
    stack: readonly string[],
    self: string | undefined,
  ): string | undefined {
    const column = table.model.columns.find((candidate) => candidate.name === word);
    if (column && word !== self) return this.columnSql(table, column, stack);
    if (SQL_KEYWORDS.has(word.toLowerCase())) return undefined;
    // A physical column of the table that the model does not declare (or the column itself in its own sql).
    return `${table.alias}.${this.dialect.quoteIdentifier(word)}`;
  }

  /** `FROM`/`JOIN` target of a model: its table, or its SQL as a sub-query. */
  sourceOf(model: ModelDef): string {
    if (model.sql_table) return model.sql_table;
    if (model.sql) return `(${model.sql})`;
    if (model.source_queries) {
      throw unsupported(
        `Model '${model.name}' is query-backed; it can only be read through a query (its stages are planned first).`,
      );
    }
    throw invalidQuery(`Model '${model.name}' has neither sql_table nor sql defined (nor source_queries).`);
  }

  /** `FROM root LEFT JOIN ...` for every join reached so far. */
  fromClause(): string {
    const lines = [`FROM ${this.sourceOf(this.root.model)} AS ${this.root.alias}`];
    for (const step of this.joins) lines.push(this.joinClause(step));
    return lines.join('\n');
  }

  private joinClause(step: JoinStep): string {
    const conditions = step.join.join_pairs.map(([left, right]) => {
      const leftSql = this.pairSide(step.parent, left);
      const rightSql = this.pairSide(step, right);
      return `${leftSql} = ${rightSql}`;
    });
    const kind = step.join.join_type === 'inner' ? 'INNER JOIN' : 'LEFT JOIN';
    return `${kind} ${this.sourceOf(step.model)} AS ${step.alias} ON ${conditions.join(' AND ')}`;
  }

  private pairSide(table: TableNode, name: string): string {
    const column = table.model.columns.find((candidate) => candidate.name === name);
    return column ? this.columnSql(table, column) : `${table.alias}.${this.dialect.quoteIdentifier(name)}`;
  }
}

/** Whether SQL qualified by SourceScope reads a column of `alias` or of a table joined through it. */
function readsTable(columnSql: string, alias: string): boolean {
  const escaped = alias.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w"])${escaped}(__\\w+)?\\.`).test(columnSql);
}
