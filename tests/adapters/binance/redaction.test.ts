/**
 * Secrets stay out of every error and log line (issue 9: "Error logs quote signed URLs with
 * their `signature=` parameter"): real ccxt against the fake Binance, each kind of failure
 * on signed endpoints.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../src/adapters/binance/errors.js';
import type { Fault } from '../../fakes/fake-binance.js';
import { marketBuy, startRig, type Rig } from './helpers.js';

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
});

/** Everything an error can print: name, message, stack, and those of its causes. */
function everythingSaid(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    parts.push(current.name, current.message, current.stack ?? '');
    current = current.cause;
  }
  return parts.join('\n');
}

function expectNoSecret(text: string): void {
  expect(text).not.toMatch(/signature=[0-9a-f]/i);
  expect(text).not.toContain('test-api-key');
  expect(text).not.toContain('test-secret');
}

const faults: readonly [string, Fault][] = [
  ['a 503', { kind: 'server_error' }],
  [
    'a 500 with a Binance body',
    { kind: 'binance_error', code: -1000, status: 500, msg: 'An unknown error occurred while processing the request.' },
  ],
  ['a timeout', { kind: 'timeout' }],
  ['a 418', { kind: 'rate_limit', status: 418, retryAfterSec: 1 }],
  ['a revoked key', { kind: 'binance_error', code: -2015 }],
];

describe('no signature or key in errors', () => {
  it.each(faults)('a read failing with %s', async (_label, fault) => {
    rig.fake.inject('GET /fapi/v3/positionRisk', fault);
    const error = await rig.exchange.fetchPositions(1).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    // The request itself was signed: the redaction is what keeps it out.
    expect(rig.fetched.some((line) => /positionRisk\?.*signature=[0-9a-f]{64}/.test(line))).toBe(true);
    expectNoSecret(everythingSaid(error));
  });

  it('an order whose outcome is unknown, and the log lines about it', async () => {
    rig.fake.inject('POST /fapi/v1/order', { kind: 'server_error' });
    rig.fake.inject('GET /fapi/v1/order', { kind: 'server_error' });
    const error = await rig.exchange.placeOrder(marketBuy('entry-redact'), 1).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expectNoSecret(everythingSaid(error));
    expect(rig.logger.lines.length).toBeGreaterThan(0);
    expectNoSecret(JSON.stringify(rig.logger.lines));
  });
});

describe('redactSecrets', () => {
  it('replaces signature, key parameters and the literal credentials, and keeps the rest', () => {
    const text =
      'binanceusdm GET http://h/fapi/v3/positionRisk?timestamp=1&recvWindow=10000&signature=abc123 503 key=test-api-key apiKey=zz';
    expect(redactSecrets(text, ['test-api-key'])).toBe(
      'binanceusdm GET http://h/fapi/v3/positionRisk?timestamp=1&recvWindow=10000&signature=[redacted] 503 key=[redacted] apiKey=[redacted]',
    );
  });
});
