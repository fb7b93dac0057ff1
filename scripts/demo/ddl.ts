import type { ColumnKind, ColumnSpec, TableSpec } from './data';

/** A double-quoted SQL identifier, as SQLite, DuckDB and Postgres all read it. */
export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/**
 * CREATE TABLE for one demo table in any of our databases: only the column
 * types differ. `schema` qualifies the table and its references (Postgres).
 */
export function createTableSql(table: TableSpec, types: Readonly<Record<ColumnKind, string>>, schema?: string): string {
  const name = (table: string): string => (schema ? `${quoteIdentifier(schema)}.${quoteIdentifier(table)}` : quoteIdentifier(table));
  const column = (spec: ColumnSpec): string => {
    const parts = [quoteIdentifier(spec.name), types[spec.kind]];
    if (spec.primaryKey) parts.push('PRIMARY KEY');
    else if (!spec.nullable) parts.push('NOT NULL');
    if (spec.references) parts.push(`REFERENCES ${name(spec.references)} ("id")`);
    return parts.join(' ');
  };
  return `CREATE TABLE ${name(table.name)} (\n  ${table.columns.map(column).join(',\n  ')}\n)`;
}
