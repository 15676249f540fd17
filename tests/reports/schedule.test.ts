import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { MemoryStore } from '../../src/db/memory-store.js';
import { MemoryLogger } from '../../src/logger.js';
import { ClockMidnightTrigger, NodeScheduleMidnightTrigger, nextUtcMidnight } from '../../src/reports/schedule.js';
import { DailyReports } from '../../src/reports/service.js';
import { tradeRecord } from './golden-trades.js';

// A zone far from UTC (UTC+8 with no DST): local midnight is 16:00 UTC.
process.env['TZ'] = 'Asia/Taipei';

const H = 3_600_000;
const DAY = 86_400_000;
const NOV_28 = Date.UTC(2026, 10, 28);

describe('midnight schedule', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs in a time zone other than UTC', () => {
    expect(new Date(NOV_28).getTimezoneOffset()).toBe(-480);
  });

  it('computes the next UTC midnight, strictly after now', () => {
    expect(nextUtcMidnight(NOV_28)).toBe(NOV_28 + DAY);
    expect(nextUtcMidnight(NOV_28 - 1)).toBe(NOV_28);
    expect(nextUtcMidnight(NOV_28 + 16 * H)).toBe(NOV_28 + DAY); // local (Taipei) midnight is not it
  });

  it('fires at 00:00 UTC on the engine clock, once per midnight, also when the clock jumps days', () => {
    const clock = new ManualClock(NOV_28 + 15 * H);
    const fired: string[] = [];
    const trigger = new ClockMidnightTrigger(clock);
    trigger.start((midnight) => fired.push(`${new Date(midnight).toISOString()} @ ${new Date(clock.now()).toISOString()}`));
    clock.set(NOV_28 + 16 * H + 30 * 60_000); // past local midnight: nothing
    expect(fired).toEqual([]);
    clock.set(NOV_28 + DAY - 1);
    expect(fired).toEqual([]);
    clock.set(NOV_28 + DAY);
    expect(fired).toEqual(['2026-11-29T00:00:00.000Z @ 2026-11-29T00:00:00.000Z']);
    clock.set(NOV_28 + 4 * DAY + H);
    expect(fired.map((f) => f.slice(0, 10))).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
    trigger.stop();
    clock.set(NOV_28 + 10 * DAY);
    expect(fired).toHaveLength(4);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('node-schedule (the wall-clock adapter) fires at 00:00 UTC, not local midnight', () => {
    vi.useFakeTimers({ now: NOV_28 + 15 * H });
    const fired: number[] = [];
    const trigger = new NodeScheduleMidnightTrigger();
    trigger.start((midnight) => fired.push(midnight));
    vi.advanceTimersByTime(2 * H); // through local midnight (16:00 UTC)
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(7 * H); // 00:00 UTC
    expect(fired).toEqual([NOV_28 + DAY]);
    expect(Date.now()).toBeGreaterThanOrEqual(NOV_28 + DAY);
    vi.advanceTimersByTime(DAY);
    expect(fired).toEqual([NOV_28 + DAY, NOV_28 + 2 * DAY]);
    trigger.stop();
    vi.advanceTimersByTime(2 * DAY);
    expect(fired).toHaveLength(2);
  });

  it('catches up missed days at start, idempotently, then reports at each midnight', async () => {
    const store = new MemoryStore();
    // Trades on the 25th, 26th and 28th.
    for (const [i, day] of [25, 26, 28].entries()) await store.putTrade(tradeRecord({ id: `t${i}`, closedAt: Date.UTC(2026, 10, day, 12), pnlUsdt: 5 }));
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 23));
    const reports = new DailyReports({
      store,
      archive: store.dailyReports,
      clock,
      logger: new MemoryLogger(),
      notifier: { notify: () => undefined },
      equity: async () => null,
      fallbackEquityUsdt: 1000,
      engine: { grade: () => null, applyGrade: async () => undefined },
      dir: null,
      windowDays: 7,
      minTrades: 20,
      gradeSSizeMultiplier: 1.2,
    });
    const trigger = new ClockMidnightTrigger(clock);
    trigger.start((midnight) => void reports.onMidnight(midnight));
    clock.set(Date.UTC(2026, 10, 26, 0, 0, 5));
    await reports.settled();
    expect(await store.dailyReports.days()).toEqual(['2026-11-25']);

    // The bot is down from the 26th 00:01 to the 29th 08:00: the midnights of the 27th, 28th, 29th pass unseen.
    trigger.stop();
    clock.set(Date.UTC(2026, 10, 29, 8));
    await reports.catchUp();
    expect(await store.dailyReports.days()).toEqual(['2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28']);
    const first = await store.dailyReports.get('2026-11-28');
    await reports.catchUp(); // nothing more to do
    expect(await store.dailyReports.days()).toHaveLength(4);
    expect(await store.dailyReports.get('2026-11-28')).toEqual(first);
    expect(((first!.report as { pnlUsdt: number }).pnlUsdt)).toBe(5);
  });

  it('catch-up on a fresh store with no trades writes nothing', async () => {
    const store = new MemoryStore();
    const reports = new DailyReports({
      store,
      archive: store.dailyReports,
      clock: new ManualClock(NOV_28),
      logger: new MemoryLogger(),
      notifier: { notify: () => undefined },
      equity: async () => null,
      fallbackEquityUsdt: 1000,
      dir: null,
      windowDays: 7,
      minTrades: 20,
      gradeSSizeMultiplier: 1.2,
    });
    expect(await reports.catchUp()).toEqual([]);
  });
});
