/**
 * A Control over a real Trader, PositionController and PaperExchange (bundled rules), a
 * MemoryStore, an in-memory subscription book and a scripted ReportSource: what the command
 * and Discord tests drive. Positions are opened as an operator's own market order and adopted.
 */
import { ManualClock } from '../../src/adapters/clock.js';
import { bundledDataDir, loadExchangeRules } from '../../src/adapters/data/index.js';
import { PaperExchange } from '../../src/adapters/paper/paper-exchange.js';
import { MemoryStore } from '../../src/db/memory-store.js';
import { Control, type ChannelSubscription, type SubscriptionBook, type SubscriptionKindName } from '../../src/engine/control.js';
import type { Clock, Grade, NoticeAttachment } from '../../src/engine/ports.js';
import type { DailyReport, DimensionScore, ReportCards, ScorePoint, TradeFigures } from '../../src/engine/reports.js';
import { defaultPipelineConfig } from '../../src/engine/pipeline.js';
import { PositionController } from '../../src/engine/position-controller.js';
import { Trader, defaultTraderConfig } from '../../src/engine/trader.js';
import type { PositionProtection, TradingStatus } from '../../src/engine/trading-state.js';
import { silentLogger } from '../../src/logger.js';
import { operatorActions } from '../helpers/operator.js';

export const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] as const;
export const START_MS = Date.UTC(2025, 7, 1, 12);
const rules = loadExchangeRules(bundledDataDir(), SYMBOLS);

