import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../../src/errors.js';
import { bundledDataDir } from '../../../src/adapters/data/layout.js';
import { readCandles, readFunding, readMarkCandles } from '../../../src/adapters/data/series.js';
import { CANDLE_HEADER_LINE, STEP, T0, candleRows, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const AUG_1 = Date.UTC(2025, 7, 1);
const OCT_31_2355 = Date.UTC(2025, 9, 31, 23, 55);

/** Runs `fn`, expects a DataError, returns it. */
async function dataError(fn: () => Promise<unknown>): Promise<DataError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError, nothing was thrown');
}

describe('readCandles on the bundled data', () => {
  it.each(['BTCUSDT', 'ETHUSDT', 'SOLUSDT'])('loads and validates every 5m candle of %s from Aug to Oct 2025', async (symbol) => {
    const file = join(bundledDataDir(), 'candles', `${symbol}-5m.csv.gz`);
    const result = await readCandles(file);
    expect(result.file).toBe(file);
    expect(result.candles).toHaveLength(92 * 288);
    expect(result.firstTimestamp).toBe(AUG_1);
    expect(result.lastTimestamp).toBe(OCT_31_2355);
    expect(result.gaps).toEqual([]);
    const first = result.candles[0]!;
    expect(first.timestamp).toBe(AUG_1);
    expect(Object.keys(first)).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume']);
  });

  it('keeps the exact values of the file', async () => {
    const result = await readCandles(join(bundledDataDir(), 'candles', 'BTCUSDT-5m.csv.gz'));
    expect(result.candles[0]).toEqual({ timestamp: AUG_1, open: 115697.3, high: 115755, low: 115624.2, close: 115713.4, volume: 738.39 });
    expect(result.candles.at(-1)).toEqual({
      timestamp: OCT_31_2355,
      open: 109586.8,
      high: 109586.9,
      low: 109557.2,
      close: 109557.3,
      volume: 42.794,
    });
  });

  it('selects an inclusive from/to range while still reporting the whole file span', async () => {
    const from = Date.UTC(2025, 9, 10, 21, 0);
    const to = Date.UTC(2025, 9, 10, 22, 0);
    const result = await readCandles(join(bundledDataDir(), 'candles', 'BTCUSDT-5m.csv.gz'), { from, to });
    expect(result.candles).toHaveLength(13);
    expect(result.candles[0]!.timestamp).toBe(from);
    expect(result.candles.at(-1)!.timestamp).toBe(to);
    expect(result.firstTimestamp).toBe(AUG_1);
    expect(result.lastTimestamp).toBe(OCT_31_2355);
  });

  it('reads the plain-CSV crash fixture', async () => {
    const result = await readCandles(join(bundledDataDir(), 'fixtures', 'crash-2025-10-10', 'candles', 'BTCUSDT-5m.csv'));
    expect(result.candles).toHaveLength(216);
    const crash = result.candles.find((c) => c.timestamp === Date.UTC(2025, 9, 10, 21, 15))!;
    expect((crash.open - crash.low) / crash.open).toBeCloseTo(0.0887, 4);
  });
});

