/**
 * The Control facade over a real Trader, PositionController and PaperExchange (the bundled
 * exchange rules), a MemoryStore and a ManualClock: what an operator asks (status, positions,
 * trades) and does (pause, resume, mode, close), and the audit entry every action leaves.
 *
 * Positions are opened the way an operator's own trade would be: a market order placed on
 * the paper venue outside the engine, then adopted by `trader.reconcile()` with
 * unknownPositions 'adopt' (the Trader then manages it with a protective stop). That gives
 * an open, managed position without depending on when the signal rules fire. The pause test
 * does need a real signal: it replays bundled BTCUSDT candles until one comes.
 */
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { bundledDataDir, loadExchangeRules, loadMarketHistory } from '../../src/adapters/data/index.js';
import { PaperExchange } from '../../src/adapters/paper/paper-exchange.js';
import { defaultTraderConfig } from '../../src/engine/trader.js';
import { MemoryStore } from '../../src/db/memory-store.js';
import { Control } from '../../src/engine/control.js';
import { FEATURE_WARMUP_CANDLES } from '../../src/engine/features.js';
import { defaultPipelineConfig } from '../../src/engine/pipeline.js';
import type { AuditEntry, ClosedCandle } from '../../src/engine/ports.js';
import { PositionController } from '../../src/engine/position-controller.js';
import { replayStep } from '../../src/engine/replay-loop.js';
import { Trader, type TraderEvent } from '../../src/engine/trader.js';
import { RetryableExchangeError, StoreError, UserInputError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { sampleTrade } from '../db/fixtures.js';
import { operatorActions } from '../helpers/operator.js';
import { CANDLE_MS } from '../../src/engine/types.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] as const;
/** The bundled data starts here; the replayed candles come after the warm-up. */
const START_MS = Date.UTC(2025, 7, 1);
const rules = loadExchangeRules(bundledDataDir(), SYMBOLS);

interface RigOptions {
  /** Replaces the Control's persist (the runtime saves the snapshot there). */
  readonly persist?: (reason: string) => Promise<void>;
}

function rig(options: RigOptions = {}) {
  const clock = new ManualClock(START_MS);
  const paper = new PaperExchange({ rules, clock, logger: silentLogger, startingBalanceUsdt: 10_000 });
  const store = new MemoryStore();
  const persisted: string[] = [];
  const events: TraderEvent[] = [];
  const trader = new Trader(
    // No time stop: the pause test replays hours of candles around a position it keeps open.
    { ...defaultTraderConfig(SYMBOLS, defaultPipelineConfig), unknownPositions: 'adopt', timeStopMs: 0 },
    {
      exchange: paper,
      clock,
      logger: silentLogger,
      rules,
      persist: async (reason) => void persisted.push(reason),
      recordTrade: (trade) => store.putTrade(trade),
      onEvent: (event) => events.push(event),
    },
    'self_learning',
  );
  const controller = new PositionController({ trader, exchange: paper, clock, logger: silentLogger, intervalMs: CANDLE_MS });
  const control = new Control({
    trader,
    exchange: paper,
    store,
    clock,
    tradingMode: 'paper',
    marketData: 'replay',
    symbols: SYMBOLS,
    controllerStats: () => controller.stats(),
    persist: options.persist ?? (async (reason) => void persisted.push(`control: ${reason}`)),
    tickNow: () => controller.tick(),
    startedAt: START_MS,
  });

  const { openAdopted, nextPrice } = operatorActions({ paper, clock, advance: (ms) => clock.advance(ms), trader, controller });

  return { clock, paper, store, persisted, events, trader, controller, control, openAdopted, nextPrice };
}

function lastAudit(store: MemoryStore): AuditEntry | undefined {
  return store.audit.at(-1);
}

describe('Control.status', () => {
  it('reports trading mode, pause, strategy and effective mode, open positions and equity', async () => {
    const { control, paper, openAdopted } = rig();
    await openAdopted('BTCUSDT', 'long', 0.01, 115_000);

    const status = await control.status();
    const balance = await paper.fetchBalance();
    expect(status).toMatchObject({
      tradingMode: 'paper',
      marketData: 'replay',
      symbols: SYMBOLS,
      paused: false,
      strategyMode: 'self_learning',
      effectiveMode: 'rules (no model yet)',
      grade: null,
      closedTradeCount: 0,
      coldStart: true,
      openPositions: 1,
      startedAt: START_MS,
    });
    expect(status.equityUsdt).toBe(balance.equityUsdt);
    expect(status.availableBalanceUsdt).toBe(balance.availableBalanceUsdt);
    // The adopted position's margin is held: less is available than the wallet.
    expect(status.availableBalanceUsdt!).toBeLessThan(10_000);
    expect(status.controller).not.toBeNull();
  });

  it('still answers, without balances, when the exchange cannot be reached', async () => {
    const { control, paper, openAdopted } = rig();
    await openAdopted('ETHUSDT', 'short', 0.2, 3_800);
    vi.spyOn(paper, 'fetchBalance').mockRejectedValue(new RetryableExchangeError('GET /fapi/v3/account timed out'));

    const status = await control.status();
    expect(status.equityUsdt).toBeNull();
    expect(status.availableBalanceUsdt).toBeNull();
    expect(status.openPositions).toBe(1);
    expect(status.effectiveMode).toBe('rules (no model yet)');
  });
});

describe('Control.positions', () => {
  it('lists the managed positions with the exchange mark and unrealised P&L', async () => {
    const { control, paper, clock, openAdopted } = rig();
    await openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    await openAdopted('ETHUSDT', 'short', 0.2, 3_800);
    // Both go up: in the long's favour, against the short (short of its 1 % protective stop).
    clock.advance(1_000);
    paper.onTicker('BTCUSDT', 116_000, 116_000, clock.now());
    paper.onTicker('ETHUSDT', 3_820, 3_820, clock.now());

    const views = await control.positions();
    expect(views.map((v) => v.symbol).sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    const onExchange = new Map((await paper.fetchPositions(2)).map((p) => [p.symbol, p]));
    for (const view of views) {
      expect(view.adopted).toBe(true);
      expect(view.markPrice).toBe(onExchange.get(view.symbol)!.markPrice);
      expect(view.unrealizedPnlUsdt).toBe(onExchange.get(view.symbol)!.unrealizedPnlUsdt);
    }
    const btc = views.find((v) => v.symbol === 'BTCUSDT')!;
    const eth = views.find((v) => v.symbol === 'ETHUSDT')!;
    expect(btc.markPrice).toBe(116_000);
    expect(btc.unrealizedPnlUsdt).toBeCloseTo((116_000 - btc.entryPrice) * 0.01, 6);
    expect(btc.unrealizedPnlUsdt!).toBeGreaterThan(0);
    expect(eth.unrealizedPnlUsdt).toBeCloseTo((eth.entryPrice - 3_820) * 0.2, 6);
    expect(eth.unrealizedPnlUsdt!).toBeLessThan(0);
    // Managed with a protective stop on the right side of the entry.
    expect(btc.slPrice).toBeLessThan(btc.entryPrice);
    expect(eth.slPrice).toBeGreaterThan(eth.entryPrice);
  });

  it('shows what the engine knows, without marks, when the exchange cannot be reached', async () => {
    const { control, paper, openAdopted } = rig();
    await openAdopted('SOLUSDT', 'long', 5, 180);
    vi.spyOn(paper, 'fetchPositions').mockRejectedValue(new RetryableExchangeError('GET /fapi/v3/positionRisk timed out'));

    const views = await control.positions();
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({ symbol: 'SOLUSDT', side: 'long', size: 5, markPrice: null, unrealizedPnlUsdt: null });
  });
});

describe('Control.trades', () => {
  it('returns the newest trades first, at most `limit`', async () => {
    const { control, store } = rig();
    for (let i = 1; i <= 5; i++) await store.putTrade(sampleTrade(i));

    expect((await control.trades(3)).map((t) => t.id)).toEqual(['T000005', 'T000004', 'T000003']);
    expect((await control.trades(500)).map((t) => t.id)).toEqual(['T000005', 'T000004', 'T000003', 'T000002', 'T000001']);
  });

  it.each([0, -1, 1.5, 501, Number.NaN])('refuses limit %s with a message saying what is allowed', async (limit) => {
    const { control } = rig();
    const error = await control.trades(limit).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as Error).message).toBe('limit must be a whole number from 1 to 500');
  });
});

