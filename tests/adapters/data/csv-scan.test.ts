import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../../src/errors.js';
import { parseDecimalBytes, scanNumericCsv } from '../../../src/adapters/data/csv-scan.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('slt-scan-');
afterAll(() => tmp.remove());

const encoder = new TextEncoder();
const parsers: [string, (text: string) => number][] = [
  [
    'parseDecimalBytes',
    (text) => {
      // Inside a larger array, so a parser reading outside [start, end) would be caught.
      const bytes = encoder.encode(`9-${text}.9`);
      return parseDecimalBytes(bytes, 2, bytes.length - 2);
    },
  ],
];

describe.each(parsers)('%s', (_name, parse) => {
  it('returns the same double as Number() for plain decimals', () => {
    const decimal = fc
      .tuple(fc.boolean(), fc.stringMatching(/^\d{1,12}$/), fc.option(fc.stringMatching(/^\d{0,10}$/), { nil: undefined }))
      .map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}`);
    fc.assert(
      fc.property(decimal, (text) => {
        expect(Object.is(parse(text), Number(text))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every double printed by JavaScript, exponents and long mantissas included', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(parse(String(value))).toBe(Number(String(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it.each(['1.5e3', '-2E-2', '+7', '.5', '5.', '-.5', '12345678901234567890', '0.12345678901234567890123456'])(
    'reads %j like Number()',
    (text) => {
      expect(parse(text)).toBe(Number(text));
    },
  );

  it.each(['', '-', '.', '-.', ' 1', '1 ', '1,5', '0x10', '1e', 'abc', 'Infinity', '-Infinity', 'NaN', '1e999', '--1', '1.2.3', '1é', '١'])(
    'gives NaN for %j',
    (text) => {
      expect(parse(text)).toBeNaN();
    },
  );
});

describe('parseDecimalBytes inside a line', () => {
  it('parses a field in place', () => {
    const line = '1754006400000,115697.3,115755';
    expect(parseDecimalBytes(encoder.encode(line), 14, 22)).toBe(115697.3);
  });
});

/** Every row `scanNumericCsv` hands over, as [line, ...fields]. */
async function scanRows(file: string, header: string, chunkBytes?: number): Promise<number[][]> {
  const rows: number[][] = [];
  const count = await scanNumericCsv(file, header, (fields, line) => rows.push([line, ...fields]), chunkBytes === undefined ? {} : { chunkBytes });
  expect(count).toBe(rows.length);
  return rows;
}

async function scanError(file: string, header: string, chunkBytes?: number): Promise<DataError> {
  try {
    await scanRows(file, header, chunkBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError, nothing was thrown');
}

describe('scanNumericCsv', () => {
  const header = 'timestamp,price,size';
  // BOM, CRLF and LF line ends, negatives, an exponent, a leading '+' and '.', long mantissas, 23 fraction digits,
  // no final newline.
  const content =
    `\uFEFF${header}\r\n` +
    '1754006400000,115697.3,738.39\r\n' +
    '1754006700000,-0.5,1.5e3\n' +
    '1754007000000,+7,.25\n' +
    '1754007300000,12345678901234567890,0.000000000000000000000001\n' +
    '1754007500000,0.00000000000000000000001,-0\n' +
    '1754007600000,115713.4,455.413';
  const expected = [
    [2, 1754006400000, 115697.3, 738.39],
    [3, 1754006700000, -0.5, 1500],
    [4, 1754007000000, 7, 0.25],
    [5, 1754007300000, Number('12345678901234567890'), 1e-24],
    [6, 1754007500000, 1e-23, -0],
    [7, 1754007600000, 115713.4, 455.413],
  ];
  const bytes = Buffer.from(content);

  it('reads BOM, CRLF, exponents and a last line without newline', async () => {
    expect(await scanRows(tmp.writeRaw('ok/mixed.csv', content), header)).toEqual(expected);
    expect(await scanRows(tmp.writeRaw('ok/mixed.csv.gz', gzipSync(content)), header)).toEqual(expected);
  });

  it('gives the same rows when chunks cut the file at every offset', async () => {
    const file = tmp.writeRaw('ok/chunks.csv', content);
    // Chunk size k cuts at every multiple of k, so k = 1 … length-1 cuts at every offset (the BOM and CRLF included).
    for (let chunkBytes = 1; chunkBytes < bytes.length; chunkBytes++) {
      expect(await scanRows(file, header, chunkBytes)).toEqual(expected);
    }
    // gunzip output chunks are at least 64 bytes.
    const gz = tmp.writeRaw('ok/chunks.csv.gz', gzipSync(content));
    for (const chunkBytes of [64, 65, 71, 100]) expect(await scanRows(gz, header, chunkBytes)).toEqual(expected);
  });

  it('reads every plain decimal as the same double as Number() (the one-pass line parser)', async () => {
    const decimal = fc
      .tuple(fc.boolean(), fc.stringMatching(/^\d{1,20}$/), fc.option(fc.stringMatching(/^\d{0,25}$/), { nil: undefined }))
      .map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}`);
    const file = `${tmp.dir}/ok/property.csv`;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(decimal, decimal, decimal), { minLength: 1, maxLength: 50 }), async (rows) => {
        tmp.writeRaw('ok/property.csv', `${header}\n${rows.map((row) => row.join(',')).join('\n')}\n`);
        const got = await scanRows(file, header);
        rows.forEach((row, i) => {
          expect(got[i]!.slice(1).every((value, k) => Object.is(value, Number(row[k])))).toBe(true);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('names the same line and text for an error whatever the chunk size', async () => {
    const file = tmp.writeRaw('bad/garbage.csv', `${header}\n1,2,3\n4,5\u00e9,6\n7,8,9\n`);
    for (const chunkBytes of [undefined, 1, 2, 3, 5, 8]) {
      const error = await scanError(file, header, chunkBytes);
      expect(error.line).toBe(3);
      expect(error.message).toBe(`${file} line 3: price is not a finite number: "5\u00e9"`);
    }
  });

  it('quotes non-ASCII garbage decoded as UTF-8 and names the column', async () => {
    const file = tmp.writeRaw('bad/utf8.csv', `${header}\n1,2,3\n4,5,\u20ac\u00a0\n`);
    const error = await scanError(file, header);
    expect(error.message).toBe(`${file} line 3: size is not a finite number: "\u20ac\u00a0"`);
  });

  it('refuses a BOM that is not at the start of the file', async () => {
    const file = tmp.writeRaw('bad/bom.csv', `${header}\n\uFEFF1,2,3\n`);
    expect((await scanError(file, header)).message).toBe(`${file} line 2: timestamp is not a finite number: "\uFEFF1"`);
  });

  it.each([
    ['too few fields', '1,2', 'expected 3 fields (timestamp,price,size), found 2'],
    ['too many fields', '1,2,3,4', 'expected 3 fields (timestamp,price,size), found more'],
    ['an empty field', '1,,3', 'price is not a finite number: ""'],
    ['a lone minus', '1,-,3', 'price is not a finite number: "-"'],
    ['a space', '1,2 ,3', 'price is not a finite number: "2 "'],
  ])('refuses %s with the line number', async (_name, line, message) => {
    const file = tmp.writeRaw(`bad/${line.replace(/\W/g, '_')}.csv`, `${header}\r\n1,2,3\r\n${line}\r\n5,6,7\r\n`);
    for (const chunkBytes of [undefined, 1, 4]) {
      expect((await scanError(file, header, chunkBytes)).message).toBe(`${file} line 3: ${message}`);
    }
  });

  it('refuses a blank line inside the data but not blank lines at the end', async () => {
    const inside = tmp.writeRaw('bad/blank.csv', `${header}\n1,2,3\n\r\n4,5,6\n`);
    expect((await scanError(inside, header, 2)).message).toBe(`${inside} line 3: blank line inside the data`);
    const trailing = tmp.writeRaw('ok/trailing.csv', `${header}\n1,2,3\n\n\r\n`);
    expect(await scanRows(trailing, header, 2)).toEqual([[2, 1, 2, 3]]);
  });

  it('refuses a line longer than 65 536 characters, whatever the chunk size', async () => {
    const file = tmp.writeRaw('bad/long.csv', `${header}\n1,2,3\n${'1'.repeat(70_000)},2,3\n`);
    for (const chunkBytes of [undefined, 1000, 1 << 20]) {
      const error = await scanError(file, header, chunkBytes);
      expect(error.line).toBe(3);
      expect(error.message).toMatch(/line longer than 65536 characters/);
    }
  });

  it('checks the header after the BOM and before the CR', async () => {
    const file = tmp.writeRaw('bad/header.csv', `\uFEFFtimestamp,price\r\n1,2\r\n`);
    expect((await scanError(file, header, 3)).message).toBe(
      `${file} line 1: header must be exactly "timestamp,price,size", found "timestamp,price"`,
    );
  });
});
