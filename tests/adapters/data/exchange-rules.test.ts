import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundledDataDir } from '../../../src/adapters/data/layout.js';
import { loadExchangeRules } from '../../../src/adapters/data/exchange-rules.js';
import { tempDir } from './helpers.js';
import { btcBrackets, btcRules } from '../../engine/fixtures/brackets.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const bundledFilters = JSON.parse(readFileSync(join(bundledDataDir(), 'exchange', 'filters.json'), 'utf8')) as {
  symbols: Record<string, Record<string, unknown>>;
};
const bundledBrackets = JSON.parse(readFileSync(join(bundledDataDir(), 'exchange', 'leverage-brackets.json'), 'utf8')) as Array<{
  symbol: string;
  brackets: Array<Record<string, number>>;
}>;

/** A data dir whose exchange files are the bundled ones passed through `edit`. */
function exchangeDir(name: string, edit: (filters: typeof bundledFilters, brackets: typeof bundledBrackets) => void): string {
  const filters = structuredClone(bundledFilters);
  const brackets = structuredClone(bundledBrackets);
  edit(filters, brackets);
  tmp.writeRaw(`${name}/exchange/filters.json`, JSON.stringify(filters));
  tmp.writeRaw(`${name}/exchange/leverage-brackets.json`, JSON.stringify(brackets));
  return join(tmp.dir, name);
}

describe('loadExchangeRules', () => {
  it('loads the bundled filters and brackets, market lot defaults to the lot size', () => {
    const rules = loadExchangeRules(bundledDataDir(), ['BTCUSDT', 'SOLUSDT']);
    expect([...rules.keys()]).toEqual(['BTCUSDT', 'SOLUSDT']);
    const btc = rules.get('BTCUSDT')!;
    // The pipeline tests' BTCUSDT fixture is a copy of the bundled file: it must stay one.
    expect(btc.filters).toEqual(btcRules.filters);
    expect(btc.brackets.slice(0, btcBrackets.length)).toEqual(btcBrackets);
    expect(rules.get('SOLUSDT')!.filters.tickSize).toBe(0.001);
  });

  it('returns brackets sorted by notional floor even when the file is not', () => {
    const dir = exchangeDir('shuffled', (_f, b) => b[0]!.brackets.reverse());
    const floors = loadExchangeRules(dir, ['BTCUSDT']).get('BTCUSDT')!.brackets.map((x) => x.notionalFloor);
    expect(floors).toEqual([...floors].sort((x, y) => x - y));
    expect(floors[0]).toBe(0);
  });

  it('takes MARKET_LOT_SIZE and max quantities when the file has them', () => {
    const dir = exchangeDir('market-lot', (f) => Object.assign(f.symbols['BTCUSDT']!, { maxQty: 1000, marketStepSize: 0.01, marketMinQty: 0.01, marketMaxQty: 120 }));
    const filters = loadExchangeRules(dir, ['BTCUSDT']).get('BTCUSDT')!.filters;
    expect(filters).toMatchObject({ maxQty: 1000, marketStepSize: 0.01, marketMinQty: 0.01, marketMaxQty: 120 });
  });

  it('names the file and the symbol when filters are missing or invalid', () => {
    const dir = exchangeDir('bad-tick', (f) => (f.symbols['ETHUSDT']!['tickSize'] = 0));
    expect(() => loadExchangeRules(dir, ['ETHUSDT'])).toThrow(/filters\.json: ETHUSDT: tickSize must be a positive number/);
    expect(() => loadExchangeRules(bundledDataDir(), ['XYZUSDT'])).toThrow(/filters\.json: no filters for XYZUSDT/);
  });

  it('names the file and the symbol when brackets are missing or leave a hole', () => {
    const missing = exchangeDir('no-brackets', (_f, b) => b.splice(0, 1));
    expect(() => loadExchangeRules(missing, ['BTCUSDT'])).toThrow(/leverage-brackets\.json: no leverage brackets for BTCUSDT/);
    const hole = exchangeDir('hole', (_f, b) => b[0]!.brackets.splice(1, 1));
    expect(() => loadExchangeRules(hole, ['BTCUSDT'])).toThrow(/leverage-brackets\.json: BTCUSDT: bracket 3 does not start where the previous one ends/);
  });

  it('says which file is not valid JSON or not there', () => {
    tmp.writeRaw('broken/exchange/filters.json', '{ nope');
    tmp.writeRaw('broken/exchange/leverage-brackets.json', '[]');
    expect(() => loadExchangeRules(join(tmp.dir, 'broken'), ['BTCUSDT'])).toThrow(/filters\.json: invalid JSON/);
    expect(() => loadExchangeRules(join(tmp.dir, 'absent'), ['BTCUSDT'])).toThrow(/filters\.json: not found/);
  });
});
