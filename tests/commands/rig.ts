/**
 * A Control over a real Trader, PositionController and PaperExchange (bundled rules), a
 * MemoryStore, an in-memory subscription book and a scripted ReportSource: what the command
 * and Discord tests drive. Positions are opened as an operator's own market order and adopted.
 */
import { ManualClock } from '../../src/adapters/clock.js';
import { bundledDataDir, loadExchangeRules } from '../../src/adapters/data/index.js';
import { PaperExchange } from '../../src/adapters/paper/paper-exchange.js';
import { MemoryStore } from '../../src/db/memory-store.js';
import { Control, type ChannelSubscription, type ReportSource, type ReportView, type ScoreView, type SubscriptionBook, type SubscriptionKindName } from '../../src/engine/control.js';
import type { Clock, NoticeAttachment } from '../../src/engine/ports.js';
import { defaultPipelineConfig } from '../../src/engine/pipeline.js';
import { PositionController } from '../../src/engine/position-controller.js';
import { Trader, defaultTraderConfig } from '../../src/engine/trader.js';
import type { Side } from '../../src/engine/types.js';
import { silentLogger } from '../../src/logger.js';

export const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] as const;
export const START_MS = Date.UTC(2025, 7, 1, 12);
const rules = loadExchangeRules(bundledDataDir(), SYMBOLS);

/** Subscriptions kept in memory, same contract as the store's repository. */
export class MemorySubscriptions implements SubscriptionBook {
  readonly byChannel = new Map<string, ChannelSubscription>();
  constructor(private readonly clock: Clock) {}
  async add(channelId: string, kinds: readonly SubscriptionKindName[]): Promise<ChannelSubscription> {
    const current = this.byChannel.get(channelId);
    const merged = { channelId, kinds: [...new Set([...(current?.kinds ?? []), ...kinds])].sort(), addedAt: current?.addedAt ?? this.clock.now() };
    this.byChannel.set(channelId, merged);
    return merged;
  }
  async remove(channelId: string, kinds?: readonly SubscriptionKindName[]): Promise<ChannelSubscription | null> {
    const current = this.byChannel.get(channelId);
    if (current === undefined) return null;
    const remaining = kinds === undefined ? [] : current.kinds.filter((k) => !kinds.includes(k));
    if (remaining.length === 0) {
      this.byChannel.delete(channelId);
      return null;
    }
    const next = { ...current, kinds: remaining };
    this.byChannel.set(channelId, next);
    return next;
  }
  async list(kind?: SubscriptionKindName): Promise<ChannelSubscription[]> {
    return [...this.byChannel.values()].filter((s) => kind === undefined || s.kinds.includes(kind));
  }
}

/** A one-pixel-ish PNG (valid signature), named like a chart. */
export function pngAttachment(name: string): NoticeAttachment {
  const data = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 24 }, (_, i) => i)]);
  return { name, contentType: 'image/png', data, description: name };
}

export function sampleScore(day: string, score: number): ScoreView {
  return {
    day,
    score,
    grade: score >= 90 ? 'S' : score >= 80 ? 'A' : score >= 70 ? 'B' : 'C',
    dimensions: [
      { name: 'R:R', points: 14, maxPoints: 20, value: '1.42' },
      { name: 'Win rate', points: 12.5, maxPoints: 20, value: '52 %' },
      { name: 'Expected value', points: 11, maxPoints: 20, value: '+0.08 R' },
      { name: 'Max drawdown', points: 10, maxPoints: 15, value: '6.1 %' },
      { name: 'Sharpe', points: 9, maxPoints: 15, value: '1.10' },
      { name: 'Frequency', points: 8, maxPoints: 10, value: '6.2/day' },
    ],
    penaltyPoints: 0,
    tradeCount: 43,
    notEnoughTrades: false,
  };
}

