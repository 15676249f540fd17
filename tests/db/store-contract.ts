/**
 * The behaviour every STORE_URL backend must have. `describeStoreContract` is called once per
 * backend by store.test.ts; `target()` gives each test a fresh URL + namespace so reruns against
 * a shared server never see each other's data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { openKv } from '../../src/db/kv.js';
import { openStore } from '../../src/db/store.js';
import type { KeyvStore } from '../../src/db/store.js';
import { parseStoreUrl } from '../../src/db/url.js';
import { StoreError } from '../../src/errors.js';
import { RecordingLogger, sampleSnapshot, sampleTrade } from './fixtures.js';

export interface StoreTarget {
  readonly url: string;
  readonly namespace: string;
}

export function describeStoreContract(label: string, target: () => StoreTarget, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip === true)(`store contract: ${label}`, () => {
    const opened: KeyvStore[] = [];
    const clock = new ManualClock(Date.UTC(2024, 4, 2));

    async function open(t: StoreTarget, logger = new RecordingLogger()): Promise<KeyvStore> {
      // Small chunks so a few dozen records cross several sealed chunks.
      const store = await openStore(t.url, { logger, clock, namespace: t.namespace, indexChunkSize: 8 });
      opened.push(store);
      return store;
    }

    /** Raw access under the store, to simulate crashes and corruption. */
    function raw(t: StoreTarget) {
      return openKv(parseStoreUrl(t.url), t.namespace);
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
    });

    it('starts empty: no snapshot, no trades', async () => {
      const store = await open(target());
      expect(await store.loadSnapshot()).toBeNull();
      expect(await store.recentTrades(10)).toEqual([]);
      expect(await store.tradesByDay('2024-05-01')).toEqual([]);
      expect(await store.audit.recent(5)).toEqual([]);
    });

    it('gives back exactly the snapshot it saved, and the newest save wins', async () => {
      const store = await open(target());
      const first = sampleSnapshot();
      await store.saveSnapshot(first);
      expect(await store.loadSnapshot()).toStrictEqual(first);
      const second = { ...first, savedAt: first.savedAt + 1, positions: [] };
      await store.saveSnapshot(second);
      expect(await store.loadSnapshot()).toStrictEqual(second);
    });

    it('refuses to save a snapshot holding NaN instead of storing null', async () => {
      const store = await open(target());
      const broken = { ...sampleSnapshot(), lastCandleAt: { BTCUSDT: Number.NaN } };
      await expect(store.saveSnapshot(broken)).rejects.toThrow(/non-finite number NaN at field "BTCUSDT"/);
    });

    it('stores a trade once however often it is put', async () => {
      const store = await open(target());
      const trade = sampleTrade(1);
      await store.putTrade(trade);
      await store.putTrade(trade);
      await store.putTrade({ ...trade, pnlUsdt: 999 });
      expect(await store.recentTrades(10)).toStrictEqual([trade]);
      expect(await store.tradesBySymbol(trade.symbol, 10)).toStrictEqual([trade]);
      expect(await store.tradesByDay('2024-05-01')).toStrictEqual([trade]);
    });

    it('finds trades by UTC close day, oldest first', async () => {
      const store = await open(target());
      // Opened 23:30 on the 1st, closed 00:15 on the 2nd: belongs to the 2nd.
      const lateNight = sampleTrade(30, { id: 'late', openedAt: Date.UTC(2024, 4, 1, 23, 30), closedAt: Date.UTC(2024, 4, 2, 0, 15) });
      const morning = sampleTrade(31, { id: 'morning', openedAt: Date.UTC(2024, 4, 2, 8), closedAt: Date.UTC(2024, 4, 2, 9) });
      const dayBefore = sampleTrade(32, {
        id: 'before',
        openedAt: Date.UTC(2024, 4, 1, 8),
        closedAt: Date.UTC(2024, 4, 1, 23, 59, 59, 999),
      });
      for (const t of [morning, lateNight, dayBefore]) await store.putTrade(t);
      expect((await store.tradesByDay('2024-05-02')).map((t) => t.id)).toEqual(['late', 'morning']);
      expect((await store.tradesByDay('2024-05-01')).map((t) => t.id)).toEqual(['before']);
      expect(await store.tradesByDay('2024-05-03')).toEqual([]);
      await expect(store.tradesByDay('2024-5-2')).rejects.toThrow(/YYYY-MM-DD/);
    });

    it('returns the newest trades of a symbol and overall, newest first, across index chunks', async () => {
      const store = await open(target());
      const trades = Array.from({ length: 60 }, (_, i) => sampleTrade(i, { symbol: i % 10 === 0 ? 'ETHUSDT' : 'BTCUSDT' }));
      for (const t of trades) await store.putTrade(t);
      const btc = trades.filter((t) => t.symbol === 'BTCUSDT');
      expect((await store.tradesBySymbol('BTCUSDT', 30)).map((t) => t.id)).toEqual(
        btc
          .slice(-30)
          .reverse()
          .map((t) => t.id),
      );
      expect((await store.tradesBySymbol('BTCUSDT', 100)).map((t) => t.id)).toEqual([...btc].reverse().map((t) => t.id));
      expect((await store.tradesBySymbol('ETHUSDT', 3)).map((t) => t.id)).toEqual(['T000050', 'T000040', 'T000030']);
      expect(await store.tradesBySymbol('DOGEUSDT', 3)).toEqual([]);
      expect((await store.recentTrades(2)).map((t) => t.id)).toEqual(['T000059', 'T000058']);
      expect(await store.recentTrades(0)).toEqual([]);
      expect((await store.recentTrades(1000)).length).toBe(60);
    });

    it('finishes indexing a trade whose write was interrupted by a crash', async () => {
      const t = target();
      const trade = sampleTrade(7);
      const kv = raw(t);
      // The crash: the journal and the record were written, no index yet.
      await kv.set('trades:pending', [trade.id, 'never-written']);
      await kv.set(`trade:${trade.id}`, trade);
      await kv.close();
      const logger = new RecordingLogger();
      const store = await open(t, logger);
      expect(await store.tradesByDay('2024-05-01')).toStrictEqual([trade]);
      expect(await store.tradesBySymbol(trade.symbol, 5)).toStrictEqual([trade]);
      expect(logger.messages('warn')).toContain('store: finished trade writes interrupted by a crash');
      await store.putTrade(trade);
      expect(await store.recentTrades(5)).toStrictEqual([trade]);
    });

    it('skips index entries whose record is missing and ids indexed twice', async () => {
      const t = target();
      const store = await open(t);
      const trade = sampleTrade(3);
      await store.putTrade(trade);
      const kv = raw(t);
      await kv.set('trades:day:2024-05-01', ['ghost', trade.id, trade.id]);
      await kv.close();
      expect(await store.tradesByDay('2024-05-01')).toStrictEqual([trade]);
    });

    it('keeps everything after close and reopen', async () => {
      const t = target();
      const first = await open(t);
      const snapshot = sampleSnapshot();
      await first.saveSnapshot(snapshot);
      await first.putTrade(sampleTrade(1));
      await first.appendAudit({ at: 1, actor: 'op#1', action: 'pause', detail: 'maintenance', result: 'ok' });
      await first.subscriptions.add('chan-1', ['reports']);
      await first.close();
      const second = await open(t);
      expect(await second.loadSnapshot()).toStrictEqual(snapshot);
      expect((await second.recentTrades(5)).map((x) => x.id)).toEqual(['T000001']);
      expect((await second.audit.recent(5)).map((a) => a.action)).toEqual(['pause']);
      expect((await second.subscriptions.list()).map((s) => s.channelId)).toEqual(['chan-1']);
    });

    it('keeps an audit log, newest first, across chunks', async () => {
      const store = await open(target());
      for (let i = 0; i < 30; i++) {
        await store.appendAudit({
          at: i,
          actor: 'user:42',
          action: i % 2 === 0 ? 'pause' : 'resume',
          detail: `#${i}`,
          result: i === 29 ? 'denied' : 'ok',
        });
      }
      const recent = await store.audit.recent(12);
      expect(recent.map((e) => e.at)).toEqual([29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18]);
      expect(recent[0]?.result).toBe('denied');
      expect((await store.audit.recent(100)).map((e) => e.at)).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
    });

    it('keeps model versions and finds the latest and the latest promoted', async () => {
      const store = await open(target());
      expect(await store.modelVersions.latest()).toBeNull();
      await store.modelVersions.put({ version: 'm1', createdAt: 100, promoted: true, metrics: { auc: 0.61 }, model: { w: [0.1, -0.2] } });
      await store.modelVersions.put({ version: 'm2', createdAt: 200, promoted: false, metrics: { auc: 0.58 }, model: { w: [0.3] } });
      expect((await store.modelVersions.latest())?.version).toBe('m2');
      expect(await store.modelVersions.latest({ promotedOnly: true })).toStrictEqual({
        version: 'm1',
        createdAt: 100,
        promoted: true,
        metrics: { auc: 0.61 },
        model: { w: [0.1, -0.2] },
      });
      await store.modelVersions.put({ version: 'm2', createdAt: 200, promoted: true, metrics: { auc: 0.58 }, model: { w: [0.3] } });
      expect((await store.modelVersions.latest({ promotedOnly: true }))?.version).toBe('m2');
      expect(await store.modelVersions.list()).toStrictEqual([
        { version: 'm2', createdAt: 200, promoted: true, metrics: { auc: 0.58 } },
        { version: 'm1', createdAt: 100, promoted: true, metrics: { auc: 0.61 } },
      ]);
      expect(await store.modelVersions.get('nope')).toBeNull();
    });

    it('keeps daily reports by day and knows the latest', async () => {
      const store = await open(target());
      expect(await store.dailyReports.latest()).toBeNull();
      const may2 = { day: '2024-05-02', generatedAt: 2, report: { score: 81, pnlUsdt: -12.5 }, markdown: '# 2024-05-02' };
      const may1 = { day: '2024-05-01', generatedAt: 1, report: { score: 74 }, markdown: '# 2024-05-01' };
      await store.dailyReports.put(may2);
      await store.dailyReports.put(may1);
      expect(await store.dailyReports.get('2024-05-01')).toStrictEqual(may1);
      expect(await store.dailyReports.latest()).toStrictEqual(may2);
      expect(await store.dailyReports.days()).toEqual(['2024-05-01', '2024-05-02']);
      expect(await store.dailyReports.get('2024-05-03')).toBeNull();
    });

    it('adds and removes channel subscriptions by kind', async () => {
      const store = await open(target());
      await store.subscriptions.add('c1', ['reports']);
      expect(await store.subscriptions.add('c1', ['alerts', 'reports'])).toMatchObject({ channelId: 'c1', kinds: ['alerts', 'reports'] });
      await store.subscriptions.add('c2', ['alerts']);
      expect((await store.subscriptions.list('alerts')).map((s) => s.channelId).sort()).toEqual(['c1', 'c2']);
      expect((await store.subscriptions.list('reports')).map((s) => s.channelId)).toEqual(['c1']);
      expect(await store.subscriptions.remove('c1', ['alerts'])).toMatchObject({ kinds: ['reports'] });
      expect(await store.subscriptions.remove('c2')).toBeNull();
      expect(await store.subscriptions.remove('unknown')).toBeNull();
      expect((await store.subscriptions.list()).map((s) => [s.channelId, s.kinds])).toEqual([['c1', ['reports']]]);
    });

    it('refuses a snapshot of an unknown version and leaves it in place', async () => {
      const t = target();
      const kv = raw(t);
      const future = { ...sampleSnapshot(), version: 2 };
      await kv.set('engine:snapshot', future);
      const store = await open(t);
      const error = await store.loadSnapshot().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/version 2, this build reads version 1; it was left untouched/);
      expect(await kv.get('engine:snapshot')).toStrictEqual(future);
      await kv.close();
    });

    it('reports a value that is not JSON as corruption and does not replace it', async () => {
      const t = target();
      const store = await open(t);
      // Store a keyv string whose envelope holds text the snapshot reader cannot use.
      const kv = raw(t);
      await kv.set('engine:snapshot', 'definitely not a snapshot');
      await expect(store.loadSnapshot()).rejects.toThrow(/snapshot is not an object; the store looks corrupt/);
      expect(await kv.get('engine:snapshot')).toBe('definitely not a snapshot');
      await kv.close();
    });

    it('fails clearly when used after close', async () => {
      const store = await open(target());
      await store.close();
      await expect(store.loadSnapshot()).rejects.toThrow(/closed/);
      await expect(store.putTrade(sampleTrade(1))).rejects.toThrow(/closed/);
    });
  });
}
