import { describe, expect, it } from 'vitest';
import { intrabarPath, pathFraction, pathLength, slippedPrice, triggeredFillPrice } from '../../../src/adapters/paper/intrabar.js';

const candle = (open: number, high: number, low: number, close: number) => ({ timestamp: 0, open, high, low, close, volume: 1 });

describe('intrabar path', () => {
  it('goes open → low → high → close when the candle closes up (or flat)', () => {
    expect(intrabarPath(candle(100, 105, 95, 102))).toEqual([100, 95, 105, 102]);
    expect(intrabarPath(candle(100, 105, 95, 100))).toEqual([100, 95, 105, 100]);
  });

  it('goes open → high → low → close when the candle closes down', () => {
    expect(intrabarPath(candle(100, 105, 95, 98))).toEqual([100, 105, 95, 98]);
  });

  it('measures the distance travelled along the path', () => {
    expect(pathLength([100, 95, 105, 102])).toBe(5 + 10 + 3);
    expect(pathFraction(9, 18)).toBe(0.5);
    expect(pathFraction(1, 0)).toBe(0);
  });
});

describe('fill prices', () => {
  it('worsens a market fill by slippage and rounds to the tick against the trader', () => {
    expect(slippedPrice('buy', 100, 0.0005, 0.1)).toBe(100.1); // 100.05 → up
    expect(slippedPrice('sell', 100, 0.0005, 0.1)).toBe(99.9); // 99.95 → down
    expect(slippedPrice('buy', 100, 0, 0.1)).toBe(100);
  });

  it('fills a triggered stop at the trigger worsened by slippage but never beyond the candle extreme', () => {
    expect(triggeredFillPrice('sell', 100, 0.0005, 0.1, 90, 110)).toBe(99.9);
    expect(triggeredFillPrice('sell', 100, 0.01, 0.1, 99.5, 110)).toBe(99.5);
    expect(triggeredFillPrice('buy', 100, 0.01, 0.1, 90, 100.4)).toBe(100.4);
  });
});
