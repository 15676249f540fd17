import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import type { AlertCondition } from '../../src/engine/alerts.js';
import { TradingState } from '../../src/engine/trading-state.js';
import {
  FatalExchangeError,
  InsufficientFundsError,
  InvalidOrderError,
  RateLimitedError,
  RetryableExchangeError,
} from '../../src/errors.js';
import { MemoryLogger } from '../../src/logger.js';

function make(): { state: TradingState; clock: ManualClock; notices: AlertCondition[] } {
  const clock = new ManualClock(1_000);
  const notices: AlertCondition[] = [];
  const state = new TradingState({
    clock,
    logger: new MemoryLogger(),
    alerts: { raise: (condition) => notices.push(condition) > 0 },
    reducingForMs: 60_000,
  });
  return { state, clock, notices };
}

describe('TradingState', () => {
  it('stays active on errors that ask only to retry, skip or back off', () => {
    const { state, notices } = make();
    state.observe(new RetryableExchangeError('503'), 'tick');
    state.observe(new InvalidOrderError('-2021'), 'tick');
    state.observe(new RateLimitedError('429', 1_000, 429), 'tick');
    state.observe(new Error('plain'), 'tick');
    expect(state.status()).toEqual({ state: 'active', reason: null, since: null });
    expect(notices).toEqual([]);
  });

  it('insufficient funds: reducing with one notice, active again after the cooldown', () => {
    const { state, clock, notices } = make();
    expect(state.observe(new InsufficientFundsError('Binance -2019: Margin is insufficient.'), 'entry BTCUSDT')).toBe('reducing');
    state.observe(new InsufficientFundsError('again'), 'entry ETHUSDT');
    expect(state.canEnter()).toBe(false);
    expect(notices).toEqual([
      { kind: 'engine_state', state: 'reducing', reason: 'entry BTCUSDT: InsufficientFundsError: Binance -2019: Margin is insufficient.' },
    ]);
    clock.advance(59_999);
    expect(state.status().state).toBe('reducing');
    clock.advance(1);
    expect(state.status().state).toBe('active');
    expect(state.canEnter()).toBe(true);
  });

  it('a revoked key halts, with one critical alert; halted is not lifted by a later funds problem', () => {
    const { state, clock, notices } = make();
    state.observe(new FatalExchangeError('Binance -2015: Invalid API-key, IP, or permissions for action.', '-2015'), 'position loop');
    state.observe(new FatalExchangeError('again', '-2015'), 'position loop');
    state.observe(new InsufficientFundsError('x'), 'entry');
    clock.advance(3_600_000);
    expect(state.status()).toMatchObject({ state: 'halted', since: 1_000 });
    expect(state.status().reason).toContain('-2015');
    expect(notices.map((n) => (n.kind === 'engine_state' ? n.state : n.kind))).toEqual(['halted']);
  });
});
