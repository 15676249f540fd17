/**
 * BLUEPRINT "Paper fills" (Decided): an isolated position never loses more than its margin.
 * A candle that gaps through both the stop and the liquidation price liquidates the position
 * (margin lost, flagged as a forced close) instead of filling the stop beyond it.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/adapters/clock.js';
import { bundledDataDir, loadExchangeRules } from '../../../src/adapters/data/index.js';
import { PaperExchange } from '../../../src/adapters/paper/paper-exchange.js';
import { silentLogger } from '../../../src/logger.js';

const T0 = Date.UTC(2025, 7, 1);

async function longWithStop(stopPrice: number) {
  const clock = new ManualClock(T0);
  const paper = new PaperExchange({
    rules: loadExchangeRules(bundledDataDir(), ['BTCUSDT']),
    clock,
    logger: silentLogger,
    startingBalanceUsdt: 1000,
    slippageRate: 0,
    funding: new Map(),
  });
  paper.onTicker('BTCUSDT', 100_000, 100_000, T0);
  await paper.setLeverage('BTCUSDT', 10);
  paper.placeOrderNow({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01, reduceOnly: false, clientOrderId: 'entry' });
  paper.onTicker('BTCUSDT', 100_000, 100_000, T0 + 1000);
  paper.placeOrderNow({
    symbol: 'BTCUSDT',
    side: 'sell',
    type: 'stop_market',
    quantity: 0.01,
    stopPrice,
    reduceOnly: true,
    clientOrderId: 'sl',
  });
  const [position] = await paper.fetchPositions(0);
  return { paper, clock, position: position! };
}

describe('a gap through the stop and the liquidation price', () => {
  it('is a liquidation capped at the margin, not a stop fill beyond it', async () => {
    const { paper, position } = await longWithStop(95_000);
    // 0.01 BTC at 100 000, 10x: 100 USDT of isolated margin; liquidation a little above 90 000.
    expect(position.isolatedMarginUsdt).toBeCloseTo(100, 9);
    expect(position.liquidationPrice).toBeGreaterThan(90_000);
    expect(position.liquidationPrice).toBeLessThan(95_000);
    const walletBefore = (await paper.fetchBalance()).walletBalanceUsdt;
    // The next candle opens at 80 000: below the stop and below the liquidation price.
    const candle = { timestamp: T0 + 300_000, open: 80_000, high: 81_000, low: 79_000, close: 80_500, volume: 1 };
    paper.onCandle({ symbol: 'BTCUSDT', candle, mark: null });

    expect(await paper.fetchPositions(0)).toEqual([]);
    const forced = await paper.fetchForcedCloses('BTCUSDT', T0);
    expect(forced).toHaveLength(1);
    expect(forced[0]!.price).toBeCloseTo(position.liquidationPrice!, 6);
    // The stop did not fill at 80 000 (a 200 USDT loss): the margin, 100 USDT, is all that is lost.
    expect((await paper.fetchOrder('BTCUSDT', 'sl'))?.status).toBe('expired');
    expect((await paper.fetchOrder('BTCUSDT', 'sl'))?.filledQuantity).toBe(0);
    expect(walletBefore - (await paper.fetchBalance()).walletBalanceUsdt).toBeCloseTo(100, 9);
    expect(paper.totalsSoFar().liquidations).toBe(1);
  });

  it('a gap through the stop that stays above the liquidation price still fills the stop at the open', async () => {
    const { paper } = await longWithStop(95_000);
    const candle = { timestamp: T0 + 300_000, open: 93_000, high: 93_500, low: 92_500, close: 93_200, volume: 1 };
    paper.onCandle({ symbol: 'BTCUSDT', candle, mark: null });
    const stop = await paper.fetchOrder('BTCUSDT', 'sl');
    expect(stop).toMatchObject({ status: 'filled', averagePrice: 93_000 });
    expect(paper.totalsSoFar().liquidations).toBe(0);
  });
});
