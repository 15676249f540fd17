/**
 * The bot process rig shared by the end-to-end tests: the bot (`src/main.ts`) started in a
 * temporary directory with its own sqlite store, optionally against the fake Binance, and
 * everything it started stopped after each test (processes killed, fakes closed).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { startFakeBinance, type FakeBinance, type FakeBinanceOptions } from '../fakes/fake-binance.js';
import { spawnTs, type Spawned } from './process.js';

/** A fresh temporary directory for one bot's store and files. */
export function botDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The environment of a live run against `url` (the fake Binance): keys, confirmation, API base. */
export function liveEnv(url: string, apiKey = 'test-key-not-real', apiSecret = 'test-secret-not-real'): Record<string, string> {
  return {
    TRADING_MODE: 'live',
    BINANCE_API_KEY: apiKey,
    BINANCE_API_SECRET: apiSecret,
    CONFIRM_LIVE_TRADING: 'yes',
    EXCHANGE_API_BASE: url,
  };
}

export interface BotRig {
  /** Starts a fake Binance on loopback; closed after the test. */
  readonly fakeBinance: (options?: FakeBinanceOptions) => Promise<FakeBinance>;
  /**
   * Starts the bot in `dir` with SYMBOLS=BTCUSDT, an sqlite store at `dir/state.sqlite` and
   * info logs (each overridable by `env`); killed after the test if still running. Its stdin
   * is closed (a closed stdin must not stop the bot) unless `keepStdin` (console commands).
   */
  readonly start: (dir: string, env: Record<string, string>, options?: { readonly keepStdin?: boolean }) => Spawned;
}

/** Call once at the top of a test file (it registers an afterEach that cleans up). */
export function useBotRig(): BotRig {
  const running: Spawned[] = [];
  const fakes: FakeBinance[] = [];
  afterEach(async () => {
    for (const run of running.splice(0)) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    for (const fake of fakes.splice(0)) await fake.close();
  });
  return {
    async fakeBinance(options) {
      const fake = await startFakeBinance(options);
      fakes.push(fake);
      return fake;
    },
    start(dir, env, options = {}) {
      const run = spawnTs(
        'src/main.ts',
        { SYMBOLS: 'BTCUSDT', STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`, LOG_LEVEL: 'info', ...env },
        [],
        dir,
      );
      if (options.keepStdin !== true) run.child.stdin?.end();
      running.push(run);
      return run;
    },
  };
}
