/**
 * `npm start` without DISCORD_TOKEN, commands piped to stdin (no terminal): the console
 * answers them, and the end of input leaves the bot trading until it is told to stop.
 */
import { describe, expect, it } from 'vitest';
import { botDir, useBotRig } from '../helpers/bot.js';

const rig = useBotRig();

describe('npm start with commands on stdin', () => {
  it('answers /status and /positions, keeps trading after EOF, and stops cleanly on SIGTERM', async () => {
    const dir = botDir('console-process-');
    const run = rig.start(
      dir,
      { MARKET_DATA: 'replay', SYMBOLS: 'BTCUSDT,ETHUSDT,SOLUSDT', REPLAY_SPEED: '30000', EXPLORATION_RATE: '0.5' },
      { keepStdin: true },
    );
    // Stdout is not a terminal: logs stay JSON lines (LOG_FORMAT=auto).
    await run.waitFor(/"message":"console reading commands from stdin/, 60_000);
    expect(run.stdout).toMatch(/control: console \(no DISCORD_TOKEN\)/);

    run.child.stdin?.write('/status\n/positions\n');
    await run.waitFor(/■ Positions/, 30_000);
    expect(run.stdout).toMatch(/■ Status\n {2}Symbols: BTCUSDT, ETHUSDT, SOLUSDT/);
    expect(run.stdout).toMatch(/ {2}Mode +paper · data replay/);

    run.child.stdin?.end();
    await run.waitFor(/"message":"console input closed: no more commands are read; the bot keeps trading/, 10_000);
    const atEof = run.stdout.length;
    // Trading goes on after the end of input: orders keep going out on the replay.
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const check = (): void => {
        if (/"message":"(entry sent|position opened|close sent|position closed)"/.test(run.stdout.slice(atEof))) return resolve();
        if (run.child.exitCode !== null || Date.now() - started > 60_000)
          return reject(new Error(`no trading after EOF:\n${run.stdout.slice(atEof)}`));
        setTimeout(check, 50);
      };
      check();
    });
    expect(run.child.exitCode).toBeNull();

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stdout).toContain('stopped cleanly');
  }, 180_000);
});
