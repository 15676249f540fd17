/**
 * A position whose stop cannot be placed is reported "unprotected" (issue 9): in the Control
 * facade's status as /status (Discord and console) renders it, in the log, and as a typed
 * safety event that the reports wiring turns into an alert. Real ccxt against the fake Binance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findCommand } from '../../src/commands/registry.js';
import { runCommand } from '../../src/commands/run.js';
import type { Control } from '../../src/engine/control.js';
import { alertForSafetyEvent } from '../../src/reports/wiring.js';
import { LiveRig } from './live-rig.js';

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

async function statusPositions(control: Control): Promise<{ positions: string | undefined; tone: string }> {
  const reply = await runCommand(findCommand('status')!, { control, actor: 'console', channelId: null, controlRepliesEphemeral: true }, {});
  return { positions: reply.fields.find((f) => f.name.startsWith('Open positions'))?.value, tone: reply.tone };
}

describe('a position whose stop cannot be placed', () => {
  it('is shown unprotected by /status, logged and raised as a typed safety event, until its stop is placed', async () => {
    rig = await LiveRig.start();
    rig.fake.state.positions.set('BTCUSDT', { symbol: 'BTCUSDT', amount: 0.01, entryPrice: 60_000, updateTime: 0 });
    rig.fake.inject(
      'POST /fapi/v1/algoOrder',
      { kind: 'binance_error', code: -4120, msg: 'Order type not supported for this endpoint.' },
      2,
    );
    await rig.trader.reconcile();
    await rig.tick();
    const control = rig.control();
    const shown = await statusPositions(control);
    expect(shown.positions).toMatch(/^BTCUSDT long · ⚠ NO STOP \(stop at [\d.]+ refused; tried again at the next check\)$/);
    expect(shown.tone).toBe('danger');
    expect((await control.status()).protection).toEqual([
      { symbol: 'BTCUSDT', stopProtected: false, detail: expect.stringMatching(/refused/) },
    ]);
    expect(rig.linesAt('warn').some((m) => m.startsWith('position BTCUSDT is UNPROTECTED'))).toBe(true);
    const events = rig.events.flatMap((e) => (e.kind === 'safety' ? [e.safety] : []));
    const unprotected = events.filter((e) => e.kind === 'unprotected' || e.kind === 'adopted_unprotected');
    expect(unprotected.length).toBeGreaterThanOrEqual(2);
    expect(alertForSafetyEvent(unprotected[0]!)).toMatchObject({ kind: 'unprotected_position', symbol: 'BTCUSDT' });
    // The refusals end: the next check places the stop and the status says so.
    await rig.tick();
    expect((await statusPositions(control)).positions).toBe('BTCUSDT long · stop-protected');
  });
});
