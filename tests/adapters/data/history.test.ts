import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { bundledDataDir } from '../../../src/adapters/data/layout.js';
import { loadMarketHistory } from '../../../src/adapters/data/history.js';
import { CANDLE_HEADER_LINE, STEP, T0, candleRows, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('loadMarketHistory', () => {
  it('loads candles, mark and funding of the bundled symbols for a range', async () => {
    const from = Date.UTC(2025, 9, 1);
    const to = Date.UTC(2025, 9, 1, 23, 55);
    const history = await loadMarketHistory(bundledDataDir(), ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], { from, to });
    expect([...history.keys()]).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    for (const h of history.values()) {
      expect(h.candles).toHaveLength(288);
      expect(h.mark).toHaveLength(24);
      expect(h.funding?.map((f) => f.timestamp)).toEqual([from, from + 8 * 3_600_000, from + 16 * 3_600_000]);
      expect(h.gaps).toEqual([]);
      expect(h.warnings.filter((w) => w.includes('mark') || w.includes('funding'))).toEqual([]);
    }
  });

  it('loads the crash fixture with all five symbols', async () => {
    const dir = join(bundledDataDir(), 'fixtures', 'crash-2025-10-10');
    const history = await loadMarketHistory(dir, ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT']);
    for (const h of history.values()) {
      expect(h.candles).toHaveLength(216);
      expect(h.mark).toHaveLength(18);
      expect(h.warnings).toEqual([]);
    }
  });

  it('treats missing mark and funding files as warnings, not errors', async () => {
    tmp.write('no-extras/candles/ABCUSDT-5m.csv.gz', [CANDLE_HEADER_LINE, ...candleRows(4)]);
    const history = await loadMarketHistory(join(tmp.dir, 'no-extras'), ['ABCUSDT']);
    const abc = history.get('ABCUSDT')!;
    expect(abc.candles).toHaveLength(4);
    expect(abc.mark).toBeNull();
    expect(abc.funding).toBeNull();
    expect(abc.warnings).toContain('no mark data for ABCUSDT: mark = trade price');
    expect(abc.warnings).toContain('no funding data for ABCUSDT: the paper venue charges the fallback rate (FUNDING_RATE_FALLBACK_PCT) at every 8-hourly funding time');
  });

  it('warns about gaps and mark data that does not cover the candles', async () => {
    const dir = join(tmp.dir, 'gappy');
    tmp.write('gappy/candles/ABCUSDT-5m.csv', [CANDLE_HEADER_LINE, ...candleRows(2), ...candleRows(2, T0 + 20 * STEP)]);
    tmp.write('gappy/mark/ABCUSDT-1h-mark.csv', ['timestamp,open,high,low,close', `${T0},100,103,99,101`]);
    tmp.write('gappy/funding/ABCUSDT-funding.csv', ['timestamp,rate', `${T0},0.0001`]);
    const abc = (await loadMarketHistory(dir, ['ABCUSDT'])).get('ABCUSDT')!;
    expect(abc.gaps).toEqual([{ afterTimestamp: T0 + STEP, missing: 18 }]);
    expect(abc.warnings.some((w) => /1 gap\(s\).*18 candle\(s\) missing/.test(w))).toBe(true);
    expect(abc.warnings.some((w) => w.startsWith('mark data for ABCUSDT does not cover all candles'))).toBe(true);
  });

  it('reports a bad candle file first, even when a mark file read alongside is broken too', async () => {
    // AAA has a broken mark file, BBB a broken candle file: the candle error must win.
    tmp.write('order/candles/AAAUSDT-5m.csv', [CANDLE_HEADER_LINE, ...candleRows(3)]);
    tmp.write('order/mark/AAAUSDT-1h-mark.csv', ['not,a,mark,header']);
    const rows = candleRows(3);
    rows[2] = `${T0 + 2 * STEP},100,90,95,98,1`;
    const badCandles = tmp.write('order/candles/BBBUSDT-5m.csv', [CANDLE_HEADER_LINE, ...rows]);
    await expect(loadMarketHistory(join(tmp.dir, 'order'), ['AAAUSDT', 'BBBUSDT'])).rejects.toThrow(`${badCandles} line 4: high 90 < low 95`);
  });

  it('then reports a broken mark file with its line', async () => {
    tmp.write('bad-mark/candles/AAAUSDT-5m.csv', [CANDLE_HEADER_LINE, ...candleRows(3)]);
    const mark = tmp.write('bad-mark/mark/AAAUSDT-1h-mark.csv', ['not,a,mark,header']);
    await expect(loadMarketHistory(join(tmp.dir, 'bad-mark'), ['AAAUSDT'])).rejects.toThrow(`${mark} line 1: header must be`);
  });

  it('refuses a range with no candles, saying what the file covers', async () => {
    await expect(loadMarketHistory(bundledDataDir(), ['BTCUSDT'], { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 2) })).rejects.toThrow(
      /no candles in the requested range 2024-01-01T00:00:00\.000Z → 2024-01-02T00:00:00\.000Z; the file covers 2025-08-01T00:00:00\.000Z → 2025-10-31T23:55:00\.000Z/,
    );
  });
});