describe('Control.pause and resume', () => {
  /** Warm-up plus enough candles for the rules to give several signals (bounded). */
  async function replayBtcCandles() {
    const history = await loadMarketHistory(bundledDataDir(), ['BTCUSDT'], { to: START_MS + (FEATURE_WARMUP_CANDLES + 3_000) * CANDLE_MS });
    return history.get('BTCUSDT')!.candles;
  }

  it('takes no new entry while paused, yet the open position stays managed and can be closed', async () => {
    const candles = await replayBtcCandles();
    const { control, trader, controller, paper, clock, store, events, openAdopted, nextPrice } = rig();
    await openAdopted('ETHUSDT', 'long', 0.2, 3_800);
    const ethStop = trader.managedPositions()[0]!.slClientOrderId!;

    const paused = await control.pause('discord:alice');
    expect(paused).toEqual({ ok: true, message: 'Paused: no new entries; open positions are still managed and can be closed.' });
    expect((await control.status()).paused).toBe(true);

    trader.warmUp('BTCUSDT', candles.slice(0, FEATURE_WARMUP_CANDLES));
    const lastCandleAt: Record<string, number> = {};
    let refusedWhilePaused = 0;
    for (const candle of candles.slice(FEATURE_WARMUP_CANDLES)) {
      const batch: ClosedCandle[] = [{ symbol: 'BTCUSDT', candle, mark: null }];
      await replayStep({ clock, venue: paper, trader, controller, candleMs: CANDLE_MS, lastCandleAt }, batch);
      refusedWhilePaused = events.filter((e) => e.kind === 'refused' && e.reasons.includes('trading is paused')).length;
      if (refusedWhilePaused >= 3) break;
    }
    // Signals came and every one was refused because of the pause.
    expect(refusedWhilePaused).toBeGreaterThanOrEqual(3);
    expect(events.filter((e) => e.kind === 'entry')).toEqual([]);
    expect((await paper.fetchPositions(2)).map((p) => p.symbol)).toEqual(['ETHUSDT']);
    expect((await paper.fetchOpenOrders('BTCUSDT')).length).toBe(0);

    // The ETH position is still managed: its stop is on the exchange and a close goes through.
    expect(trader.managedPositions().map((p) => p.symbol)).toEqual(['ETHUSDT']);
    expect((await paper.fetchOrder('ETHUSDT', ethStop))?.status).toBe('new');
    expect(await control.close('ETHUSDT', 'discord:alice')).toMatchObject({ ok: true, message: 'Close sent for ETHUSDT.' });
    await nextPrice('ETHUSDT', 3_790);
    expect(trader.managedPositions()).toEqual([]);
    expect((await control.trades(1))[0]).toMatchObject({ symbol: 'ETHUSDT', exitReason: 'manual' });
    expect(store.audit.map((a) => a.action)).toEqual(['pause', 'close']);
  });

  it('resumes, says so when already in the asked state, and persists each change', async () => {
    const { control, persisted } = rig();
    expect((await control.resume('discord:bob')).message).toBe('Not paused: trading as usual.');
    await control.pause('discord:bob');
    expect((await control.pause('discord:bob')).message).toBe('Already paused: no new entries; open positions are still managed.');
    expect(await control.resume('discord:bob')).toEqual({ ok: true, message: 'Resumed: new entries allowed.' });
    expect((await control.status()).paused).toBe(false);
    // Only real changes are persisted.
    expect(persisted.filter((r) => r.startsWith('control:'))).toEqual(['control: paused', 'control: resumed']);
  });
});

