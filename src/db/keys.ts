/** The store's key layout (see store.ts) and the one reader every index shares. */
import { StoreError } from '../errors.js';
import type { Kv } from './kv.js';
import { isString } from './records.js';

export const KEY = {
  meta: 'store:meta',
  /** Which trading mode and account the store belongs to (store-guard.ts). */
  owner: 'store:owner',
  snapshot: 'engine:snapshot',
  pending: 'trades:pending',
  trade: (id: string) => `trade:${id}`,
  day: (day: string) => `trades:day:${day}`,
  symbol: (symbol: string) => `trades:sym:${encodeURIComponent(symbol)}`,
  allTrades: 'trades:all',
  model: (version: string) => `model:${version}`,
  modelIndex: 'models:index',
  /** The self-learning sample ring (one document, src/engine/learning/samples.ts). */
  learningSamples: 'learning:samples',
  report: (day: string) => `report:${day}`,
  reportDays: 'reports:days',
  subscriptions: 'subscriptions',
  outbox: 'discord:outbox',
  audit: 'audit',
} as const;

/** A stored list of ids (or days); [] when absent; a StoreError when it is something else. */
export async function readIdList(kv: Kv, key: string): Promise<string[]> {
  const value = await kv.get(key);
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isString)) {
    throw new StoreError(`${kv.where}: "${key}" is not a list of ids; the store looks corrupt`);
  }
  return value;
}
