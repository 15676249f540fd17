/**
 * Records kept by the store besides the engine's own types, and runtime shape checks for what
 * comes back from it (a value that parses but has the wrong shape is corruption, not data).
 */
import type { AuditEntry, EngineSnapshot } from '../engine/ports.js';
import type { TradeRecord } from '../engine/types.js';
import { isUtcDay } from '../engine/utc-day.js';

/** A trained model version. `model` (weights, thresholds) is opaque to the store. */
export interface ModelVersionRecord {
  readonly version: string;
  readonly createdAt: number;
  readonly promoted: boolean;
  readonly metrics: Readonly<Record<string, number>>;
  readonly model: unknown;
}

/** What `modelVersions.list()` returns: everything but the (possibly large) model itself. */
export type ModelVersionSummary = Omit<ModelVersionRecord, 'model'>;

/** A daily report, also kept in the store because Railway's file system is ephemeral (blueprint "Daily report"). */
export interface DailyReportRecord {
  /** The UTC day the report covers, 'YYYY-MM-DD'. */
  readonly day: string;
  readonly generatedAt: number;
  /** The JSON report (`model_report_YYYY-MM-DD.json`). */
  readonly report: unknown;
  /** The Markdown report (`model_report_YYYY-MM-DD.md`). */
  readonly markdown: string;
}

export const SUBSCRIPTION_KINDS = ['reports', 'alerts', 'trades'] as const;
export type SubscriptionKind = (typeof SUBSCRIPTION_KINDS)[number];

/** A Discord channel that receives some kinds of posts. */
export interface Subscription {
  readonly channelId: string;
  readonly kinds: readonly SubscriptionKind[];
  readonly addedAt: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

export function isTradeRecord(value: unknown): value is TradeRecord {
  return (
    isObject(value) &&
    typeof value['id'] === 'string' &&
    typeof value['symbol'] === 'string' &&
    isFiniteNumber(value['openedAt']) &&
    isFiniteNumber(value['closedAt']) &&
    isFiniteNumber(value['pnlUsdt'])
  );
}

/** Shape of a version-1 snapshot (the `version` itself is checked separately, for a clearer error). */
export function isSnapshotV1(value: Record<string, unknown>): value is Record<string, unknown> & EngineSnapshot {
  return (
    value['version'] === 1 &&
    isFiniteNumber(value['savedAt']) &&
    isObject(value['state']) &&
    Array.isArray(value['positions']) &&
    Array.isArray(value['pendingOrders']) &&
    isObject(value['lastCandleAt'])
  );
}

export function isAuditEntry(value: unknown): value is AuditEntry {
  return (
    isObject(value) &&
    isFiniteNumber(value['at']) &&
    typeof value['actor'] === 'string' &&
    typeof value['action'] === 'string' &&
    typeof value['detail'] === 'string' &&
    (value['result'] === 'ok' || value['result'] === 'denied' || value['result'] === 'error')
  );
}

export function isModelVersionSummary(value: unknown): value is ModelVersionSummary {
  return (
    isObject(value) &&
    typeof value['version'] === 'string' &&
    isFiniteNumber(value['createdAt']) &&
    typeof value['promoted'] === 'boolean' &&
    isObject(value['metrics'])
  );
}

export function isModelVersionRecord(value: unknown): value is ModelVersionRecord {
  return isModelVersionSummary(value) && 'model' in value;
}

export function isDailyReportRecord(value: unknown): value is DailyReportRecord {
  return (
    isObject(value) &&
    isUtcDay(value['day']) &&
    isFiniteNumber(value['generatedAt']) &&
    'report' in value &&
    typeof value['markdown'] === 'string'
  );
}

export function isSubscriptionKind(value: unknown): value is SubscriptionKind {
  return typeof value === 'string' && (SUBSCRIPTION_KINDS as readonly string[]).includes(value);
}

export function isSubscription(value: unknown): value is Subscription {
  return (
    isObject(value) &&
    typeof value['channelId'] === 'string' &&
    Array.isArray(value['kinds']) &&
    value['kinds'].every(isSubscriptionKind) &&
    isFiniteNumber(value['addedAt'])
  );
}

export const isString = (value: unknown): value is string => typeof value === 'string';
