/**
 * Graceful stop on the platform (issue 9, "`worker: npm start` never shuts down cleanly"):
 * the exact Procfile command, run through `bash -c` as Railway/Heroku do, receives SIGTERM,
 * says "stopped cleanly" and leaves no process behind. railway.json and `npm start` run the
 * same command.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from './helpers/process.js';

function procfileWorker(): string {
  const line = readFileSync(join(projectRoot, 'Procfile'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('worker:'));
  if (line === undefined) throw new Error('Procfile has no worker line');
  return line.slice('worker:'.length).trim();
}

/** True while any process of the group exists. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const groups: number[] = [];
afterEach(() => {
  for (const pgid of groups.splice(0)) if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
});

describe('the platform start command', () => {
  it('is one command, shared by Procfile, railway.json and npm start, that runs node directly', () => {
    const command = procfileWorker();
    const railway = JSON.parse(readFileSync(join(projectRoot, 'railway.json'), 'utf8')) as { deploy: { startCommand: string } };
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(command).toBe('node --import tsx src/main.ts');
    expect(railway.deploy.startCommand).toBe(command);
    expect(pkg.scripts['start']).toBe(command);
  });

  it('stops cleanly on SIGTERM sent to `bash -c <Procfile command>` and leaves no process behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procfile-'));
    // Its own process group, so that "no process left" covers every descendant.
    const child = spawn('bash', ['-c', procfileWorker()], {
      cwd: projectRoot,
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        NODE_NO_WARNINGS: '1',
        STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
        MARKET_DATA: 'replay',
        SYMBOLS: 'BTCUSDT',
        REPLAY_SPEED: '1',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pgid = child.pid;
    if (pgid === undefined) throw new Error('could not start bash');
    groups.push(pgid);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));

    const deadline = Date.now() + 60_000;
    while (!/Reconciled with the exchange/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the bot did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // What the platform does: SIGTERM to the process it started (bash -c …).
    process.kill(pgid, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('stopped cleanly');
    // Every process of the group is gone (bounded wait for the kernel to reap).
    for (let i = 0; i < 100 && groupAlive(pgid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(groupAlive(pgid)).toBe(false);
  }, 90_000);
});
