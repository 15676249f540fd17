/**
 * A store belongs to one trading mode and, when it trades for real, one account (issue 9,
 * "Paper and live share one store"). The owner record `store:owner` names the mode (paper,
 * demo, live) and, for demo/live, a fingerprint of the API key (a SHA-256 prefix: never
 * the key). Starting with a store written by another mode or account is refused (exit 2,
 * ConfigError on STORE_URL) before anything of it is restored.
 *
 * A store written before the owner record existed is claimed once: its snapshot tells paper
 * (it carries the paper venue) from demo/live (no venue), and a mismatch is refused too.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../engine/ports.js';
import { ConfigError } from '../errors.js';
import { KEY } from './keys.js';
import { openKv } from './kv.js';
import { DEFAULT_NAMESPACE } from './store.js';
import { parseStoreUrl, redactUrl } from './url.js';

export type StoreMode = 'paper' | 'demo' | 'live';

export interface StoreOwner {
  readonly mode: StoreMode;
  /** Fingerprint of the API key (demo/live); null for paper. */
  readonly account: string | null;
}

interface OwnerRecord extends StoreOwner {
  readonly claimedAt: number;
}

/** The first 16 hex digits of SHA-256 of the API key: tells accounts apart, reveals nothing. */
export function accountFingerprint(apiKey: string): string {
  return createHash('sha256').update(`binance-api-key:${apiKey}`).digest('hex').slice(0, 16);
}

/** Who a run is: TRADING_MODE, EXCHANGE_TESTNET and the key's fingerprint. */
export function storeOwnerOf(config: { tradingMode: 'paper' | 'live'; exchange: { testnet: boolean; apiKey: string | null } }): StoreOwner {
  if (config.tradingMode === 'paper') return { mode: 'paper', account: null };
  return {
    mode: config.exchange.testnet ? 'demo' : 'live',
    account: config.exchange.apiKey === null ? null : accountFingerprint(config.exchange.apiKey),
  };
}

export function describeOwner(owner: StoreOwner): string {
  if (owner.mode === 'paper') return 'paper trading';
  const what = owner.mode === 'demo' ? 'Binance demo trading' : 'live trading';
  return owner.account === null ? what : `${what} with the API key fingerprinted ${owner.account}`;
}

function isOwnerRecord(value: unknown): value is OwnerRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    (v['mode'] === 'paper' || v['mode'] === 'demo' || v['mode'] === 'live') && (v['account'] === null || typeof v['account'] === 'string')
  );
}

function refuse(storeUrl: string, found: string, owner: StoreOwner): ConfigError {
  return new ConfigError([
    {
      variable: 'STORE_URL',
      problem: `the store ${redactUrl(storeUrl)} belongs to ${found}, and this run is ${describeOwner(owner)}; its positions and trades must not mix with this run's (nothing was read or changed)`,
      expected: `a store of its own for ${describeOwner(owner)}: another sqlite file (e.g. STORE_URL=sqlite://state/${owner.mode}.sqlite), another PostgreSQL database or Redis db number`,
    },
  ]);
}

export interface GuardOptions {
  readonly logger: Logger;
  readonly now: number;
  readonly namespace?: string;
}

/**
 * Checks (reads only) that the store at `storeUrl` (namespace as the store's) belongs to
 * `owner`. Throws ConfigError (exit 2) when it belongs to another mode or account. Returns the
 * claim to write once the store has been opened and read without error (a store this build
 * refuses for another reason is left byte for byte as it was), or null when already recorded.
 */
export async function checkStoreOwner(storeUrl: string, owner: StoreOwner, options: GuardOptions): Promise<(() => Promise<void>) | null> {
  const log = options.logger.child('store');
  const kv = openKv(parseStoreUrl(storeUrl), options.namespace ?? DEFAULT_NAMESPACE);
  let claimNote: string | null = null;
  try {
    await kv.prepare();
    const recorded = await kv.get(KEY.owner);
    if (isOwnerRecord(recorded)) {
      const sameMode = recorded.mode === owner.mode;
      const sameAccount = recorded.account === null || owner.account === null || recorded.account === owner.account;
      if (!sameMode || !sameAccount) throw refuse(storeUrl, describeOwner(recorded), owner);
      if (recorded.account !== null || owner.account === null) return null;
    } else {
      // No owner record: an older store, or a new one. Its snapshot says paper or not.
      const snapshot = await kv.get(KEY.snapshot);
      if (typeof snapshot === 'object' && snapshot !== null) {
        const venue = (snapshot as { venue?: unknown }).venue;
        const wasPaper = venue !== null && venue !== undefined;
        if (wasPaper !== (owner.mode === 'paper')) {
          throw refuse(
            storeUrl,
            wasPaper ? 'paper trading (its snapshot holds a paper venue)' : 'demo or live trading (its snapshot holds no paper venue)',
            owner,
          );
        }
        claimNote = `the store had no owner record; claimed for ${describeOwner(owner)}`;
      }
    }
  } finally {
    await kv.close().catch(() => undefined);
  }
  return async () => {
    const writer = openKv(parseStoreUrl(storeUrl), options.namespace ?? DEFAULT_NAMESPACE);
    try {
      await writer.prepare();
      await writer.set(KEY.owner, { ...owner, claimedAt: options.now } satisfies OwnerRecord);
      if (claimNote !== null) log.warn(claimNote);
    } finally {
      await writer.close().catch(() => undefined);
    }
  };
}

/** Checks and, when needed, claims at once (tests, tools). */
export async function guardStoreOwner(storeUrl: string, owner: StoreOwner, options: GuardOptions): Promise<void> {
  const claim = await checkStoreOwner(storeUrl, owner, options);
  await claim?.();
}
