/**
 * The bot as a child process on paper + replay: killed mid-run (SIGKILL, then SIGTERM) and
 * started again on the same store, it manages the same positions with the same SL/TP, sends
 * no order twice, and records every trade exactly once. Two processes on one store: only
 * the lease holder trades; killing it hands over.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/adapters/clock.js';
import { openStore } from '../src/db/store.js';
import type { EngineSnapshot } from '../src/engine/ports.js';
import type { TradeRecord } from '../src/engine/types.js';
import { silentLogger } from '../src/logger.js';
import { botDir, useBotRig } from './helpers/bot.js';
import type { Spawned } from './helpers/process.js';

const rig = useBotRig();

/** The bot on paper + replay in `dir` (its store is `dir/state.sqlite`). */
function start(dir: string, extra: Record<string, string> = {}): Spawned {
  return rig.start(dir, {
    MARKET_DATA: 'replay',
    SYMBOLS: 'BTCUSDT,ETHUSDT,SOLUSDT',
    // Fast replay and many (small, 1x) exploration entries so that positions are open when killed.
    REPLAY_SPEED: '30000',
    EXPLORATION_RATE: '0.5',
    LEASE_TTL_MS: '4000',
    ...extra,
  });
}

async function readStore(dir: string): Promise<{ snapshot: EngineSnapshot | null; trades: TradeRecord[] }> {
  const store = await openStore(`sqlite://${join(dir, 'state.sqlite')}`, { logger: silentLogger, clock: new ManualClock(0) });
  try {
    return { snapshot: await store.loadSnapshot(), trades: await store.recentTrades(100_000) };
  } finally {
    await store.close();
  }
}

/** Every client order id the bot logged as sent, in order, across runs. */
function sentOrderIds(output: string): string[] {
  const ids: string[] = [];
  for (const line of output.split('\n')) {
    const match = /"clientOrderId":"(slt_[a-z]_[A-Z0-9]+_[a-z0-9]+)"/.exec(line);
    if (match !== null && /"message":"(entry sent|close sent)"/.test(line)) ids.push(match[1]!);
  }
  return ids;
}

async function killAfterPositionOpens(run: Spawned, signal: NodeJS.Signals): Promise<void> {
  await run.waitFor(/"message":"position opened"/, 60_000);
  // Let the stop and take-profit go out, then kill in the middle of whatever comes next.
  await run.waitFor(/ENTRY (LONG|SHORT)/, 20_000);
  run.child.kill(signal);
  await run.exited;
}

for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  describe(`restart after ${signal}`, () => {
    it('resumes the same positions with the same SL/TP, sends no order twice, records every trade once', async () => {
      const dir = botDir(`restart-${signal}-`);
      const first = start(dir);
      await killAfterPositionOpens(first, signal);
      if (signal === 'SIGTERM') expect(first.stdout + first.stderr).toContain('stopped cleanly');
      const before = await readStore(dir);
      expect(before.snapshot).not.toBeNull();
      const openBefore = before.snapshot!.positions;
      expect(openBefore.length).toBeGreaterThan(0);

      const second = start(dir);
      await second.waitFor(/Reconciled with the exchange/, 30_000);
      expect(second.stdout).toMatch(new RegExp(`${openBefore.length} position\\(s\\) resumed`));
      // Let it trade on for a while, then stop it cleanly.
      await second.waitFor(/EXIT /, 60_000);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);

      const after = await readStore(dir);
      // Same positions, same SL/TP: each one is either still managed unchanged or closed with them.
      for (const position of openBefore) {
        const stillOpen = after.snapshot!.positions.find((p) => p.entryClientOrderId === position.entryClientOrderId);
        const closed = after.trades.find((t) => t.id === position.entryClientOrderId);
        expect(stillOpen !== undefined || closed !== undefined).toBe(true);
        if (stillOpen !== undefined) {
          expect(stillOpen.slPrice).toBe(position.slPrice);
          expect(stillOpen.tpPrice).toBe(position.tpPrice);
          expect(stillOpen.slClientOrderId).toBe(position.slClientOrderId);
        }
        if (closed !== undefined) {
          expect(closed.slPrice).toBe(position.slPrice);
          expect(closed.tpPrice).toBe(position.tpPrice);
          expect(closed.entryPrice).toBe(position.entryPrice);
        }
      }
      // No order sent twice across both runs.
      const ids = sentOrderIds(first.stdout + second.stdout);
      expect(ids.length).toBeGreaterThan(0);
      expect(new Set(ids).size).toBe(ids.length);
      // Every trade exactly once, and every trade of the first run is still there.
      const tradeIds = after.trades.map((t) => t.id);
      expect(new Set(tradeIds).size).toBe(tradeIds.length);
      for (const t of before.trades) expect(tradeIds).toContain(t.id);
    }, 180_000);
  });
}

describe('two processes on one store', () => {
  it('only the lease holder trades; killing it hands over to the standby', async () => {
    const dir = botDir('lease-');
    const a = start(dir);
    await a.waitFor(/lease acquired/, 30_000);
    const b = start(dir);
    await b.waitFor(/standby: lease held by/, 30_000);
    await a.waitFor(/"message":"position opened"/, 60_000);
    expect(b.stdout).not.toMatch(/entry sent|Reconciled/);
    a.child.kill('SIGKILL');
    await a.exited;
    // The standby polls every 5 s; the holder's pid is dead, so it takes over at the next poll.
    // Generous: the poll is 5 s, but a loaded CI machine can take many seconds to reconcile.
    await b.waitFor(/Reconciled with the exchange/, 60_000);
    await b.waitFor(/entry sent|EXIT /, 60_000);
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    const ids = sentOrderIds(a.stdout + b.stdout);
    expect(new Set(ids).size).toBe(ids.length);
    const { trades } = await readStore(dir);
    expect(new Set(trades.map((t) => t.id)).size).toBe(trades.length);
  }, 180_000);
});