describe('Control.setMode', () => {
  it('switches between rules and self_learning and reports the effective mode', async () => {
    const { control } = rig();
    expect(await control.setMode('rules', 'discord:carol')).toEqual({
      ok: true,
      message: 'Strategy mode is now rules (effective: rules).',
    });
    expect(await control.status()).toMatchObject({ strategyMode: 'rules', effectiveMode: 'rules' });
    expect((await control.setMode('self_learning', 'discord:carol')).message).toBe(
      'Strategy mode is now self_learning (effective: rules (no model yet)).',
    );
    expect(await control.status()).toMatchObject({ strategyMode: 'self_learning', effectiveMode: 'rules (no model yet)' });
  });

  it('refuses an unknown mode, changes nothing and records the refusal', async () => {
    const { control, store, persisted } = rig();
    const error = await control.setMode('yolo', 'discord:mallory').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as Error).message).toBe('mode must be rules or self_learning, not "yolo"');
    expect((await control.status()).strategyMode).toBe('self_learning');
    expect(persisted.filter((r) => r.startsWith('control:'))).toEqual([]);
    expect(lastAudit(store)).toEqual({ at: START_MS, actor: 'discord:mallory', action: 'mode', detail: 'yolo', result: 'denied' });
  });
});

describe('Control.close', () => {
  it('closes one symbol at the next price and records the trade as a manual exit', async () => {
    const { control, trader, paper, clock, store, openAdopted, nextPrice } = rig();
    await openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    await openAdopted('ETHUSDT', 'short', 0.2, 3_800);

    // Lower case is accepted: operators type symbols as they come.
    expect(await control.close('btcusdt', 'discord:alice')).toEqual({ ok: true, message: 'Close sent for BTCUSDT.' });
    const closing = trader.managedPositions().find((p) => p.symbol === 'BTCUSDT')!;
    expect(closing.exitReason).toBe('manual');
    expect(closing.exitClientOrderId).not.toBeNull();
    // Sent as a reduce-only market order; it fills at the next price the venue sees.
    expect(await paper.fetchOrder('BTCUSDT', closing.exitClientOrderId!)).toMatchObject({
      type: 'market',
      reduceOnly: true,
      status: 'new',
    });

    const closedAt = clock.now() + 1_000;
    await nextPrice('BTCUSDT', 115_500);
    expect(trader.managedPositions().map((p) => p.symbol)).toEqual(['ETHUSDT']);
    const [trade] = await control.trades(10);
    expect(trade).toMatchObject({ symbol: 'BTCUSDT', side: 'long', exitReason: 'manual', closedAt, liquidated: false });
    // Filled at the next price less slippage, not at the price the close was decided at.
    expect(trade!.exitPrice).toBeLessThan(115_500);
    expect(trade!.exitPrice).toBeGreaterThan(115_400);
    expect(store.allTrades()).toHaveLength(1);
  });

  it('marks an emergency close as such', async () => {
    const { control, store, openAdopted, nextPrice } = rig();
    await openAdopted('SOLUSDT', 'short', 5, 180);
    expect((await control.close('SOLUSDT', 'discord:alice', true)).ok).toBe(true);
    await nextPrice('SOLUSDT', 179);
    expect((await control.trades(1))[0]).toMatchObject({ symbol: 'SOLUSDT', exitReason: 'emergency' });
    expect(lastAudit(store)).toMatchObject({ action: 'emergency_close', detail: 'SOLUSDT', result: 'ok' });
  });

  it('closes every position with "all"', async () => {
    const { control, trader, paper, openAdopted, nextPrice } = rig();
    await openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    await openAdopted('ETHUSDT', 'short', 0.2, 3_800);
    await openAdopted('SOLUSDT', 'long', 5, 180);

    const result = await control.close('ALL', 'discord:alice');
    expect(result.ok).toBe(true);
    expect(result.message).toMatch(/^Close sent for /);
    for (const symbol of SYMBOLS) expect(result.message).toContain(symbol);
    await nextPrice('BTCUSDT', 115_100);
    await nextPrice('ETHUSDT', 3_810);
    await nextPrice('SOLUSDT', 181);

    expect(trader.managedPositions()).toEqual([]);
    expect(await paper.fetchPositions(2)).toEqual([]);
    const trades = await control.trades(10);
    expect(trades.map((t) => t.symbol).sort()).toEqual([...SYMBOLS].sort());
    expect(new Set(trades.map((t) => t.exitReason))).toEqual(new Set(['manual']));
  });

  it('refuses a symbol without a position, and "all" when nothing is open, saying why', async () => {
    const { control, store, openAdopted } = rig();
    await expect(control.close('all', 'discord:alice')).rejects.toThrow(new UserInputError('There is no open position to close.'));
    await openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    const error = await control.close('ethusdt', 'discord:alice').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as Error).message).toBe('There is no open position on ETHUSDT.');
    expect(store.audit.map((a) => [a.action, a.detail, a.result])).toEqual([
      ['close', 'all', 'denied'],
      ['close', 'ethusdt', 'denied'],
    ]);
  });
});

