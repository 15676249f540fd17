/**
 * Paper and live stores never mix (issue 9, "Paper and live share one store"): a store
 * written by live trading (real ccxt against the fake Binance) is refused by a paper run,
 * and the reverse, with exit code 2 and how to point at a fresh store; another API key is
 * refused too; the key itself is never stored.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { openStore } from '../../src/db/store.js';
import { accountFingerprint, guardStoreOwner, storeOwnerOf } from '../../src/db/store-guard.js';
import { ConfigError } from '../../src/errors.js';
import { MemoryLogger } from '../../src/logger.js';
import { botDir, liveEnv, useBotRig } from '../helpers/bot.js';

const { start, fakeBinance } = useBotRig();
const live = (url: string, key = 'live-key-AAAA'): Record<string, string> => liveEnv(url, key, 'live-secret');
const paper = { TRADING_MODE: 'paper', MARKET_DATA: 'replay', REPLAY_SPEED: '1' };

describe('one store, one mode and account', () => {
  it('a paper run refuses the store a live run wrote (exit 2, says what to do) and changes nothing', async () => {
    const fake = await fakeBinance();
    const dir = botDir('guard-live-');
    const first = start(dir, live(fake.url));
    await first.waitFor(/Reconciled with the exchange/, 60_000);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const before = readFileSync(join(dir, 'state.sqlite'));
    // The key is not stored; its fingerprint is.
    expect(before.includes(Buffer.from('live-key-AAAA'))).toBe(false);
    expect(before.includes(Buffer.from(accountFingerprint('live-key-AAAA')))).toBe(true);

    const second = start(dir, paper);
    expect(await second.exited).toBe(2);
    expect(second.stderr).toMatch(
      /STORE_URL: the store sqlite:\/\/.* belongs to live trading with the API key fingerprinted [0-9a-f]{16}, and this run is paper trading/,
    );
    expect(second.stderr).toMatch(
      /expected a store of its own for paper trading: another sqlite file \(e\.g\. STORE_URL=sqlite:\/\/state\/paper\.sqlite\)/,
    );
    expect(second.stdout).not.toMatch(/state restored|Reconciled/);

    // Another account's live run is refused the same way.
    const third = start(dir, live(fake.url, 'another-key-BBBB'));
    expect(await third.exited).toBe(2);
    expect(third.stderr).toMatch(/belongs to live trading with the API key fingerprinted/);
  }, 120_000);

  it('a live run refuses the store a paper run wrote', async () => {
    const fake = await fakeBinance();
    const dir = botDir('guard-paper-');
    const first = start(dir, paper);
    await first.waitFor(/Reconciled with the exchange/, 60_000);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const requestsBefore = fake.requests.length;
    const second = start(dir, live(fake.url));
    expect(await second.exited).toBe(2);
    expect(second.stderr).toMatch(/belongs to paper trading, and this run is live trading/);
    // Refused before anything was asked of the exchange.
    expect(fake.requests.length).toBe(requestsBefore);
  }, 120_000);
});

describe('guardStoreOwner', () => {
  const logger = new MemoryLogger();
  it('claims a store written before the owner record by what its snapshot holds, and refuses a mismatch', async () => {
    const dir = botDir('guard-legacy-');
    const url = `sqlite://${join(dir, 'state.sqlite')}`;
    const store = await openStore(url, { logger, clock: new ManualClock(0) });
    await store.saveSnapshot({
      version: 1,
      savedAt: 0,
      state: { paused: false, strategyMode: 'rules', grade: null, closedTradeCount: 0, explorationTaken: 0, explorationSeen: 0 },
      positions: [],
      pendingOrders: [],
      lastCandleAt: {},
      ruleStatistics: {},
      venue: { balances: {} },
    });
    await store.close();
    const liveOwner = storeOwnerOf({ tradingMode: 'live', exchange: { testnet: false, apiKey: 'k-1234' } });
    await expect(guardStoreOwner(url, liveOwner, { logger, now: 1 })).rejects.toBeInstanceOf(ConfigError);
    await guardStoreOwner(url, { mode: 'paper', account: null }, { logger, now: 1 });
    // Now recorded: demo is refused as well.
    const demo = storeOwnerOf({ tradingMode: 'live', exchange: { testnet: true, apiKey: 'k-1234' } });
    await expect(guardStoreOwner(url, demo, { logger, now: 2 })).rejects.toThrow(
      /belongs to paper trading, and this run is Binance demo trading/,
    );
    await guardStoreOwner(url, { mode: 'paper', account: null }, { logger, now: 3 });
  });
});
