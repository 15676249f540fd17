import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { AlertCenter, AlertDedup, alertIdentity, describeAlert } from '../../src/engine/alerts.js';
import type { Notice } from '../../src/engine/ports.js';

const DAY_MS = 86_400_000;
const NOV_30 = Date.UTC(2026, 10, 30);

function center(startMs = NOV_30 + 3_600_000) {
  const clock = new ManualClock(startMs);
  const sent: Notice[] = [];
  const alerts = new AlertCenter({ notifier: { notify: (n) => sent.push(n) }, clock });
  return { clock, sent, alerts };
}

describe('alerts', () => {
  it('sends one alert per condition per day', () => {
    const { sent, alerts } = center();
    expect(alerts.raise({ kind: 'unprotected_position', symbol: 'BTCUSDT', detail: 'stop missing' })).toBe(true);
    expect(alerts.raise({ kind: 'unprotected_position', symbol: 'BTCUSDT', detail: 'stop still missing' })).toBe(false);
    expect(alerts.raise({ kind: 'unprotected_position', symbol: 'ETHUSDT', detail: 'stop missing' })).toBe(true);
    expect(sent.map((n) => n.key)).toEqual(['unprotected:BTCUSDT', 'unprotected:ETHUSDT']);
  });

  it('sends a repeat on the same day only when the condition worsens', () => {
    const { sent, alerts } = center();
    alerts.raise({ kind: 'engine_state', state: 'reducing', reason: 'insufficient funds' });
    alerts.raise({ kind: 'engine_state', state: 'reducing', reason: 'insufficient funds again' });
    alerts.raise({ kind: 'engine_state', state: 'halted', reason: 'order uncertain' });
    alerts.raise({ kind: 'engine_state', state: 'reducing', reason: 'back to reducing' });
    expect(sent.map((n) => n.title)).toEqual(['No new entries: insufficient funds', 'Trading halted']);
    alerts.raise({ kind: 'training_skipped', memoryUsedRate: 0.81, limitMb: 512 });
    alerts.raise({ kind: 'training_skipped', memoryUsedRate: 0.84, limitMb: 512 });
    alerts.raise({ kind: 'training_skipped', memoryUsedRate: 0.86, limitMb: 512 });
    expect(sent.filter((n) => n.key === 'training_skipped')).toHaveLength(2);
  });

  it('sends the same condition again on the next UTC day', () => {
    const { clock, sent, alerts } = center();
    alerts.raise({ kind: 'breaker_block', reason: 'HTTP 429', retryAfterMs: 30_000 });
    clock.advance(DAY_MS);
    alerts.raise({ kind: 'breaker_block', reason: 'HTTP 429', retryAfterMs: 30_000 });
    expect(sent).toHaveLength(2);
    expect(sent[0]!.lines.join(' ')).toContain('30 s');
  });

  it('alerts every liquidation and 100 % loss (one per trade)', () => {
    const { sent, alerts } = center();
    alerts.raise({ kind: 'liquidation', symbol: 'SOLUSDT', tradeId: 't1', pnlUsdt: -40.5, marginUsdt: 40 });
    alerts.raise({ kind: 'liquidation', symbol: 'SOLUSDT', tradeId: 't1', pnlUsdt: -40.5, marginUsdt: 40 });
    alerts.raise({ kind: 'loss_100pct', symbol: 'SOLUSDT', tradeId: 't1', pnlUsdt: -40.5, marginUsdt: 40 });
    alerts.raise({ kind: 'liquidation', symbol: 'SOLUSDT', tradeId: 't2', pnlUsdt: -12, marginUsdt: 12 });
    expect(sent.map((n) => n.key)).toEqual(['liquidation:t1', 'loss_100pct:t1', 'liquidation:t2']);
    expect(sent[0]!.lines[0]).toBe('Trade t1: P&L -$40.50 on $40.00 margin.');
    expect(sent.every((n) => n.severity === 'critical' && n.kind === 'alert')).toBe(true);
  });

  it('a lower score on the same day is worse; a higher one is not', () => {
    const dedup = new AlertDedup();
    const at = (score: number) => alertIdentity({ kind: 'score_below_70', day: '2026-11-30', score, switchedToRules: true });
    expect(dedup.admit(at(69), '2026-12-01')).toBe(true);
    expect(dedup.admit(at(69), '2026-12-01')).toBe(false);
    expect(dedup.admit(at(72), '2026-12-01')).toBe(false);
    expect(dedup.admit(at(60), '2026-12-01')).toBe(true);
  });

  it('remembers what it sent for the report of the day', () => {
    const { clock, alerts } = center();
    alerts.raise({ kind: 'reconciliation', symbol: 'BTCUSDT', detail: 'position on the exchange the engine did not know' });
    clock.advance(DAY_MS);
    alerts.raise({ kind: 'reconciliation', symbol: null, detail: 'balance differs' });
    expect(alerts.firedBetween(NOV_30, NOV_30 + DAY_MS).map((a) => a.key)).toEqual(['reconciliation:BTCUSDT']);
    expect(alerts.firedBetween(NOV_30 + DAY_MS, NOV_30 + 2 * DAY_MS).map((a) => a.key)).toEqual(['reconciliation:account']);
  });

  it('never throws at the caller, even when the notifier does', () => {
    const clock = new ManualClock(NOV_30);
    const alerts = new AlertCenter({
      notifier: {
        notify: () => {
          throw new Error('outbox broken');
        },
      },
      clock,
    });
    expect(alerts.raise({ kind: 'breaker_block', reason: '418', retryAfterMs: null })).toBe(false);
  });

  it('words the score alert with the switch to rules mode', () => {
    const notice = describeAlert({ kind: 'score_below_70', day: '2026-11-30', score: 69, switchedToRules: true }, NOV_30 + DAY_MS);
    expect(notice.title).toBe('Model score 69/100 (below 70)');
    expect(notice.lines[1]).toContain('Switched to pure rules mode');
    expect(notice.key).toBe('score_below_70:2026-11-30');
  });
});

describe('the engine state alert', () => {
  it('is raised once a day per state; halted, the worse, passes after reducing', () => {
    const { sent, alerts } = center();
    alerts.raise({ kind: 'engine_state', state: 'reducing', reason: 'entry BTCUSDT: -2019' });
    alerts.raise({ kind: 'engine_state', state: 'reducing', reason: 'entry ETHUSDT: -2019' });
    alerts.raise({ kind: 'engine_state', state: 'halted', reason: 'position loop: -2015' });
    expect(sent.map((n) => [n.severity, n.title])).toEqual([
      ['warning', 'No new entries: insufficient funds'],
      ['critical', 'Trading halted'],
    ]);
    expect(sent[1]!.lines).toContain('Fix the cause (API key, permissions) and restart the bot.');
    expect(alerts.firedBetween(NOV_30, NOV_30 + DAY_MS).map((a) => a.severity)).toEqual(['warning', 'critical']);
  });
});
