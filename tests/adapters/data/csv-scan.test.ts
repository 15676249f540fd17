import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseDecimal } from '../../../src/adapters/data/csv-scan.js';

const parse = (text: string): number => parseDecimal(text, 0, text.length);

describe('parseDecimal', () => {
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

  it('parses within a larger line without copying it', () => {
    const line = '1754006400000,115697.3,115755';
    expect(parseDecimal(line, 14, 22)).toBe(115697.3);
  });

  it.each(['', '-', '.', ' 1', '1 ', '1,5', '0x10', '1e', 'abc', 'Infinity', '-Infinity', 'NaN', '1e999', '--1', '1.2.3'])(
    'gives NaN for %j',
    (text) => {
      expect(parse(text)).toBeNaN();
    },
  );
});
