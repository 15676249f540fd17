/**
 * The console twin driven through piped stdin (no terminal) against a paper engine:
 * the same commands as Discord, a typed confirmation for /close, and end of input that
 * stops reading commands without touching positions.
 */
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleTwin } from '../../src/console/repl.js';
import { optionValues, parseLine, splitWords } from '../../src/console/parse.js';
import { findCommand } from '../../src/commands/registry.js';
import { LogOutput, MemoryLogger } from '../../src/logger.js';
import { commandRig } from '../commands/rig.js';

type Rig = ReturnType<typeof commandRig>;

function pipedConsole(rig: Rig | null, attachmentsDir?: string) {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const logger = new MemoryLogger();
  const twin = new ConsoleTwin({
    control: () => rig?.control ?? null,
    input,
    output,
    terminal: false,
    color: false,
    logger,
    ...(attachmentsDir === undefined ? {} : { attachmentsDir }),
  });
  return {
    twin,
    logger,
    type: (line: string) => input.write(`${line}\n`),
    end: () => input.end(),
    output: () => text,
    /** Waits (bounded) until the output contains `needle`. */
    async waitFor(needle: string | RegExp, timeoutMs = 5_000): Promise<void> {
      const started = Date.now();
      while (!(typeof needle === 'string' ? text.includes(needle) : needle.test(text))) {
        if (Date.now() - started > timeoutMs) throw new Error(`console output never showed ${String(needle)}; got:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

const consoles: ConsoleTwin[] = [];
afterEach(() => {
  for (const twin of consoles.splice(0)) twin.stop();
});

describe('console twin (piped stdin, no terminal)', () => {
  it('answers /status with the same reply Discord renders, as text', async () => {
    const rig = commandRig();
    const c = pipedConsole(rig);
    consoles.push(c.twin);
    c.type('/status');
    await c.waitFor('■ Status');
    const out = c.output();
    expect(out).toMatch(/Mode\s+paper · data replay/);
    expect(out).toMatch(/Paused\s+no/);
    expect(out).toMatch(/Open positions \(0\)\s+none/);
    expect(out).not.toContain('trader> ');
  });

  it('closes a position only after "yes", and audits it as the console', async () => {
    const rig = commandRig({ closeWaitMs: 0 });
    await rig.openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    const c = pipedConsole(rig);
    consoles.push(c.twin);
    c.type('/close BTCUSDT');
    await c.waitFor('Type yes to confirm "Close BTCUSDT"');
    expect(c.output()).toContain('■ Close BTCUSDT?');
    expect(rig.trader.managedPositions()[0]?.exitClientOrderId).toBeNull();

    c.type('yes');
    await c.waitFor('Close sent for BTCUSDT.');
    expect(rig.trader.managedPositions()[0]?.exitClientOrderId).not.toBeNull();
    expect(rig.store.audit.at(-1)).toMatchObject({ actor: 'console', action: 'close', detail: 'BTCUSDT', result: 'ok' });
    await rig.nextPrice('BTCUSDT', 115_500);
    expect(rig.trader.managedPositions()).toEqual([]);
  });

  it('cancels a confirmation on anything but "yes"', async () => {
    const rig = commandRig({ closeWaitMs: 0 });
    await rig.openAdopted('ETHUSDT', 'short', 0.2, 3_800);
    const c = pipedConsole(rig);
    consoles.push(c.twin);
    c.type('/close all');
    c.type('y');
    c.type('/positions');
    await c.waitFor('■ Positions');
    expect(c.output()).toContain('Cancelled: nothing was done.');
    // A terminal is wide: the positions table, not the phone's per-position fields.
    expect(c.output()).toMatch(/symbol +side +lev +entry +mark +size +uPnL +SL +TP +liq\n +ETHUSDT +short +5x +3,798\.1 +3,800 /);
    expect(c.output()).not.toContain('ETHUSDT SHORT 5x');
    expect(rig.trader.managedPositions()[0]?.exitClientOrderId).toBeNull();
    expect(rig.store.audit).toEqual([]);
  });

  it('at end of input stops reading, drops a pending confirmation and leaves positions open', async () => {
    const rig = commandRig({ closeWaitMs: 0 });
    await rig.openAdopted('SOLUSDT', 'long', 5, 180);
    const c = pipedConsole(rig);
    consoles.push(c.twin);
    c.type('/close all');
    c.end();
    await c.twin.finished;
    expect(c.output()).toContain('input ended before the confirmation: nothing was done.');
    expect(c.logger.lines.map((l) => l.message)).toContain(
      'console input closed: no more commands are read; the bot keeps trading (stop it with SIGINT or SIGTERM)',
    );
    // The engine goes on: the controller still manages the untouched position.
    await rig.nextPrice('SOLUSDT', 181);
    expect(rig.trader.managedPositions().map((p) => [p.symbol, p.exitClientOrderId])).toEqual([['SOLUSDT', null]]);
    expect(rig.store.audit).toEqual([]);
  });

  it('says what is wrong with a line: unknown command, unknown option, missing value', async () => {
    const c = pipedConsole(commandRig());
    consoles.push(c.twin);
    c.type('/stauts');
    c.type('/trades colour:red');
    c.type('/mode');
    c.type('/help close');
    await c.waitFor('/close <target>');
    const out = c.output();
    expect(out).toContain('Unknown command "stauts". /help lists the commands.');
    expect(out).toContain('/trades has no option "colour"');
    expect(out).toMatch(/■ \/mode: not done\n\s+mode is required/);
  });

  it('says it is not trading yet while there is no Control (standing by)', async () => {
    const c = pipedConsole(null);
    consoles.push(c.twin);
    c.type('/status');
    await c.waitFor('not trading yet');
  });

  it('saves reply charts to files and names them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-charts-'));
    try {
      const rig = commandRig();
      rig.reports.add('2025-07-31', 82);
      const c = pipedConsole(rig, dir);
      consoles.push(c.twin);
      c.type('/report 2025-07-31');
      await c.waitFor(/score-history-2025-07-31\.png .* saved to /);
      const saved = readFileSync(join(dir, 'equity-2025-07-31.png'));
      expect(saved.subarray(0, 4).toString('hex')).toBe('89504e47');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('console line parsing', () => {
  const trades = findCommand('trades')!;
  it('keeps quoted words together and strips the slash', () => {
    expect(splitWords(`/close "BTC USDT" 'a b' c`)).toEqual(['/close', 'BTC USDT', 'a b', 'c']);
    expect(parseLine('  /Status  ')).toEqual({ name: 'status', words: [] });
    expect(parseLine('   ')).toBeNull();
  });

  it('fills options by name or in order', () => {
    const [first, second] = trades.options;
    expect(optionValues(trades, [`${second!.name}:x`, 'y'])).toEqual({ [second!.name]: 'x', [first!.name]: 'y' });
    expect(() => optionValues(trades, ['a', 'b', 'c', 'd', 'e'])).toThrow(/too many values/);
  });
});

describe('console twin on a terminal', () => {
  it('writes a log line above the prompt and redraws what was being typed', async () => {
    const input = new PassThrough();
    const output = Object.assign(new PassThrough(), { columns: 120, isTTY: true });
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const logOutput = new LogOutput(() => {
      throw new Error('the console should have taken the log output over');
    });
    const twin = new ConsoleTwin({
      control: () => null,
      input,
      output,
      terminal: true,
      color: false,
      logger: new MemoryLogger(),
      logOutput,
      onInterrupt: () => undefined,
    });
    consoles.push(twin);
    input.write('/sta');
    await new Promise((resolve) => setTimeout(resolve, 20));
    text = '';
    logOutput.write('12:00:00.000 INFO  trader   opened BTCUSDT\n');
    // Clear the prompt line, the log line, then the prompt with the typed text again.
    expect(text.startsWith('\r\u001b[2K12:00:00.000 INFO  trader   opened BTCUSDT\n')).toBe(true);
    expect(text.slice(text.indexOf('\n') + 1)).toContain('trader> /sta');
    twin.stop();
    expect(() => logOutput.write('after\n')).toThrow(/taken the log output over/);
  });
});