/** A ReportSource test double: reports are whatever the test stores in `stored`. */
export class ScriptedReports implements ReportSource {
  readonly stored = new Map<string, ReportView>();
  builtToday = 0;
  constructor(private readonly clock: Clock) {}
  add(day: string, score: number, pnlUsdt = 12.5): ReportView {
    const view: ReportView = {
      day,
      generatedAt: Date.parse(`${day}T00:00:05Z`) + 86_400_000,
      partial: false,
      score: sampleScore(day, score),
      pnlUsdt,
      tradeCount: 7,
      lines: ['7 trades · win rate 57 %'],
      charts: [pngAttachment(`equity-${day}.png`), pngAttachment(`score-${day}.png`)],
    };
    this.stored.set(day, view);
    return view;
  }
  async latest(): Promise<ReportView | null> {
    return [...this.stored.values()].sort((a, b) => (a.day < b.day ? 1 : -1))[0] ?? null;
  }
  async forDay(dayUtc: string): Promise<ReportView | null> {
    return this.stored.get(dayUtc) ?? null;
  }
  async buildToday(): Promise<ReportView> {
    this.builtToday++;
    const day = new Date(this.clock.now()).toISOString().slice(0, 10);
    return { ...this.add(day, 75, 0), partial: true };
  }
  async latestScore(): Promise<ScoreView | null> {
    return (await this.latest())?.score ?? null;
  }
  async scoreHistory(days: number) {
    return [...this.stored.values()].sort((a, b) => (a.day < b.day ? -1 : 1)).slice(-days).map((r) => ({ day: r.day, score: r.score.score }));
  }
  async scoreChart(): Promise<NoticeAttachment | null> {
    return this.stored.size < 2 ? null : pngAttachment('score-history.png');
  }
}

export interface RigOptions {
  readonly clock?: Clock & { advance?(ms: number): void };
  readonly withReports?: boolean;
  readonly closeWaitMs?: number;
}

export function commandRig(options: RigOptions = {}) {
  const manual = new ManualClock(START_MS);
  const clock: Clock = options.clock ?? manual;
  const paper = new PaperExchange({ rules, clock, logger: silentLogger, startingBalanceUsdt: 10_000 });
  const store = new MemoryStore();
  const subscriptions = new MemorySubscriptions(clock);
  const reports = new ScriptedReports(clock);
  const trader = new Trader(
    { ...defaultTraderConfig(SYMBOLS, defaultPipelineConfig), unknownPositions: 'adopt', timeStopMs: 0 },
    { exchange: paper, clock, logger: silentLogger, rules, persist: async () => undefined, recordTrade: (trade) => store.putTrade(trade), onEvent: () => undefined },
    'self_learning',
  );
  const controller = new PositionController({ trader, exchange: paper, clock, logger: silentLogger, intervalMs: 2_000 });
  const control = new Control({
    trader,
    exchange: paper,
    store,
    clock,
    tradingMode: 'paper',
    marketData: 'replay',
    symbols: SYMBOLS,
    controllerStats: () => controller.stats(),
    persist: async () => undefined,
    tickNow: () => controller.tick(),
    startedAt: START_MS,
    subscriptions,
    ...(options.withReports === false ? {} : { reports }),
    closeWaitMs: options.closeWaitMs ?? 0,
  });

  const advance = (ms: number): void => {
    if (options.clock === undefined) manual.advance(ms);
  };

  /** An operator's own market order on the venue, filled at the next price, then adopted. */
  async function openAdopted(symbol: string, side: Side, quantity: number, price: number): Promise<void> {
    paper.onTicker(symbol, price, price, clock.now());
    await paper.setLeverage(symbol, 5);
    paper.placeOrderNow({ symbol, side: side === 'long' ? 'buy' : 'sell', type: 'market', quantity, reduceOnly: false, clientOrderId: `operator_${symbol}_${clock.now()}` });
    advance(1_000);
    paper.onTicker(symbol, price, price, clock.now());
    await trader.reconcile();
  }

  /** The next price reaches the venue (close orders fill at it), then the controller looks. */
  async function nextPrice(symbol: string, price: number): Promise<void> {
    advance(1_000);
    paper.onTicker(symbol, price, price, clock.now());
    await controller.tick();
  }

  return { clock, manual, paper, store, subscriptions, reports, trader, controller, control, openAdopted, nextPrice };
}
