import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays, isUtcDay, utcDayOf, utcDayStart } from '../../src/engine/utc-day.js';

describe('UTC days', () => {
  it('names the same day as Date does, for any time', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_000_000_000_000, max: 300_000_000_000_000 }), (timeMs) => {
        expect(utcDayOf(timeMs)).toBe(new Date(timeMs).toISOString().slice(0, 10));
      }),
      { numRuns: 5000 },
    );
    for (const timeMs of [0, 86_399_999, 86_400_000, Date.UTC(2000, 1, 29), Date.UTC(2100, 2, 1) - 1, 253_402_300_799_999]) {
      expect(utcDayOf(timeMs)).toBe(new Date(timeMs).toISOString().slice(0, 10));
    }
  });

  it('accepts real calendar days only, however Date.parse rolls the others over', () => {
    expect(['2025-01-31', '2024-02-29', '2000-02-29', '1999-12-31'].filter(isUtcDay)).toHaveLength(4);
    for (const bad of [
      '2025-02-30',
      '2025-02-29',
      '2023-04-31',
      '2025-13-01',
      '2025-00-10',
      '2025-1-01',
      '2025-01-01T00:00:00Z',
      '',
      20250101,
      null,
    ]) {
      expect(isUtcDay(bad), String(bad)).toBe(false);
    }
  });

  it('walks days across month, year and leap-day boundaries', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(utcDayOf(utcDayStart('2025-06-15') + 86_400_000 - 1)).toBe('2025-06-15');
  });
});
