import type { QueryDef, TimeGranularity } from '../schema/types';
import { invalidQuery } from './errors';

/** One term of SLayer's compact durations: `90d`, `1y2m`, `6h`, `15min`. */
export interface DurationPart {
  amount: number;
  unit: 'year' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second';
}

const UNITS: Readonly<Record<string, DurationPart['unit']>> = {
  y: 'year',
  m: 'month',
  w: 'week',
  d: 'day',
  h: 'hour',
  min: 'minute',
  s: 'second',
};

/** `'1y2m3w5d6h7min8s'` -> parts; anything else is an error that shows the syntax. */
export function parseDuration(text: string): DurationPart[] {
  const parts: DurationPart[] = [];
  const pattern = /(\d+)(min|y|m|w|d|h|s)/y;
  let index = 0;
  while (index < text.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) break;
    const amount = Number(match[1]);
    // A zero part would make '0d' a window of nothing, summing no rows: SLayer refuses it, in these words.
    if (amount <= 0) throw invalidQuery(`Window duration parts must be positive in '${text}'`);
    parts.push({ amount, unit: UNITS[match[2] ?? ''] ?? 'day' });
    index = pattern.lastIndex;
  }
  if (parts.length === 0 || index !== text.length) {
    throw invalidQuery(
      `Invalid window duration '${text}'. Use syntax like '1y2m3w5d6h7min8s': units y, m, w, d, h, min, s, as in '90d'.`,
    );
  }
  return parts;
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function utcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/** First day of the period holding `day` (SLayer's weeks start on Monday; week_sunday on Sunday). */
function periodStart(day: Date, granularity: TimeGranularity): Date {
  const y = day.getUTCFullYear();
  const m = day.getUTCMonth();
  switch (granularity) {
    case 'year':
      return new Date(Date.UTC(y, 0, 1));
    case 'quarter':
      return new Date(Date.UTC(y, m - (m % 3), 1));
    case 'month':
      return new Date(Date.UTC(y, m, 1));
    case 'week':
      return new Date(Date.UTC(y, m, day.getUTCDate() - ((day.getUTCDay() + 6) % 7)));
    case 'week_sunday':
      return new Date(Date.UTC(y, m, day.getUTCDate() - day.getUTCDay()));
    default:
      return utcDay(day);
  }
}

/** Last day of the period holding `day`. */
function periodEnd(day: Date, granularity: TimeGranularity): Date {
  const start = periodStart(day, granularity);
  const y = start.getUTCFullYear();
  const m = start.getUTCMonth();
  switch (granularity) {
    case 'year':
      return new Date(Date.UTC(y, 11, 31));
    case 'quarter':
      return new Date(Date.UTC(y, m + 3, 0));
    case 'month':
      return new Date(Date.UTC(y, m + 1, 0));
    case 'week':
    case 'week_sunday':
      return new Date(Date.UTC(y, m, start.getUTCDate() + 6));
    default:
      return start;
  }
}

/**
 * SLayer's whole_periods_only: for each time dimension no filter mentions,
 * a filter that ends at the last complete period before today.
 */
export function wholePeriodFilters(query: QueryDef, today: Date): string[] {
  if (!query.whole_periods_only) return [];
  const filters = query.filters ?? [];
  return (query.time_dimensions ?? []).flatMap((td) => {
    const name = td.dimension.name;
    if (filters.some((filter) => filter.includes(name))) return [];
    const start = periodStart(utcDay(today), td.granularity);
    const previousDay = new Date(start.getTime() - 86_400_000);
    return [`${name} <= '${isoDate(periodEnd(previousDay, td.granularity))}'`];
  });
}
