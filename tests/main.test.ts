import { describe, expect, it } from 'vitest';
import { spawnTs } from './helpers/process.js';

describe('process start', () => {
  it('lists every config problem and exits with code 2', async () => {
    const run = spawnTs('src/main.ts', { MIN_WIN_PROBABILITY: 'abc', STRATEGY_MODE: 'yolo' });
    run.child.stdin?.end();
    const code = await run.exited;
    expect(code).toBe(2);
    expect(run.stderr).toContain('MIN_WIN_PROBABILITY');
    expect(run.stderr).toContain('STRATEGY_MODE');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses live trading without keys, naming what is missing, exit code 2', async () => {
    const run = spawnTs('src/main.ts', { TRADING_MODE: 'live' });
    const code = await run.exited;
    expect(code).toBe(2);
    for (const name of ['BINANCE_API_KEY', 'BINANCE_API_SECRET', 'CONFIRM_LIVE_TRADING']) expect(run.stderr).toContain(name);
  });

  it('refuses live trading with keys but no confirmation', async () => {
    const run = spawnTs('src/main.ts', { TRADING_MODE: 'live', BINANCE_API_KEY: 'abcdefghijk', BINANCE_API_SECRET: 'abcdefghijk' });
    expect(await run.exited).toBe(2);
    expect(run.stderr).toContain('CONFIRM_LIVE_TRADING');
    expect(run.stderr).not.toContain('abcdefghijk');
  });

  it('prints the effective configuration redacted', async () => {
    const run = spawnTs('src/main.ts', { DISCORD_TOKEN: 'x'.repeat(40), DISCORD_APPLICATION_ID: '123456789012345678' }, ['--print-config']);
    expect(await run.exited).toBe(0);
    expect(run.stdout).toContain('DISCORD_TOKEN=*** (set)');
    expect(run.stdout).not.toContain('x'.repeat(40));
  });
});
