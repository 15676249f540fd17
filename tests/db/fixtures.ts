/** Builders for realistic records and a logger that remembers what it was told (tests and bench). */
import type { EngineSnapshot, LogFields, Logger } from '../../src/engine/ports.js';
import type { TradeRecord } from '../../src/engine/types.js';

export interface LoggedLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly component: string;
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** A Logger that records every line (children share the record). */
export class RecordingLogger implements Logger {
  constructor(
    readonly lines: LoggedLine[] = [],
    private readonly component = 'test',
  ) {}
  debug(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'debug', component: this.component, message, fields });
  }
  info(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', component: this.component, message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', component: this.component, message, fields });
  }
  error(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', component: this.component, message, fields });
  }
  child(component: string): Logger {
    return new RecordingLogger(this.lines, component);
  }
  messages(level?: LoggedLine['level']): string[] {
    return this.lines.filter((l) => level === undefined || l.level === level).map((l) => l.message);
  }
}

const HOUR_MS = 3_600_000;

/** A closed BTC-like trade with a leverage clamp, fees and funding; `overrides` win. */
export function sampleTrade(index: number, overrides: Partial<TradeRecord> = {}): TradeRecord {
  const symbol = overrides.symbol ?? ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'][index % 3] ?? 'BTCUSDT';
  const openedAt = Date.UTC(2024, 4, 1) + index * HOUR_MS;
  const entryPrice = 60_000 + (index % 50) * 12.5;
  const long = index % 2 === 0;
  const exitPrice = entryPrice * (long ? 1.004 : 0.997);
  const size = 0.012;
  const leverage = 8;
  const notionalUsdt = entryPrice * size;
  const feesUsdt = notionalUsdt * 0.0004 * 2;
  const pnlUsdt = (long ? exitPrice - entryPrice : entryPrice - exitPrice) * size - feesUsdt;
  return {
    id: `T${String(index).padStart(6, '0')}`,
    symbol,
    side: long ? 'long' : 'short',
    openedAt,
    closedAt: openedAt + 45 * 60_000,
    entryPrice,
    exitPrice,
    size,
    notionalUsdt,
    marginUsdt: notionalUsdt / leverage,
    winProbability: 0.61,
    confidence: 0.58,
    leverageRaw: 11.4,
    leverage,
    leverageClamps: [
      { step: 'cold_start', from: 11.4, to: 10, reason: 'first 100 trades' },
      { step: 'bracket', from: 10, to: 8, reason: 'bracket 1 max 8x' },
    ],
    baseSlPct: 0.012,
    slPrice: entryPrice * (long ? 0.988 : 1.012),
    tpPrice: entryPrice * (long ? 1.018 : 0.982),
    liquidationPrice: entryPrice * (long ? 0.882 : 1.118),
    tickSize: 0.1,
    stepSize: 0.001,
    minNotionalUsdt: 100,
    riskAmountUsdt: 8.64,
    plannedRiskUsdt: 9,
    feesUsdt,
    fundingUsdt: -0.031,
    slippageUsdt: 0,
    rule: 'breakout',
    pnlUsdt,
    exitReason: long ? 'tp' : 'sl',
    is100PctLoss: false,
    liquidated: false,
    exploration: index % 20 === 0,
    strategyMode: 'self_learning',
    modelVersion: index % 4 === 0 ? null : 'm-2024-05-01',
    ...overrides,
  };
}

/** A snapshot with a position, a pending order and a paper venue, with awkward numbers. */
export function sampleSnapshot(savedAt = Date.UTC(2024, 4, 2, 12)): EngineSnapshot {
  return {
    version: 1,
    savedAt,
    state: { paused: false, strategyMode: 'self_learning', grade: 'A', closedTradeCount: 37, explorationTaken: 2, explorationSeen: 41 },
    positions: [
      {
        symbol: 'BTCUSDT',
        side: 'long',
        size: 0.012,
        entryPrice: 61_234.5,
        slPrice: 60_499.7,
        tpPrice: 62_336.72,
        liquidationPrice: 54_008.1,
        leverage: 8,
        leverageRaw: 11.4,
        leverageClamps: [{ step: 'bracket', from: 11.4, to: 8, reason: 'bracket 1 max 8x' }],
        openedAt: savedAt - 600_000,
        winProbability: 0.6123456789012345,
        confidence: 0.1 + 0.2,
        baseSlPct: 0.012,
        tickSize: 0.1,
        stepSize: 0.001,
        minNotionalUsdt: 100,
        exploration: false,
        strategyMode: 'self_learning',
        modelVersion: null,
        entryClientOrderId: 'slt-BTCUSDT-1714651200000-e',
        slClientOrderId: 'slt-BTCUSDT-1714651200000-sl',
        tpClientOrderId: null,
        feesUsdt: 0.2939256,
        fundingUsdt: -1e-7,
        adopted: false,
        rule: 'ema_cross_rsi',
        exitClientOrderId: null,
        exitReason: null,
      },
    ],
    pendingOrders: [
      {
        request: {
          symbol: 'ETHUSDT',
          side: 'sell',
          type: 'stop_market',
          quantity: 0.5,
          stopPrice: 2999.99,
          reduceOnly: true,
          clientOrderId: 'slt-ETHUSDT-1-sl',
        },
        purpose: 'sl',
        createdAt: savedAt - 1,
        stage: 'intent',
        draft: null,
      },
    ],
    lastCandleAt: { BTCUSDT: savedAt - 300_000, ETHUSDT: savedAt - 300_000 },
    ruleStatistics: { ema_cross_rsi: { wins: 12, losses: 9 } },
    venue: { balances: { USDT: 1000.123456789 }, positions: [], orders: [], unicode: 'ünïcødé ✅' },
  };
}
