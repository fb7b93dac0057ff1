/**
 * How the results view shows a value. Numbers follow SLayer's `format`
 * (currency, percent, integer, float), but in full with thousands
 * separators: SLayer's own formatter abbreviates (1.2M), which suits a chat
 * answer, not a grid where people compare and copy values.
 */
import type { FieldFormat } from './protocol';

export function formatCell(value: unknown, format: FieldFormat | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' && format && Number.isFinite(value)) return formatNumber(value, format);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function formatNumber(value: number, format: FieldFormat): string {
  switch (format.type) {
    case 'currency': {
      const symbol = format.symbol ?? '$';
      const digits = grouped(Math.abs(value), format.precision ?? 2);
      const amount = symbol.length === 1 ? `${symbol}${digits}` : `${digits} ${symbol}`;
      return value < 0 ? `-${amount}` : amount;
    }
    case 'percent':
      return `${grouped(value * 100, format.precision ?? 2)}%`;
    case 'integer':
      return grouped(Math.round(value), 0);
    case 'float':
      return format.precision === undefined ? grouped(value, undefined) : grouped(value, format.precision);
  }
}

/** Thousands separators, fixed decimals (or up to 6 when unset), the same in every locale. */
function grouped(value: number, decimals: number | undefined): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals ?? 0,
    maximumFractionDigits: decimals ?? 6,
  });
}
