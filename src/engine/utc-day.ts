/**
 * UTC days as 'YYYY-MM-DD' strings: the key of daily reports, the trade index and the alert
 * dedup. One definition of what a day string is, for every boundary that accepts one.
 */
import { DAY_MS } from './metrics.js';

/** The UTC day containing `timeMs`. */
export function utcDayOf(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 10);
}

/** The start of `day` in ms (NaN for a string that is not a date). */
export function utcDayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** The day `days` after `day` (negative: before). */
export function addDays(day: string, days: number): string {
  return utcDayOf(utcDayStart(day) + days * DAY_MS);
}

/**
 * True for a real calendar day written 'YYYY-MM-DD'. `Date.parse` rolls "2025-02-30" over to
 * March 2nd instead of refusing it, so the parsed day must print back as the same string.
 */
export function isUtcDay(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const start = utcDayStart(value);
  return !Number.isNaN(start) && utcDayOf(start) === value;
}