describe('readCandles refuses a bad file with its name and line', () => {
  const cases: Array<{ name: string; edit: (rows: string[]) => void; line: number; message: RegExp }> = [
    { name: 'a bad number', edit: (r) => (r[2] = r[2]!.replace(/,\d+$/, ',12x')), line: 4, message: /volume is not a finite number: "12x"/ },
    { name: 'an empty field', edit: (r) => (r[0] = r[0]!.replace(/^(\d+),\d+,/, '$1,,')), line: 2, message: /open is not a finite number/ },
    { name: 'a missing field', edit: (r) => (r[1] = r[1]!.replace(/,\d+$/, '')), line: 3, message: /expected 6 fields/ },
    { name: 'an extra field', edit: (r) => (r[1] = `${r[1]!},7`), line: 3, message: /expected 6 fields/ },
    { name: 'a repeated timestamp', edit: (r) => (r[3] = r[3]!.replace(/^\d+/, String(T0 + 2 * STEP))), line: 5, message: /strictly increase/ },
    { name: 'a timestamp going back', edit: (r) => (r[3] = r[3]!.replace(/^\d+/, String(T0))), line: 5, message: /strictly increase/ },
    { name: 'an off-grid timestamp', edit: (r) => (r[4] = r[4]!.replace(/^\d+/, String(T0 + 4 * STEP + 60_000))), line: 6, message: /off the 300000 ms grid/ },
    { name: 'a fractional timestamp', edit: (r) => (r[0] = r[0]!.replace(/^\d+/, `${T0}.5`)), line: 2, message: /not a non-negative integer/ },
    { name: 'high below low', edit: (r) => (r[1] = `${T0 + STEP},100,90,95,98,1`), line: 3, message: /high 90 < low 95/ },
    { name: 'high below close', edit: (r) => (r[1] = `${T0 + STEP},100,101,95,102,1`), line: 3, message: /high 101 is below/ },
    { name: 'low above open', edit: (r) => (r[1] = `${T0 + STEP},100,110,101,105,1`), line: 3, message: /low 101 is above/ },
    { name: 'a zero price', edit: (r) => (r[1] = `${T0 + STEP},0,110,0,105,1`), line: 3, message: /prices must be > 0/ },
    { name: 'a negative volume', edit: (r) => (r[1] = `${T0 + STEP},100,110,90,105,-1`), line: 3, message: /volume -1 is negative/ },
    { name: 'a blank line inside the data', edit: (r) => (r[2] = ''), line: 4, message: /blank line/ },
  ];

  for (const gz of [false, true]) {
    describe(gz ? 'gzipped (.csv.gz), same line numbers' : 'plain .csv', () => {
      it.each(cases)('names the line of $name', async ({ name, edit, line, message }) => {
        const rows = candleRows(8);
        edit(rows);
        const file = tmp.write(`bad/${name.replace(/\W+/g, '-')}${gz ? '.csv.gz' : '.csv'}`, [CANDLE_HEADER_LINE, ...rows]);
        const error = await dataError(() => readCandles(file));
        expect(error.file).toBe(file);
        expect(error.line).toBe(line);
        expect(error.message).toContain(`${file} line ${line}:`);
        expect(error.message).toMatch(message);
      });
    });
  }

  it.each([false, true])('refuses a wrong header on line 1 (gzip: %s)', async (gz) => {
    const file = tmp.write(`bad/header${gz ? '.csv.gz' : '.csv'}`, ['time,open,high,low,close,volume', ...candleRows(3)]);
    const error = await dataError(() => readCandles(file));
    expect(error.line).toBe(1);
    expect(error.message).toContain(`${file} line 1: header must be exactly "timestamp,open,high,low,close,volume"`);
  });

  it('validates rows outside the from/to selection too', async () => {
    const rows = candleRows(10);
    rows[8] = `${T0 + 8 * STEP},100,90,95,98,1`;
    const file = tmp.write('bad/outside-range.csv', [CANDLE_HEADER_LINE, ...rows]);
    const error = await dataError(() => readCandles(file, { from: T0, to: T0 + STEP }));
    expect(error.line).toBe(10);
  });

  it('refuses a file with a header and no rows', async () => {
    const file = tmp.write('bad/header-only.csv', [CANDLE_HEADER_LINE]);
    const error = await dataError(() => readCandles(file));
    expect(error.message).toMatch(/no data rows/);
  });

  it('refuses a zero-byte file on line 1', async () => {
    const file = tmp.writeRaw('bad/empty.csv', '');
    const error = await dataError(() => readCandles(file));
    expect(error.line).toBe(1);
    expect(error.message).toMatch(/empty file/);
  });

  it('says "not found" with the path of a missing file', async () => {
    const file = join(tmp.dir, 'nowhere', 'BTCUSDT-5m.csv.gz');
    const error = await dataError(() => readCandles(file));
    expect(error.file).toBe(file);
    expect(error.message).toBe(`${file}: not found`);
  });

  it('names the file of a truncated gzip', async () => {
    const whole = gzipSync(`${[CANDLE_HEADER_LINE, ...candleRows(2000)].join('\n')}\n`);
    const file = tmp.writeRaw('bad/truncated.csv.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    const error = await dataError(() => readCandles(file));
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/corrupt or truncated gzip/);
  });

  it('names the file of something that is not gzip at all', async () => {
    const file = tmp.writeRaw('bad/not-gzip.csv.gz', `${CANDLE_HEADER_LINE}\n`);
    const error = await dataError(() => readCandles(file));
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/corrupt or truncated gzip/);
  });
});

