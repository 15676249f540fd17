import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { BinanceClient, budgetHeaders, normaliseApiBase, parseRetryAfterMs } from '../../../src/adapters/binance/client.js';
import { BinanceExchange } from '../../../src/adapters/binance/exchange.js';
import { FatalExchangeError } from '../../../src/errors.js';
import { LaneScheduler } from '../../../src/engine/execution/scheduler.js';
import { ManualClock } from '../../../src/adapters/clock.js';
import { startFakeBinance, type FakeBinance } from '../../fakes/fake-binance.js';
import { recordingLogger, START_MS } from './helpers.js';

let fake: FakeBinance;
let scheduler: LaneScheduler;
const logger = recordingLogger();

beforeEach(async () => {
  const clock = new ManualClock(START_MS);
  fake = await startFakeBinance({ now: () => clock.now() });
  scheduler = new LaneScheduler({ clock, logger });
});

afterEach(async () => {
  scheduler.stop();
  await fake.close();
});

function create(options: { apiBase: string | null; testnet?: boolean; fetched?: string[] }): Promise<BinanceClient> {
  return BinanceClient.create({
    apiKey: 'k',
    secret: 's',
    testnet: options.testnet ?? false,
    apiBase: options.apiBase,
    scheduler,
    logger,
    timeoutMs: 500,
    onRequest: (method, url) => options.fetched?.push(`${method} ${url}`),
  });
}

describe('BinanceClient', () => {
  it('keeps only the USDⓈ-M futures API families, all under EXCHANGE_API_BASE', async () => {
    const client = await create({ apiBase: fake.url });
    expect(client.ex.urls['api']).toEqual({
      fapiPublic: `${fake.url}/fapi/v1`,
      fapiPublicV2: `${fake.url}/fapi/v2`,
      fapiPublicV3: `${fake.url}/fapi/v3`,
      fapiPrivate: `${fake.url}/fapi/v1`,
      fapiPrivateV2: `${fake.url}/fapi/v2`,
      fapiPrivateV3: `${fake.url}/fapi/v3`,
      fapiData: `${fake.url}/futures/data`,
    });
  });

  it('refuses a spot call locally instead of sending it anywhere', async () => {
    const fetched: string[] = [];
    const client = await create({ apiBase: fake.url, fetched });
    await expect(client.ex.publicGetTime()).rejects.toThrow(/public/);
    expect(fetched).toEqual([]);
    expect(fake.requests).toEqual([]);
  });

  it('loads markets from the futures exchangeInfo only (no currencies, no spot, no sapi)', async () => {
    const client = await create({ apiBase: fake.url });
    await client.ex.loadMarkets();
    expect(fake.requests.map((r) => r.path)).toEqual(['/fapi/v1/exchangeInfo']);
  });

  it('uses Binance demo trading for EXCHANGE_TESTNET, unless EXCHANGE_API_BASE overrides the host', async () => {
    const demo = await create({ apiBase: null, testnet: true });
    expect((demo.ex.urls['api'] as Record<string, string>)['fapiPrivate']).toBe('https://demo-fapi.binance.com/fapi/v1');
    const proxied = await create({ apiBase: fake.url, testnet: true });
    expect((proxied.ex.urls['api'] as Record<string, string>)['fapiPrivate']).toBe(`${fake.url}/fapi/v1`);
  });

  it('leaves ccxt’s own throttle and retries off: the lanes budget every request', async () => {
    const client = await create({ apiBase: fake.url });
    expect(client.ex.enableRateLimit).toBe(false);
    expect(client.ex.options['maxRetriesOnFailure']).toBe(0);
    expect(client.ex.options['recvWindow']).toBe(10_000);
  });
});

describe('client helpers', () => {
  it('accepts an origin for EXCHANGE_API_BASE and rejects a path', () => {
    expect(normaliseApiBase('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(() => normaliseApiBase('http://127.0.0.1:8080/fapi/v1')).toThrow(FatalExchangeError);
    expect(() => normaliseApiBase('not a url')).toThrow(FatalExchangeError);
  });

  it('hands Binance budget headers to the lanes under canonical and lower-case names', () => {
    expect(budgetHeaders({ 'X-Mbx-Used-Weight-1m': '42', 'Content-Type': 'x' })).toEqual({
      'X-MBX-USED-WEIGHT-1M': '42',
      'x-mbx-used-weight-1m': '42',
    });
  });

  it('reads Retry-After in seconds', () => {
    expect(parseRetryAfterMs('7', 0)).toBe(7_000);
    expect(parseRetryAfterMs(undefined, 0)).toBeUndefined();
  });
});

describe('lazy ccxt', () => {
  it('creates the live adapters without loading ccxt or sending anything', () => {
    const exchange = new BinanceExchange({
      apiKey: 'k',
      secret: 's',
      testnet: false,
      apiBase: fake.url,
      scheduler,
      clock: new ManualClock(START_MS),
      logger,
      symbols: ['BTCUSDT'],
    });
    expect(exchange.kind).toBe('binance');
    expect(fake.requests).toEqual([]);
  });

  it('imports ccxt only dynamically in the adapters (a static import would cost paper mode ~95 MB)', () => {
    const files = [...readdirSync('src/adapters/binance').map((f) => join('src/adapters/binance', f)), 'src/adapters/market-data/live.ts'];
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      const staticImports = source.match(/^import\s+(?!type\b)[^;]*from\s+'ccxt'/gm) ?? [];
      expect(staticImports, file).toEqual([]);
    }
  });
});
