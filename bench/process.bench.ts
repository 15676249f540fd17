/**
 * Memory of the bot process itself on the embedded default (paper trading on replay data),
 * read from /proc after it has traded for a few seconds. Railway gives 512 MB.
 *
 * bot_rss_paper_replay_mb   resident set size (VmRSS)
 * bot_peak_rss_paper_replay_mb   peak resident set size (VmHWM)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Emit } from './figure.js';

const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

function procKb(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number((line ?? '').replace(/\D+/g, ''));
}

export async function run(emit: Emit): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bot-'));
  const loader = pathToFileURL(join(projectRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', loader, join(projectRoot, 'src', 'main.ts')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', MARKET_DATA: 'replay', REPLAY_SPEED: '3000', STORE_URL: `sqlite://${join(dir, 'state.sqlite')}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  try {
    const deadline = Date.now() + 60_000;
    while (!output.includes('Reconciled') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    if (!output.includes('Reconciled')) throw new Error(`the bot did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 8000));
    const pid = child.pid!;
    emit({
      name: 'bot_rss_paper_replay_mb',
      value: Math.round(procKb(pid, 'VmRSS') / 102.4) / 10,
      unit: 'MB',
      note: 'after ~8 s of paper trading at 3000× replay',
    });
    emit({ name: 'bot_peak_rss_paper_replay_mb', value: Math.round(procKb(pid, 'VmHWM') / 102.4) / 10, unit: 'MB' });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
