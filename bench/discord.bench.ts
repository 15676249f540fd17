/**
 * Discord interaction latency, end to end on loopback: the fake Discord injects a slash
 * command over the gateway, the real discord.js client in our bot handles it, and the time
 * is taken when the fake has the visible answer (reply, or deferral + edit). 20 open paper
 * positions, so /positions renders a full embed.
 */
import { performance } from 'node:perf_hooks';
import { startHarness } from '../tests/discord/harness.js';
import type { Emit } from './figure.js';
import { percentile } from './figure.js';

const POSITIONS = 20;
const STATUS_RUNS = 200;
const POSITIONS_RUNS = 100;
/**
 * Commands start at least this far apart (at most 40 a second). discord.js keeps to Discord's
 * global limit of 50 requests a second and holds the 51st until the second is over, so a bench
 * firing back to back measured that queue (every 50th reply took ~700 ms), not the bot. Nobody
 * types 40 commands a second from a phone.
 */
const PACE_MS = 25;

export async function run(emit: Emit): Promise<void> {
  const symbols = Array.from({ length: POSITIONS }, (_, i) => `SYM${String(i).padStart(2, '0')}USDT`);
  const h = await startHarness({ symbols });
  try {
    for (const [i, symbol] of symbols.entries()) await h.rig.openAdopted(symbol, i % 2 === 0 ? 'long' : 'short', 0.01, 100_000 + i * 10);
    const time = async (name: string, runs: number): Promise<number[]> => {
      const samples: number[] = [];
      let lastStart = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < runs + 10; i++) {
        const wait = lastStart + PACE_MS - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const started = performance.now();
        lastStart = started;
        await h.fake.waitForInteractionReply(h.fake.sendCommand({ name }).id);
        // The first few warm the client's caches and the JIT.
        if (i >= 10) samples.push(performance.now() - started);
      }
      return samples.sort((a, b) => a - b);
    };
    const status = await time('status', STATUS_RUNS);
    const positions = await time('positions', POSITIONS_RUNS);
    const round = (ms: number): number => Math.round(ms * 100) / 100;
    const note = `interaction → visible reply, real discord.js against the fake Discord on loopback, ${POSITIONS} open positions`;
    emit({ name: 'discord_status_p50_ms', value: round(percentile(status, 50)), unit: 'ms', note: `${note}, ${STATUS_RUNS} runs` });
    emit({ name: 'discord_status_p99_ms', value: round(percentile(status, 99)), unit: 'ms', note: `${note}, ${STATUS_RUNS} runs` });
    emit({
      name: 'discord_positions_p99_ms',
      value: round(percentile(positions, 99)),
      unit: 'ms',
      note: `${note}, ${POSITIONS_RUNS} runs`,
    });
  } finally {
    await h.stop();
  }
}
