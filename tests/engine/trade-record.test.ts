/** The trade record's cost fields: slippage next to fees and funding, the rule, the side. */
import { describe, expect, it } from 'vitest';
import type { ManagedPosition } from '../../src/engine/ports.js';
import { tradeRecordOf } from '../../src/engine/trader/trade-record.js';

const position: ManagedPosition = {
  symbol: 'BTCUSDT',
  side: 'long',
  leverage: 5,
  leverageRaw: 5.2,
  leverageClamps: [],
  winProbability: 0.6,
  confidence: 0.55,
  baseSlPct: 0.01,
  rule: 'rsi_reversal',
  tickSize: 0.1,
  stepSize: 0.001,
  minNotionalUsdt: 10,
  exploration: false,
  strategyMode: 'rules',
  modelVersion: null,
  size: 2,
  entryPrice: 100.1,
  slPrice: 98,
  tpPrice: 103.2,
  liquidationPrice: 80.5,
  openedAt: 0,
  entryClientOrderId: 'e1',
  slClientOrderId: 'sl1',
  tpClientOrderId: 'tp1',
  feesUsdt: 0.1,
  fundingUsdt: 0,
  adopted: false,
  exitClientOrderId: null,
  exitReason: null,
  // Decided at 100.0, filled at 100.1: 0.1 × 2 = 0.2 USDT of entry slippage.
  entryReferencePrice: 100,
};

describe('trade record costs', () => {
  it('a stop exit: entry 0.1 × 2 = 0.2 plus stop trigger 98 filled at 97.9: 0.1 × 2 = 0.2 → slippage 0.4', () => {
    const t = tradeRecordOf(position, {
      exitReason: 'sl',
      exitPrice: 97.9,
      exitFeeUsdt: 0.05,
      closedAt: 60_000,
      fundingUsdt: -0.02,
      exitReferencePrice: 98,
    });
    expect(t.slippageUsdt).toBeCloseTo(0.4, 12);
    expect(t.feesUsdt).toBeCloseTo(0.15, 12);
    expect(t.fundingUsdt).toBe(-0.02);
    // Slippage is inside the prices: P&L = 2 × (97.9 − 100.1) − 0.15 − 0.02 = −4.57.
    expect(t.pnlUsdt).toBeCloseTo(-4.57, 12);
    expect(t.rule).toBe('rsi_reversal');
    expect(t.side).toBe('long');
  });

  it('a take-profit limit has no exit slippage; a short measures slippage the other way', () => {
    const tp = tradeRecordOf(position, {
      exitReason: 'tp',
      exitPrice: 103.2,
      exitFeeUsdt: 0.04,
      closedAt: 60_000,
      fundingUsdt: 0,
      exitReferencePrice: null,
    });
    expect(tp.slippageUsdt).toBeCloseTo(0.2, 12);
    // Short decided at 100, filled at 99.9 (worse for a seller): 0.2; closed by market at 95.1 when the price was 95: 0.2.
    const short = tradeRecordOf(
      { ...position, side: 'short', entryPrice: 99.9, slPrice: 102, tpPrice: 96.8 },
      { exitReason: 'signal', exitPrice: 95.1, exitFeeUsdt: 0.04, closedAt: 60_000, fundingUsdt: 0, exitReferencePrice: 95 },
    );
    expect(short.slippageUsdt).toBeCloseTo(0.4, 12);
  });

  it('a position without a decision price (adopted, older snapshot) has only exit slippage', () => {
    const { entryReferencePrice: _dropped, ...adopted } = position;
    const t = tradeRecordOf(
      { ...adopted, rule: 'adopted' },
      { exitReason: 'sl', exitPrice: 97.9, exitFeeUsdt: 0, closedAt: 1, fundingUsdt: 0, exitReferencePrice: 98 },
    );
    expect(t.slippageUsdt).toBeCloseTo(0.2, 12);
    expect(t.rule).toBe('adopted');
  });
});
