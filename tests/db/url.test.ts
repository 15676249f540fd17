import { describe, expect, it } from 'vitest';
import { parseStoreUrl, redactUrl } from '../../src/db/url.js';
import { StoreError } from '../../src/errors.js';

describe('STORE_URL', () => {
  it('reads a relative sqlite path against the working directory', () => {
    expect(parseStoreUrl('sqlite://state/state.sqlite', '/srv/trader')).toMatchObject({
      backend: 'sqlite',
      path: '/srv/trader/state/state.sqlite',
      inMemory: false,
    });
    expect(parseStoreUrl('sqlite:///var/lib/trader/state.sqlite', '/srv/trader')).toMatchObject({ path: '/var/lib/trader/state.sqlite' });
    expect(parseStoreUrl('sqlite://:memory:')).toMatchObject({ backend: 'sqlite', inMemory: true });
  });

  it('recognises PostgreSQL and Redis URLs', () => {
    expect(parseStoreUrl('postgres://u:p@db:5432/trader').backend).toBe('postgres');
    expect(parseStoreUrl('postgresql://u:p@db/trader').backend).toBe('postgres');
    expect(parseStoreUrl('redis://cache:6379').backend).toBe('redis');
    expect(parseStoreUrl('rediss://default:pw@cache:6380').backend).toBe('redis');
  });

  it('refuses other schemes and empty sqlite paths with a StoreError', () => {
    expect(() => parseStoreUrl('mongodb://x')).toThrow(StoreError);
    expect(() => parseStoreUrl('state.sqlite')).toThrow(/unsupported scheme/);
    expect(() => parseStoreUrl('sqlite://')).toThrow(/names no sqlite file/);
  });

  it('never shows a password', () => {
    expect(redactUrl('postgres://trader:s3cret@db.internal:5432/trader')).toBe('postgres://trader:***@db.internal:5432/trader');
    expect(redactUrl('rediss://default:s3cret@cache:6380')).toBe('rediss://default:***@cache:6380');
    expect(redactUrl('redis://cache:6379')).toBe('redis://cache:6379');
    expect(redactUrl('weird://user:s3cret@host with space')).not.toContain('s3cret');
  });
});
