/**
 * STORE_URL parsing: which keyv backend, and a redacted form that is safe to log.
 */
import { isAbsolute, resolve } from 'node:path';
import { StoreError } from '../errors.js';

export type StoreBackend = 'sqlite' | 'postgres' | 'redis';

export type StoreLocation =
  | { readonly backend: 'sqlite'; readonly url: string; readonly path: string; readonly inMemory: boolean }
  | { readonly backend: 'postgres'; readonly url: string }
  | { readonly backend: 'redis'; readonly url: string };

/** The URL with any password replaced by `***` (never print a password, STYLE.md §13). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') {
      parsed.password = '***';
      return parsed.toString();
    }
    return url;
  } catch {
    // Not a URL the WHATWG parser accepts: redact anything that looks like user:password@.
    return url.replace(/\/\/([^/:@]*):[^@/]*@/, '//$1:***@');
  }
}

/**
 * `sqlite://state/state.sqlite` (relative to `cwd`), `sqlite:///abs/file.sqlite`, `sqlite://:memory:`,
 * `postgres://…` / `postgresql://…`, `redis://…` / `rediss://…`. Anything else is a StoreError.
 */
export function parseStoreUrl(storeUrl: string, cwd: string = process.cwd()): StoreLocation {
  const url = storeUrl.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'sqlite': {
      const rest = url.slice('sqlite://'.length).split('?')[0] ?? '';
      if (rest === '') throw new StoreError(`STORE_URL ${redactUrl(url)} names no sqlite file; expected e.g. sqlite://state/state.sqlite`);
      if (rest === ':memory:') return { backend: 'sqlite', url, path: ':memory:', inMemory: true };
      const path = isAbsolute(rest) ? rest : resolve(cwd, rest);
      return { backend: 'sqlite', url, path, inMemory: false };
    }
    case 'postgres':
    case 'postgresql':
      return { backend: 'postgres', url };
    case 'redis':
    case 'rediss':
      return { backend: 'redis', url };
    default:
      throw new StoreError(
        `STORE_URL ${redactUrl(url)} has an unsupported scheme${scheme === undefined ? '' : ` "${scheme}"`}; ` +
          'expected sqlite://path, postgres://user:password@host/db or redis://host:port',
      );
  }
}
