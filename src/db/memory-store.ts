/**
 * An in-memory Store: backtests (nothing to persist) and engine tests. Same contract as
 * the keyv store: one snapshot document, trades idempotent by id.
 */
import type { AuditEntry, DailyReportArchive, EngineSnapshot, Store, StoredDailyReport } from '../engine/ports.js';
import type { TradeRecord } from '../engine/types.js';
import { utcDayOf } from '../engine/utc-day.js';

export class MemoryStore implements Store {
  private snapshot: EngineSnapshot | null = null;
  private readonly trades = new Map<string, TradeRecord>();
  private readonly byDay = new Map<string, TradeRecord[]>();
  readonly audit: AuditEntry[] = [];
  private readonly reports = new Map<string, StoredDailyReport>();
  /** Daily reports, same contract as `KeyvStore.dailyReports`. */
  readonly dailyReports: DailyReportArchive = {
    put: async (record) => {
      this.reports.set(record.day, JSON.parse(JSON.stringify(record)) as StoredDailyReport);
    },
    get: async (dayUtc) => this.reports.get(dayUtc) ?? null,
    latest: async () => {
      const last = [...this.reports.keys()].sort().at(-1);
      return last === undefined ? null : (this.reports.get(last) ?? null);
    },
    days: async () => [...this.reports.keys()].sort(),
  };
  snapshotWrites = 0;

  async loadSnapshot(): Promise<EngineSnapshot | null> {
    return this.snapshot === null ? null : (JSON.parse(JSON.stringify(this.snapshot)) as EngineSnapshot);
  }
  async saveSnapshot(snapshot: EngineSnapshot): Promise<void> {
    this.snapshotWrites++;
    this.snapshot = snapshot;
  }
  async putTrade(trade: TradeRecord): Promise<void> {
    if (this.trades.has(trade.id)) return;
    this.trades.set(trade.id, trade);
    // Indexed by UTC day: a backtest's daily reports read a week of days at every midnight.
    const day = utcDayOf(trade.closedAt);
    const list = this.byDay.get(day);
    if (list === undefined) this.byDay.set(day, [trade]);
    else list.push(trade);
  }
  /** All trades in insertion (close) order. */
  allTrades(): TradeRecord[] {
    return [...this.trades.values()];
  }
  async tradesByDay(dayUtc: string): Promise<TradeRecord[]> {
    return [...(this.byDay.get(dayUtc) ?? [])];
  }
  async tradesBySymbol(symbol: string, limit: number): Promise<TradeRecord[]> {
    return this.allTrades()
      .filter((t) => t.symbol === symbol)
      .reverse()
      .slice(0, limit);
  }
  async recentTrades(limit: number): Promise<TradeRecord[]> {
    return this.allTrades().reverse().slice(0, limit);
  }
  async appendAudit(entry: AuditEntry): Promise<void> {
    this.audit.push(entry);
  }
  async close(): Promise<void> {}
}
