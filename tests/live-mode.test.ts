/**
 * TRADING_MODE=live end to end: the bot process, real ccxt, a local fake Binance on
 * 127.0.0.1 (EXCHANGE_API_BASE). An unknown position is adopted and protected by a
 * reduce-only stop on the exchange; the position loop reads positions once per tick; every
 * request stays under Binance's futures paths; a restart resumes without a second stop.
 */
import { describe, expect, it } from 'vitest';
import { botDir, liveEnv, useBotRig } from './helpers/bot.js';
import type { Spawned } from './helpers/process.js';

const rig = useBotRig();

const startBot = (dir: string, url: string): Spawned =>
  rig.start(dir, { ...liveEnv(url), POSITION_CHECK_INTERVAL_MS: '500', UNKNOWN_POSITIONS: 'adopt' });

describe('live trading against a fake Binance', () => {
  it('adopts an unknown position with an exchange-side stop, polls positions once per tick, resumes after a restart', async () => {
    const fake = await rig.fakeBinance({ prices: { BTCUSDT: 60_000, ETHUSDT: 3_000 } });
    fake.state.positions.set('BTCUSDT', { symbol: 'BTCUSDT', amount: 0.01, entryPrice: 60_000, updateTime: Date.now() });
    const dir = botDir('live-');

    const first = startBot(dir, fake.url);
    await first.waitFor(/Reconciled with the exchange/, 60_000);
    expect(first.stdout).toMatch(/1 unknown position\(s\) adopted with a protective stop \(BTCUSDT\)/);
    expect(first.stdout).toContain('REAL ORDERS');
    const stops = fake.state.algoOrders.filter((o) => o.symbol === 'BTCUSDT' && o.algoStatus === 'NEW');
    expect(stops).toHaveLength(1);
    expect(stops[0]!.reduceOnly).toBe(true);
    expect(stops[0]!.side).toBe('SELL');
    expect(stops[0]!.triggerPrice).toBeLessThan(60_000);
    expect(first.stdout).toContain('could not set isolated margin on BTCUSDT');

    // The 500 ms position loop: several ticks, each exactly one positions request.
    const positionReads = (): number => fake.requests.filter((r) => r.path.endsWith('/positionRisk')).length;
    const readsBefore = positionReads();
    await new Promise((resolve) => setTimeout(resolve, 2600));
    const reads = positionReads() - readsBefore;
    expect(reads).toBeGreaterThanOrEqual(3);
    expect(reads).toBeLessThanOrEqual(7);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // The position stays open and protected by its exchange-side stop.
    expect(fake.state.positions.get('BTCUSDT')?.amount).toBe(0.01);
    expect(fake.state.algoOrders.filter((o) => o.algoStatus === 'NEW')).toHaveLength(1);

    const second = startBot(dir, fake.url);
    await second.waitFor(/Reconciled with the exchange/, 60_000);
    expect(second.stdout).toMatch(/1 position\(s\) resumed with their SL\/TP \(BTCUSDT\)/);
    expect(fake.state.algoOrders.filter((o) => o.algoStatus === 'NEW')).toHaveLength(1);

    // The price falls through the stop: the exchange closes the position and the bot records it.
    fake.setPrice('BTCUSDT', 50_000);
    await second.waitFor(/EXIT {2}LONG BTCUSDT .*\(sl\)/, 20_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    for (const request of fake.requests) expect(request.path).toMatch(/^\/(fapi\/v[123]|futures\/data)\//);
  }, 120_000);
});

describe('paper trading on live market data', () => {
  const startPaper = (dir: string, env: Record<string, string>): Spawned => rig.start(dir, { SYMBOLS: 'BTCUSDT,ETHUSDT', ...env });

  it('MARKET_DATA=auto uses live data when reachable: warm-up from klines, tickers through lane 3, no keys', async () => {
    const fake = await rig.fakeBinance({ prices: { BTCUSDT: 60_000, ETHUSDT: 3_000 } });
    const dir = botDir('paper-live-');
    const bot = startPaper(dir, { MARKET_DATA: 'auto', EXCHANGE_API_BASE: fake.url });
    await bot.waitFor(/Reconciled with the exchange/, 60_000);
    expect(bot.stdout).toContain('trading mode: PAPER');
    expect(bot.stdout).toContain('market data: live');
    await bot.waitFor(/signals warmed up on live candles/, 60_000);
    const paths = fake.requests.map((r) => r.path);
    expect(paths.filter((p) => p === '/fapi/v1/klines').length).toBeGreaterThanOrEqual(2);
    // Paper trading never calls private endpoints.
    for (const request of fake.requests) expect(request.headers['x-mbx-apikey']).toBeUndefined();
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 90_000);

  it('MARKET_DATA=auto falls back to replay with a loud banner when Binance is unreachable', async () => {
    const dir = botDir('paper-fallback-');
    const bot = startPaper(dir, { MARKET_DATA: 'auto', EXCHANGE_API_BASE: 'http://127.0.0.1:9' });
    await bot.waitFor(/Reconciled with the exchange/, 60_000);
    expect(bot.stdout).toMatch(/"level":"warn","message":" market data: replay \(FALLBACK: live Binance data unreachable/);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 90_000);
});
