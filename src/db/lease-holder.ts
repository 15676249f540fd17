/**
 * What the lease backends share: the holder record and how it is described.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Who holds a lease, as far as the backend can tell. */
export interface LeaseHolder {
  readonly token: string | null;
  readonly pid: number | null;
  readonly host: string | null;
  /** When the lease runs out unless renewed (null when the backend cannot tell). */
  readonly expiresAt: number | null;
  /** One line for logs and Discord: "pid 4242 on web-1 (token 3f2a…)". */
  readonly description: string;
}

/** What a holder writes about itself. */
export interface HolderInfo {
  readonly token: string;
  readonly pid: number;
  readonly host: string;
  readonly name: string;
  readonly acquiredAt: number;
}

export function describeHolder(info: { token: string | null; pid: number | null; host: string | null }, extra = ''): string {
  const who = info.pid === null ? 'an unknown process' : `pid ${info.pid}${info.host === null ? '' : ` on ${info.host}`}`;
  return `${who}${info.token === null ? '' : ` (token ${info.token.slice(0, 8)}…)`}${extra}`;
}

export function isHolderInfo(value: unknown): value is HolderInfo {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['token'] === 'string' && typeof v['pid'] === 'number' && typeof v['host'] === 'string';
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