describe('Control audit log', () => {
  it('records who did what, when, and how it ended, for every action including refused ones', async () => {
    const { control, clock, store, openAdopted, nextPrice } = rig();
    await openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    const t0 = clock.now();
    await control.pause('discord:alice');
    clock.advance(60_000);
    await control.resume('discord:bob');
    await control.setMode('rules', 'console');
    await control.setMode('turbo', 'discord:mallory').catch(() => undefined);
    await control.close('SOLUSDT', 'discord:mallory').catch(() => undefined);
    clock.advance(60_000);
    await control.close('BTCUSDT', 'discord:alice', true);
    await nextPrice('BTCUSDT', 115_000);

    expect(store.audit).toEqual([
      { at: t0, actor: 'discord:alice', action: 'pause', detail: '', result: 'ok' },
      { at: t0 + 60_000, actor: 'discord:bob', action: 'resume', detail: '', result: 'ok' },
      { at: t0 + 60_000, actor: 'console', action: 'mode', detail: 'rules', result: 'ok' },
      { at: t0 + 60_000, actor: 'discord:mallory', action: 'mode', detail: 'turbo', result: 'denied' },
      { at: t0 + 60_000, actor: 'discord:mallory', action: 'close', detail: 'SOLUSDT', result: 'denied' },
      { at: t0 + 120_000, actor: 'discord:alice', action: 'emergency_close', detail: 'BTCUSDT', result: 'ok' },
    ]);
    // Reads change nothing and are not audited.
    await control.status();
    await control.positions();
    await control.trades(5);
    expect(store.audit).toHaveLength(6);
  });

  it('records an action that failed as an error and passes the failure on', async () => {
    const failure = new StoreError('store sqlite://state/state.sqlite: writing "engine:snapshot" failed: SQLITE_FULL');
    const { control, store } = rig({ persist: async () => Promise.reject(failure) });
    await expect(control.pause('discord:alice')).rejects.toBe(failure);
    expect(lastAudit(store)).toMatchObject({ actor: 'discord:alice', action: 'pause', result: 'error' });
  });

  it('does not block the action when the audit log cannot be written, and says so', async () => {
    const { control, store } = rig();
    vi.spyOn(store, 'appendAudit').mockRejectedValue(
      new StoreError('store sqlite://state/state.sqlite: writing "audit" failed: SQLITE_BUSY'),
    );
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect((await control.pause('discord:alice')).ok).toBe(true);
      expect((await control.status()).paused).toBe(true);
      expect(consoleError).toHaveBeenCalledWith(expect.stringMatching(/^audit log write failed: .*SQLITE_BUSY/));
    } finally {
      consoleError.mockRestore();
    }
  });
});