describe('readCandles reports, without failing', () => {
  it('gaps as the candle before them and the number of candles missing', async () => {
    const rows = [...candleRows(3), ...candleRows(2, T0 + 6 * STEP), ...candleRows(1, T0 + 10 * STEP)];
    const file = tmp.write('ok/gaps.csv.gz', [CANDLE_HEADER_LINE, ...rows]);
    const result = await readCandles(file);
    expect(result.candles).toHaveLength(6);
    expect(result.gaps).toEqual([
      { afterTimestamp: T0 + 2 * STEP, missing: 3 },
      { afterTimestamp: T0 + 7 * STEP, missing: 2 },
    ]);
  });

  it('zero-volume candles as a count', async () => {
    const rows = candleRows(4);
    rows[1] = `${T0 + STEP},100,100,100,100,0`;
    rows[3] = `${T0 + 3 * STEP},100,100,100,100,0`;
    const result = await readCandles(tmp.write('ok/zero-volume.csv', [CANDLE_HEADER_LINE, ...rows]));
    expect(result.zeroVolume).toBe(2);
    expect(result.candles).toHaveLength(4);
  });

  it('accepts CRLF line endings and a missing final newline', async () => {
    const file = join(tmp.dir, 'ok-crlf.csv');
    writeFileSync(file, [CANDLE_HEADER_LINE, ...candleRows(3)].join('\r\n'));
    const result = await readCandles(file);
    expect(result.candles.map((c) => c.volume)).toEqual([10, 11, 12]);
  });

  it('follows a custom step: hourly rows are gaps on the 5m grid, 5m rows are off an hourly grid', async () => {
    const hourly = tmp.write('ok/hourly.csv', [CANDLE_HEADER_LINE, ...candleRows(3, T0, 3_600_000)]);
    expect((await readCandles(hourly)).gaps).toHaveLength(2);
    expect((await readCandles(hourly, { stepMs: 3_600_000 })).gaps).toEqual([]);
    const fiveMinute = tmp.write('ok/five-minute.csv', [CANDLE_HEADER_LINE, ...candleRows(3)]);
    expect((await dataError(() => readCandles(fiveMinute, { stepMs: 3_600_000 }))).line).toBe(3);
  });
});

describe('readMarkCandles and readFunding', () => {
  it('load the bundled hourly mark candles and 8-hourly funding', async () => {
    const marks = await readMarkCandles(join(bundledDataDir(), 'mark', 'ETHUSDT-1h-mark.csv.gz'));
    expect(marks).toHaveLength(92 * 24);
    expect(marks[0]!.timestamp).toBe(AUG_1);
    const funding = await readFunding(join(bundledDataDir(), 'funding', 'ETHUSDT-funding.csv'));
    expect(funding).toHaveLength(92 * 3);
    expect(funding[0]).toEqual({ timestamp: AUG_1, rate: -0.00003749 });
  });

  it('keep the mark hour that contains `from`', async () => {
    const from = Date.UTC(2025, 9, 10, 21, 15);
    const marks = await readMarkCandles(join(bundledDataDir(), 'mark', 'BTCUSDT-1h-mark.csv.gz'), { from, to: from });
    expect(marks.map((m) => m.timestamp)).toEqual([Date.UTC(2025, 9, 10, 21, 0)]);
  });

  it('refuse a mark file with an off-hour timestamp, naming its line', async () => {
    const file = tmp.write('bad/mark.csv.gz', ['timestamp,open,high,low,close', `${T0},1,2,0.5,1.5`, `${T0 + STEP},1,2,0.5,1.5`]);
    const error = await dataError(() => readMarkCandles(file));
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/off the 3600000 ms grid/);
  });

  it('refuse a mark file with a trade-candle header', async () => {
    const file = tmp.write('bad/mark-header.csv', [CANDLE_HEADER_LINE, ...candleRows(2)]);
    const error = await dataError(() => readMarkCandles(file));
    expect(error.line).toBe(1);
  });

  it('refuse funding that goes back in time or is not a number', async () => {
    const back = tmp.write('bad/funding-back.csv', ['timestamp,rate', `${T0},0.0001`, `${T0 + 8 * 3_600_000},0.0001`, `${T0},0.0001`]);
    expect((await dataError(() => readFunding(back))).line).toBe(4);
    const nan = tmp.write('bad/funding-nan.csv', ['timestamp,rate', `${T0},abc`]);
    const error = await dataError(() => readFunding(nan));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/rate is not a finite number/);
  });
});
