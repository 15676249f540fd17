/**
 * The engine snapshot: trader state, replay position and the paper venue, saved to the
 * store (STYLE.md §6: persisted before it is acted on).
 */
import type { PaperExchange } from '../adapters/paper/paper-exchange.js';
import type { Clock, EngineSnapshot, Store } from '../engine/ports.js';
import type { Trader } from '../engine/trader.js';

/**
 * Every order and every closed trade persists at once; a batch that changed nothing else
 * only moves the replay position and the venue's prices, so it is saved at most every
 * BATCH_PERSIST_MS. After a crash the replay resumes from the last save and replays those
 * candles deterministically.
 */
export const BATCH_PERSIST_MS = 2_000;

export class SnapshotWriter {
  private lastSavedAt = 0;

  constructor(
    private readonly deps: {
      readonly store: Store;
      /** Market time in a replay (the snapshot's `savedAt`). */
      readonly engineClock: Clock;
      /** Paces batch saves in real time. */
      readonly wallClock: Clock;
      /** Open time of the last candle finished per symbol; updated in place by the replay loop. */
      readonly lastCandleAt: Readonly<Record<string, number>>;
      readonly venue: PaperExchange | null;
    },
  ) {}

  async save(trader: Trader): Promise<void> {
    const doc: EngineSnapshot = {
      version: 1,
      savedAt: this.deps.engineClock.now(),
      ...trader.exportState(),
      lastCandleAt: { ...this.deps.lastCandleAt },
      venue: this.deps.venue?.toJSON() ?? null,
    };
    await this.deps.store.saveSnapshot(doc);
    this.lastSavedAt = this.deps.wallClock.now();
  }

  /** After a candle batch: save unless one was saved less than BATCH_PERSIST_MS ago. */
  async saveIfDue(trader: Trader): Promise<void> {
    if (this.deps.wallClock.now() - this.lastSavedAt >= BATCH_PERSIST_MS) await this.save(trader);
  }
}
