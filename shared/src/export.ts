/**
 * Query results as CSV files. One encoder for every place that exports
 * (the CLI's --format csv and json, the results view's export), so the same
 * rows give the same bytes wherever they are saved.
 */

export type ExportRow = Readonly<Record<string, unknown>>;

/**
 * RFC 4180: a header of column names, CRLF after every record, a field
 * quoted (its quotes doubled) when it holds a comma, a quote, CR or LF.
 * NULL is an empty field; an empty string is `""`, so the two stay apart.
 * Numbers keep their full precision; lists and structs are JSON.
 */
export function toCsv(columns: readonly string[], rows: readonly ExportRow[]): string {
  const lines = [columns.map((column) => quoteField(column)).join(',')];
  for (const row of rows) lines.push(columns.map((column) => csvField(row[column])).join(','));
  return lines.map((line) => `${line}\r\n`).join('');
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value === '') return '""';
  return quoteField(plainText(value));
}

function quoteField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function plainText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** The JSON the CLI's `--format json` prints and the results view saves: SLayer's response keys. */
export function toJson(result: {
  columns: readonly string[];
  data: readonly ExportRow[];
  row_count: number;
  sql: string;
}): string {
  const { columns, data, row_count, sql } = result;
  return `${JSON.stringify({ columns, data, row_count, sql }, null, 2)}\n`;
}

/**
 * A grid selection as tab-separated text, one line per row, for pasting into
 * a spreadsheet. Each range holds only its own columns; NULL is empty, and a
 * tab or line break inside a value becomes a space, so cells stay in place.
 */
export function toTsv(ranges: readonly (readonly ExportRow[])[], columns: readonly string[]): string {
  return ranges
    .flatMap((rows) =>
      rows.map((row) =>
        columns
          .filter((key) => key in row)
          .map((key) => tsvField(row[key]))
          .join('\t'),
      ),
    )
    .join('\n');
}

function tsvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  return plainText(value).replace(/[\t\r\n]+/g, ' ');
}
