import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { loadConfig } from '../../src/config.js';
import { MemoryStore } from '../../src/db/memory-store.js';
import type { Grade, Notice } from '../../src/engine/ports.js';
import type { SafetyKind } from '../../src/engine/trader.js';
import { MemoryLogger } from '../../src/logger.js';
import { alertForSafetyEvent, wireReports } from '../../src/reports/wiring.js';
import { tradeRecord } from './golden-trades.js';

const H = 3_600_000;

function rig() {
  const dir = mkdtempSync(join(tmpdir(), 'wiring-'));
  const config = loadConfig({ REPORTS_DIR: dir, SCORE_MIN_TRADES: '1' });
  const store = new MemoryStore();
  const clock = new ManualClock(0); // a replay clock before its first candle
  const wallClock = new ManualClock(Date.UTC(2030, 0, 1));
  const notices: Notice[] = [];
  let grade: Grade | null = null;
  const logger = new MemoryLogger();
  const wiring = wireReports({
    config,
    logger,
    store,
    archive: store.dailyReports,
    engineClock: clock,
    wallClock,
    replay: true,
    transport: { notify: (n) => notices.push(n) },
    transportShowsCharts: false,
    walletBalanceUsdt: async () => 1000 + store.allTrades().reduce((s, t) => s + t.pnlUsdt, 0),
    equitySource: 'venue',
    grade: () => grade,
    setGrade: async (g) => {
      grade = g;
    },
    recentAudit: async () => [...store.audit].reverse(),
  });
  return { dir, store, clock, wallClock, notices, wiring, logger, grade: () => grade };
}

describe('reports wiring (replay)', () => {
  it('reports each simulated midnight after the batch that crossed it, with every trade of the day', async () => {
    const { dir, store, clock, wiring, grade, notices } = rig();
    const day1 = Date.UTC(2025, 0, 10);
    clock.set(day1 + 23 * H);
    wiring.start(); // after the first batch: the clock is at market time
    await wiring.afterBatch();
    // The batch of the day's last candle: the clock crosses midnight, then the trade of that candle is recorded.
    clock.set(day1 + 24 * H);
    const losing = tradeRecord({ id: 'last', closedAt: day1 + 24 * H - 60_000, pnlUsdt: -10 });
    await store.putTrade(losing);
    wiring.onTraderEvent({ kind: 'exit', trade: losing });
    await wiring.afterBatch();
    expect(await store.dailyReports.days()).toEqual(['2025-01-10']);
    const report = (await wiring.cards.forDay('2025-01-10'))!;
    expect(report.pnlUsdt).toBe(-10);
    expect(report.score.enoughTrades).toBe(true);
    expect(grade()).toBe('C');
    expect(existsSync(join(dir, 'daily', 'model_report_2025-01-10.json'))).toBe(true);
    expect(notices.filter((n) => n.kind === 'alert').map((n) => n.key)).toEqual(['score_below_70:2025-01-10']);
    expect(report.modeChanges.map((c) => c.action)).toEqual([]); // the grade changed after the day ended
    expect(store.audit.map((a) => `${a.actor} ${a.action} ${a.detail}`)).toEqual(['evaluator grade — → C: daily report 2025-01-10: score 16']); // 1 % drawdown: 15, 1/7 trade a day: 0.71
    // A replay that jumps two days: one report per midnight.
    clock.set(day1 + 3 * 24 * H + H);
    await wiring.afterBatch();
    expect(await store.dailyReports.days()).toEqual(['2025-01-10', '2025-01-11', '2025-01-12']);
    await wiring.stop();
  });

  it('alerts liquidations, 100 % losses, missing stops, adoptions and a breaker block', () => {
    const { wiring, notices, clock } = rig();
    clock.set(Date.UTC(2025, 0, 10));
    const liquidated = tradeRecord({ id: 'liq', closedAt: clock.now(), pnlUsdt: -20, liquidated: true, is100PctLoss: true });
    wiring.onTraderEvent({ kind: 'exit', trade: liquidated });
    wiring.onTraderEvent({ kind: 'safety', safety: { kind: 'unprotected', symbol: 'BTCUSDT', detail: 'position BTCUSDT is UNPROTECTED' } });
    wiring.onTraderEvent({ kind: 'safety', safety: { kind: 'adopted', symbol: 'ETHUSDT', detail: 'adopted an unknown long position on ETHUSDT' } });
    // Warning text is no longer parsed: a warning that reads like a missing stop raises nothing.
    wiring.onTraderEvent({ kind: 'warning', message: 'stop of SOLUSDT is missing and could not be re-placed at 95000' });
    wiring.onTraderEvent({ kind: 'safety', safety: { kind: 'tp_replaced', symbol: 'BTCUSDT', detail: 'take-profit of BTCUSDT was missing' } });
    wiring.onTraderEvent({ kind: 'refused', symbol: 'BTCUSDT', side: 'long', reasons: ['paused'], codes: [] });
    wiring.onBreakerTransition({ from: 'throttle', to: 'block', usedWeight: 2400, reason: 'HTTP 429' }, Date.UTC(2030, 0, 1) + 30_000);
    wiring.onBreakerTransition({ from: 'block', to: 'ok', usedWeight: 0, reason: 'recovered' }, null);
    expect(notices.map((n) => n.key)).toEqual(['liquidation:liq', 'loss_100pct:liq', 'unprotected:BTCUSDT', 'reconciliation:ETHUSDT', 'breaker_block']);
    expect(notices.at(-1)!.lines.join(' ')).toContain('30 s');
  });

  it('sends the engine state alert once and lists it in the day', () => {
    const { wiring, notices, clock } = rig();
    clock.set(Date.UTC(2025, 0, 10, 5));
    const halted = { kind: 'engine_state', state: 'halted', reason: 'position loop: -2015' } as const;
    wiring.alerts.raise(halted);
    wiring.alerts.raise(halted);
    expect(notices).toHaveLength(1);
    expect(wiring.alerts.firedBetween(Date.UTC(2025, 0, 10), Date.UTC(2025, 0, 11)).map((a) => a.title)).toEqual(['Trading halted']);
  });
});

describe('safety events as alerts', () => {
  it('maps each typed safety event to its alert (or none)', () => {
    const at = (kind: SafetyKind, symbol: string | null = 'SOLUSDT') => alertForSafetyEvent({ kind, symbol, detail: `${kind} on ${symbol}` });
    for (const kind of ['unprotected', 'stop_replaced', 'stop_missing_closing', 'adopted_unprotected'] as const)
      expect(at(kind)).toEqual({ kind: 'unprotected_position', symbol: 'SOLUSDT', detail: `${kind} on SOLUSDT` });
    expect(at('unprotected', null)).toMatchObject({ kind: 'reconciliation', symbol: null });
    expect(at('adopted')).toMatchObject({ kind: 'reconciliation', symbol: 'SOLUSDT' });
    expect(at('closed_outside')).toMatchObject({ kind: 'reconciliation', symbol: 'SOLUSDT' });
    expect(at('tp_replaced')).toBeNull();
    expect(at('close_held')).toBeNull();
  });
});
