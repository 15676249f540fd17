/**
 * UTC days as 'YYYY-MM-DD' strings: the key of daily reports, the trade index and the alert
 * dedup. One definition of what a day string is, for every boundary that accepts one.
 */
import { DAY_MS } from './metrics.js';

/** 1970-01-01 … 9999-12-31 in ms: the range the arithmetic below serves (and every real timestamp). */
const ARITHMETIC_LIMIT_MS = 253_402_300_800_000;

/**
 * The UTC day containing `timeMs`. Plain integer arithmetic (the civil-from-days algorithm)
 * instead of `toISOString`: a backtest asks for days at every simulated midnight and trade,
 * and this is several times cheaper. Outside 1970–9999 it asks Date (same string, tested).
 */
export function utcDayOf(timeMs: number): string {
  if (!(timeMs >= 0 && timeMs < ARITHMETIC_LIMIT_MS)) return new Date(timeMs).toISOString().slice(0, 10);
  const z = Math.floor(timeMs / DAY_MS) + 719_468; // days since 0000-03-01
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1_460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
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
