/**
 * Error reactions drive the engine state (issue 9, "Error reactions are declared and never
 * acted on"): a revoked API key halts the engine with one alert and no request storm.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LiveRig } from './live-rig.js';

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('a revoked API key', () => {
  it('halts the engine with one critical alert, and the position loop stops hammering the exchange', async () => {
    rig = await LiveRig.start();
    rig.fake.inject('GET /fapi/v3/positionRisk', { kind: 'binance_error', code: -2015, status: 401 }, 1_000);
    const before = rig.fake.requests.length;
    // One minute of 2 s ticks.
    for (let i = 0; i < 30; i++) await rig.tick();
    expect(rig.tradingState.status()).toMatchObject({ state: 'halted' });
    expect(rig.tradingState.status().reason).toMatch(/-2015/);
    expect(rig.notices.filter((n) => n.kind === 'alert' && n.severity === 'critical')).toHaveLength(1);
    // Every tick would fail the same way: the exchange is read once a minute, not 30 times.
    const reads = rig.requests('GET /fapi/v3/positionRisk', before).length;
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(2);
    expect(rig.fake.requests.length - before).toBeLessThanOrEqual(3);
    // One error line, not one every 2 s.
    expect(rig.linesAt('error').filter((m) => m.startsWith('position tick failed'))).toHaveLength(1);
    expect(rig.tradingState.canEnter()).toBe(false);
    // The Control facade's status shows it (Discord /status renders this).
    const control = rig.control();
    const status = await control.status();
    expect(status.engine.state).toBe('halted');
    expect(status.engine.reason).toMatch(/API-key/);
    expect(status.protection).toEqual([]);
  });

  it('a transient failure does not halt: the engine stays active and reads on every tick', async () => {
    rig = await LiveRig.start();
    rig.fake.inject('GET /fapi/v3/positionRisk', { kind: 'server_error' }, 3);
    const before = rig.fake.requests.length;
    for (let i = 0; i < 5; i++) await rig.tick();
    expect(rig.tradingState.status().state).toBe('active');
    expect(rig.requests('GET /fapi/v3/positionRisk', before)).toHaveLength(5);
    expect(rig.notices).toEqual([]);
  });
});