/** Subscriptions kept in memory, same contract as the store's repository. */
export class MemorySubscriptions implements SubscriptionBook {
  readonly byChannel = new Map<string, ChannelSubscription>();
  constructor(private readonly clock: Clock) {}
  async add(channelId: string, kinds: readonly SubscriptionKindName[]): Promise<ChannelSubscription> {
    const current = this.byChannel.get(channelId);
    const merged = {
      channelId,
      kinds: [...new Set([...(current?.kinds ?? []), ...kinds])].sort(),
      addedAt: current?.addedAt ?? this.clock.now(),
    };
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

const DIMENSIONS: readonly DimensionScore[] = [
  { key: 'rr', label: 'R:R', value: 1.42, points: 14, maxPoints: 20 },
  { key: 'win_rate', label: 'Win rate', value: 0.52, points: 12.5, maxPoints: 20 },
  { key: 'ev', label: 'Expected value', value: 0.08, points: 11, maxPoints: 20 },
  { key: 'max_drawdown', label: 'Max drawdown', value: 0.061, points: 10, maxPoints: 15 },
  { key: 'sharpe', label: 'Sharpe', value: 1.1, points: 9, maxPoints: 15 },
  { key: 'frequency', label: 'Frequency', value: 6.2, points: 8, maxPoints: 10 },
];

function figures(trades: number, pnlUsdt: number): TradeFigures {
  return {
    trades,
    wins: Math.ceil(trades / 2),
    losses: Math.floor(trades / 2),
    winRate: trades === 0 ? 0 : Math.ceil(trades / 2) / trades,
    pnlUsdt,
    grossPnlUsdt: pnlUsdt + 1,
    feesUsdt: 1,
    fundingUsdt: 0,
    averageRr: 1.4,
    expectancyUsdt: trades === 0 ? 0 : pnlUsdt / trades,
    expectancyR: 0.08,
    maxDrawdownRate: 0.061,
    sharpe: 1.1,
    losses100Pct: 0,
    liquidations: 0,
  };
}

/** A daily report card as the evaluator would build it (figures are illustrative). */
export function sampleReport(day: string, score: number, pnlUsdt = 12.5, partial = false): DailyReport {
  const grade: Grade = score >= 90 ? 'S' : score >= 80 ? 'A' : score >= 70 ? 'B' : 'C';
  const dayStart = Date.parse(`${day}T00:00:00Z`);
  return {
    schema: 1,
    day,
    generatedAt: dayStart + 86_400_000 + 5_000,
    partial,
    score: {
      score,
      rawPoints: score,
      penaltyPoints: 0,
      dimensions: DIMENSIONS,
      grade,
      action: grade === 'C' ? 'rules_mode' : 'maintain',
      trades: 43,
      minTrades: 20,
      enoughTrades: true,
      windowDays: 7,
      windowFromMs: dayStart - 6 * 86_400_000,
      windowToMs: dayStart + 86_400_000,
    },
    gradeBefore: 'B',
    gradeAfter: grade,
    actionTaken: grade === 'C' ? 'switched to pure rules mode' : 'none',
    pnlUsdt,
    dayFigures: figures(7, pnlUsdt),
    windowFigures: figures(43, pnlUsdt * 5),
    exploration: { trades: 0, wins: 0, pnlUsdt: 0 },
    leverageDistribution: [{ leverage: 3, trades: 7 }],
    modeChanges: [],
    model: { version: null, calibration: null },
    alerts: [],
    equityCurve: [{ at: dayStart, equityUsdt: 10_000 }],
    equitySource: 'venue',
    dailyPnl: [{ day, pnlUsdt }],
  };
}

/** A ReportCards test double: reports are whatever the test stores in `stored`. */
export class ScriptedReports implements ReportCards {
  readonly stored = new Map<string, DailyReport>();
  builtToday = 0;
  constructor(private readonly clock: Clock) {}
  add(day: string, score: number, pnlUsdt = 12.5): DailyReport {
    const report = sampleReport(day, score, pnlUsdt);
    this.stored.set(day, report);
    return report;
  }
  async latest(): Promise<DailyReport | null> {
    return [...this.stored.values()].sort((a, b) => (a.day < b.day ? 1 : -1))[0] ?? null;
  }
  async forDay(dayUtc: string): Promise<DailyReport | null> {
    return this.stored.get(dayUtc) ?? null;
  }
  async today(): Promise<DailyReport> {
    this.builtToday++;
    return sampleReport(new Date(this.clock.now()).toISOString().slice(0, 10), 75, 0, true);
  }
  async scoreHistory(days: number): Promise<ScorePoint[]> {
    return [...this.stored.values()]
      .sort((a, b) => (a.day < b.day ? -1 : 1))
      .slice(-days)
      .map((r) => ({
        day: r.day,
        score: r.score.score,
        grade: r.score.grade,
        enoughTrades: true,
        trades: r.score.trades,
        pnlUsdt: r.dayFigures.pnlUsdt,
      }));
  }
  async charts(report: DailyReport): Promise<NoticeAttachment[]> {
    return [pngAttachment(`equity-${report.day}.png`), pngAttachment(`score-history-${report.day}.png`)];
  }
}

export interface RigOptions {
  readonly clock?: Clock & { advance?(ms: number): void };
  readonly withReports?: boolean;
  readonly closeWaitMs?: number;
  readonly tradingState?: () => TradingStatus;
  readonly protection?: () => PositionProtection[];
  /** More symbols than the bundled three (benchmarks): each trades with BTCUSDT's rules. */
  readonly symbols?: readonly string[];
}

export function commandRig(options: RigOptions = {}) {
  const manual = new ManualClock(START_MS);
  const clock: Clock = options.clock ?? manual;
  const symbols = options.symbols ?? SYMBOLS;
  const symbolRules =
    options.symbols === undefined ? rules : new Map(symbols.map((symbol) => [symbol, { ...rules.get('BTCUSDT')!, symbol }]));
  const paper = new PaperExchange({
    rules: symbolRules,
    clock,
    logger: silentLogger,
    startingBalanceUsdt: options.symbols === undefined ? 10_000 : 1_000_000,
  });
  const store = new MemoryStore();
  const subscriptions = new MemorySubscriptions(clock);
  const reports = new ScriptedReports(clock);
  const trader = new Trader(
    { ...defaultTraderConfig(symbols, defaultPipelineConfig), unknownPositions: 'adopt', timeStopMs: 0 },
    {
      exchange: paper,
      clock,
      logger: silentLogger,
      rules: symbolRules,
      persist: async () => undefined,
      recordTrade: (trade) => store.putTrade(trade),
      onEvent: () => undefined,
    },
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
    symbols,
    controllerStats: () => controller.stats(),
    persist: async () => undefined,
    tickNow: () => controller.tick(),
    startedAt: START_MS,
    subscriptions,
    ...(options.withReports === false ? {} : { reports }),
    closeWaitMs: options.closeWaitMs ?? 0,
    ...(options.tradingState === undefined ? {} : { tradingState: options.tradingState }),
    ...(options.protection === undefined ? {} : { protection: options.protection }),
  });

  const advance = (ms: number): void => {
    if (options.clock === undefined) manual.advance(ms);
  };

  const { openAdopted, nextPrice } = operatorActions({ paper, clock, advance, trader, controller });

  return { clock, manual, paper, store, subscriptions, reports, trader, controller, control, openAdopted, nextPrice };
}
