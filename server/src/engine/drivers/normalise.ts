/**
 * Value normalisation shared by the three drivers (see types.ts for the
 * contract). Pure functions: the SQLite worker imports this module too.
 */

/** A 64-bit integer as a number when that is exact, else as its decimal string. */
export function integerToJs(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

const TIMESTAMP_TEXT = /^(\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::(\d{2}))?(?:\.(\d+))?$/;
const TIMESTAMPTZ_TEXT =
  /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d+))?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)$/i;

function fraction(digits: string | undefined): string {
  const trimmed = (digits ?? '').replace(/0+$/, '');
  return trimmed === '' ? '' : `.${trimmed}`;
}

/**
 * `'2024-01-02 03:04:05.120'` -> `'2024-01-02T03:04:05.12'`. Text that is not a
 * timestamp (including `'infinity'`) comes back unchanged.
 */
export function normaliseTimestampText(text: string): string {
  const match = TIMESTAMP_TEXT.exec(text);
  if (!match) return text;
  const [, date, hoursMinutes, seconds, digits] = match;
  return `${date}T${hoursMinutes}:${seconds ?? '00'}${fraction(digits)}`;
}

function offsetMinutes(offset: string): number {
  if (offset.toUpperCase() === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(/:/g, '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4) || '0');
  const seconds = Number(digits.slice(4, 6) || '0');
  return sign * (hours * 60 + minutes + seconds / 60);
}

/**
 * `'2024-01-02 03:04:05+02'` -> `'2024-01-02T01:04:05Z'`: a moment is shown in
 * UTC so the session time zone of a database never changes the value.
 */
export function normaliseTimestampTzText(text: string): string {
  const match = TIMESTAMPTZ_TEXT.exec(text);
  if (!match) return text;
  const [, y, mo, d, h, mi, s, digits, offset] = match;
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? '0'));
  const utc = new Date(local - offsetMinutes(offset ?? 'Z') * 60_000);
  if (Number.isNaN(utc.getTime())) return text;
  return `${utc.toISOString().slice(0, 19)}${fraction(digits)}Z`;
}

/** Binary values as Postgres prints them: `\x` and lowercase hex. */
export function bytesToHex(bytes: Uint8Array): string {
  return `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** Builds the keyed rows from positional values; a later duplicate name wins. */
export function toRecord(columns: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  columns.forEach((name, index) => {
    row[name] = values[index];
  });
  return row;
}
