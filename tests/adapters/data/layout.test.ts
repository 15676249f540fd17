import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../../../src/errors.js';
import { availableSymbols, bundledDataDir, dataLayout } from '../../../src/adapters/data/layout.js';
import { CANDLE_HEADER_LINE, candleRows, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('bundledDataDir', () => {
  it('points at the project data/ folder whatever the working directory', () => {
    const dir = bundledDataDir();
    expect(dir.endsWith('data')).toBe(true);
    expect(existsSync(join(dir, 'PROVENANCE.md'))).toBe(true);
    expect(existsSync(join(dir, 'exchange', 'filters.json'))).toBe(true);
  });
});

describe('availableSymbols', () => {
  it('lists the bundled symbols and the crash fixture symbols', () => {
    expect(availableSymbols(bundledDataDir())).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(availableSymbols(join(bundledDataDir(), 'fixtures', 'crash-2025-10-10'))).toEqual([
      'BTCUSDT',
      'DOGEUSDT',
      'ETHUSDT',
      'SOLUSDT',
      'XRPUSDT',
    ]);
  });

  it('refuses a folder without candles/', () => {
    expect(() => availableSymbols(join(tmp.dir, 'missing'))).toThrow(DataError);
  });
});

describe('dataLayout', () => {
  it('resolves gzipped files of the bundled data', () => {
    const files = dataLayout(bundledDataDir()).files('BTCUSDT');
    expect(files.candles).toBe(join(bundledDataDir(), 'candles', 'BTCUSDT-5m.csv.gz'));
    expect(files.mark).toBe(join(bundledDataDir(), 'mark', 'BTCUSDT-1h-mark.csv.gz'));
    expect(files.funding).toBe(join(bundledDataDir(), 'funding', 'BTCUSDT-funding.csv'));
  });

  it('falls back to plain CSV and reports absent mark/funding as null', () => {
    tmp.write('candles/ABCUSDT-5m.csv', [CANDLE_HEADER_LINE, ...candleRows(2)]);
    const files = dataLayout(tmp.dir).files('ABCUSDT');
    expect(files.candles).toBe(join(tmp.dir, 'candles', 'ABCUSDT-5m.csv'));
    expect(files.mark).toBeNull();
    expect(files.funding).toBeNull();
  });

  it('names the candle file it looked for when a symbol has none', () => {
    expect(() => dataLayout(bundledDataDir()).files('XYZUSDT')).toThrow(/no candle file for XYZUSDT/);
  });
});
