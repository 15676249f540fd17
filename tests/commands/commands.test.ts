/**
 * The transport-free commands over a real Control (paper venue, adopted positions): what each
 * reply says, the confirmation step of /close, option checking, and the error replies.
 */
import { describe, expect, it, vi } from 'vitest';
import { commands, findCommand, runCommand, checkOptions, refusalReply } from '../../src/commands/registry.js';
import type { CommandContext, CommandReply, OptionValues } from '../../src/commands/registry.js';
import { RetryableExchangeError, UserInputError } from '../../src/errors.js';
import { sampleTrade } from '../db/fixtures.js';
import { START_MS, commandRig } from './rig.js';

type Rig = ReturnType<typeof commandRig>;

function context(rig: Rig, overrides: Partial<CommandContext> = {}): CommandContext {
  return {
    control: rig.control,
    actor: 'discord:111111111111111111 (alice)',
    channelId: '222222222222222222',
    controlRepliesEphemeral: true,
    ...overrides,
  };
}

async function run(rig: Rig, name: string, options: OptionValues = {}, overrides: Partial<CommandContext> = {}): Promise<CommandReply> {
  const definition = findCommand(name);
  if (definition === undefined) throw new Error(`no command ${name}`);
  return runCommand(definition, context(rig, overrides), options);
}

function field(reply: CommandReply, name: string): string | undefined {
  return reply.fields.find((f) => f.name === name)?.value;
}

describe('the command registry', () => {
  it('defines the twelve commands once each, read commands for viewers and control commands for operators', () => {
    expect(commands.map((c) => c.name)).toEqual([
      'status',
      'positions',
      'trades',
      'score',
      'report',
      'health',
      'pause',
      'resume',
      'mode',
      'close',
      'subscribe',
      'unsubscribe',
    ]);
    const operator = commands.filter((c) => c.permission === 'operator').map((c) => c.name);
    expect(operator).toEqual(['pause', 'resume', 'mode', 'close', 'subscribe', 'unsubscribe']);
  });

  it('keeps names and descriptions within Discord limits', () => {
    for (const command of commands) {
      expect(command.name).toMatch(/^[a-z_-]{1,32}$/);
      expect(command.description.length).toBeGreaterThan(0);
      expect(command.description.length).toBeLessThanOrEqual(100);
      for (const option of command.options) {
        expect(option.name).toMatch(/^[a-z_-]{1,32}$/);
        expect(option.description.length).toBeLessThanOrEqual(100);
      }
      // Discord wants required options before optional ones.
      const required = command.options.map((o) => o.required);
      expect(required).toEqual([...required].sort((a, b) => Number(b) - Number(a)));
    }
  });

  it('finds a command with or without its slash, in any case', () => {
    expect(findCommand('/Status')?.name).toBe('status');
    expect(findCommand('nope')).toBeUndefined();
  });

  it('suggests configured symbols while typing, and "all" for /close', () => {
    const rig = commandRig();
    const target = findCommand('close')!.options[0]!;
    expect(target.autocomplete?.(rig.control, 'bt').map((c) => c.value)).toEqual(['BTCUSDT']);
    expect(target.autocomplete?.(rig.control, '').map((c) => c.value)).toEqual(['all', 'BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(target.autocomplete?.(rig.control, 'eth').map((c) => c.value)).toEqual(['ETHUSDT']);
  });
});

describe('option checking', () => {
  it('lists every problem: a missing required option, a value outside the choices, a number out of range', () => {
    expect(() => checkOptions(findCommand('mode')!, {})).toThrow(
      new UserInputError('mode is required (rules (rule statistics, capped leverage) or self_learning (the model decides))'),
    );
    expect(() => checkOptions(findCommand('mode')!, { mode: 'yolo' })).toThrow(/mode must be one of rules, self_learning, not "yolo"/);
    expect(() => checkOptions(findCommand('trades')!, { limit: 99 })).toThrow(/limit must be from 1 to 25, not 99/);
    expect(() => checkOptions(findCommand('trades')!, { limit: 'ten' })).toThrow(/limit must be a whole number, not "ten"/);
  });

  it('turns text from a console into typed values and strips a channel mention', () => {
    expect(checkOptions(findCommand('trades')!, { limit: '5', symbol: 'btcusdt' })).toEqual({ limit: 5, symbol: 'btcusdt' });
    expect(checkOptions(findCommand('subscribe')!, { channel: '<#333333333333333333>' })).toEqual({ channel: '333333333333333333' });
  });
});

describe('/status', () => {
  it('shows mode, engine state, pause, equity, today’s P&L, protected positions, breaker, uptime and last report', async () => {
    const rig = commandRig();
    await rig.openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    await rig.store.putTrade(sampleTrade(1, { closedAt: START_MS + 500, pnlUsdt: 12.5 }));
    await rig.store.putTrade(sampleTrade(2, { closedAt: START_MS + 600, pnlUsdt: -2.5 }));
    rig.reports.add('2025-07-31', 82);

    const reply = await run(rig, 'status');
    expect(reply.title).toBe('Status');
    expect(field(reply, 'Mode')).toBe('paper · data replay');
    expect(field(reply, 'Engine')).toBe('active');
    expect(field(reply, 'Paused')).toBe('no');
    expect(field(reply, 'Equity')).toMatch(/^\d{1,3}(,\d{3})*\.\d{2} USDT$/);
    expect(field(reply, 'Today’s P&L')).toBe('+10.00 USDT (2 trades)');
    expect(field(reply, 'Open positions (1)')).toBe('BTCUSDT long · stop-protected');
    expect(field(reply, 'Breaker')).toBe('n/a (no exchange requests)');
    expect(field(reply, 'Last report')).toBe('2025-07-31 · score 82 (A)');
    expect(reply.tone).toBe('profit');
    expect(reply.ephemeral).toBe(false);

    await run(rig, 'pause');
    expect(field(await run(rig, 'status'), 'Paused')).toBe('yes');
  });

  it('shows a reducing or halted engine and a position without its stop, in the danger colour', async () => {
    const rig = commandRig({
      tradingState: () => ({ state: 'halted', reason: 'order state uncertain on BTCUSDT', since: START_MS }),
      protection: () => [{ symbol: 'BTCUSDT', stopProtected: false, detail: 'stop refused: -2021' }],
    });
    await rig.openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    const reply = await run(rig, 'status');
    expect(field(reply, 'Engine')).toBe('halted (order state uncertain on BTCUSDT)');
    expect(field(reply, 'Open positions (1)')).toBe('BTCUSDT long · ⚠ NO STOP (stop refused: -2021)');
    expect(reply.tone).toBe('danger');
  });

  it('answers while the exchange is down, with equity unknown', async () => {
    const rig = commandRig({ withReports: false });
    vi.spyOn(rig.paper, 'fetchBalance').mockRejectedValue(new RetryableExchangeError('timeout'));
    vi.spyOn(rig.paper, 'fetchPositions').mockRejectedValue(new RetryableExchangeError('timeout'));
    const reply = await run(rig, 'status');
    expect(field(reply, 'Equity')).toBe('n/a');
    expect(field(reply, 'Last report')).toBe('none yet');
  });
});

describe('/positions', () => {
  it('lists entry, mark, size, leverage, uPnL, SL/TP and liquidation for each position', async () => {
    const rig = commandRig();
    await rig.openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    await rig.openAdopted('ETHUSDT', 'short', 0.2, 3_800);
    rig.paper.onTicker('BTCUSDT', 116_000, 116_000, rig.clock.now());

    const reply = await run(rig, 'positions');
    expect(reply.title).toBe('Positions (2)');
    const btc = reply.fields.find((f) => f.name.startsWith('BTCUSDT LONG'))!;
    expect(btc.value).toContain('mark 116,000');
    expect(btc.value).toMatch(/uPnL \+\d+\.\d{2} USDT/);
    expect(btc.value).toMatch(/SL [\d,.]+ · TP [\d,.]+/);
    expect(btc.value).toMatch(/liq [\d,.]+/);
    expect(reply.table?.rows).toHaveLength(2);
    expect(reply.table?.columns).toEqual(['symbol', 'side', 'lev', 'entry', 'mark', 'size', 'uPnL', 'SL', 'TP', 'liq']);
    expect(reply.tone).toBe('profit');
  });

  it('says so when nothing is open', async () => {
    expect((await run(commandRig(), 'positions')).lines).toEqual(['No open position.']);
  });
});

describe('/trades', () => {
  it('lists recent trades newest first, filtered by symbol and by day', async () => {
    const rig = commandRig();
    for (let i = 1; i <= 6; i++) await rig.store.putTrade(sampleTrade(i));
    const all = await run(rig, 'trades', { limit: 3 });
    expect(all.table?.rows.map((r) => r[1])).toEqual(['BTCUSDT', 'SOLUSDT', 'ETHUSDT']);
    const btc = await run(rig, 'trades', { symbol: 'btcusdt' });
    expect(btc.title).toBe('Trades · BTCUSDT');
    expect(new Set(btc.table?.rows.map((r) => r[1]))).toEqual(new Set(['BTCUSDT']));
    const day = new Date(sampleTrade(1).closedAt).toISOString().slice(0, 10);
    expect((await run(rig, 'trades', { day })).table?.rows.length).toBe(6);
    expect((await run(rig, 'trades', { day: '2020-01-01' })).lines).toEqual(['No closed trade yet.']);
  });

  it('refuses a malformed day and an unknown symbol, privately, saying what is expected', async () => {
    const rig = commandRig();
    const badDay = await run(rig, 'trades', { day: '30/11/2026' });
    expect(badDay).toMatchObject({
      title: '/trades: not done',
      ephemeral: true,
      lines: ['day must be a date like 2026-11-30, not "30/11/2026"'],
    });
    expect((await run(rig, 'trades', { symbol: 'DOGEUSDT' })).lines[0]).toBe(
      'DOGEUSDT is not traded here (symbols: BTCUSDT, ETHUSDT, SOLUSDT)',
    );
  });
});

describe('/score and /report', () => {
  it('shows the latest score with the points of each dimension and the history chart', async () => {
    const rig = commandRig();
    rig.reports.add('2025-07-30', 78);
    rig.reports.add('2025-07-31', 66);
    const reply = await run(rig, 'score');
    expect(reply.title).toBe('Model score 66/100 · grade C');
    expect(reply.lines).toEqual(['2025-07-31 · 43 trades in 7 days', 'previous: 78 (2025-07-30)']);
    expect(field(reply, 'R:R')).toBe('14.0 / 20 pts · 1.42');
    expect(field(reply, 'Win rate')).toBe('12.5 / 20 pts · 52 %');
    expect(field(reply, 'Expected value')).toBe('11.0 / 20 pts · +0.08 R');
    expect(reply.fields).toHaveLength(6);
    expect(reply.tone).toBe('danger');
    expect(reply.attachments?.map((a) => a.name)).toEqual(['score-history-2025-07-31.png']);
  });

  it('shows the latest report with its charts, a given day, or builds the day so far when none is stored', async () => {
    const rig = commandRig();
    const first = await run(rig, 'report');
    expect(first.title).toBe('Daily report 2025-08-01 (day so far)');
    expect(rig.reports.builtToday).toBe(1);
    rig.reports.add('2025-07-30', 91, -3.25);
    const day = await run(rig, 'report', { date: '2025-07-30' });
    expect(day.title).toBe('Daily report 2025-07-30');
    expect(day.lines.slice(0, 2)).toEqual(['Score 91/100 · grade S · 43 trades in 7 days', 'Day: -3.25 USDT · 7 trades · win rate 57 %']);
    expect(day.attachments?.map((a) => a.name)).toEqual(['equity-2025-07-30.png', 'score-history-2025-07-30.png']);
    expect((await run(rig, 'report', { date: '2024-01-01' })).lines).toEqual(['No report is stored for 2024-01-01.']);
    expect((await run(rig, 'report', { date: 'yesterday' })).lines).toEqual(['date must be a UTC day like 2026-11-30, not "yesterday"']);
  });

  it('says plainly when the reports side is not wired', async () => {
    const reply = await run(commandRig({ withReports: false }), 'score');
    expect(reply).toMatchObject({ ephemeral: true, lines: ['reports are not available in this process yet'] });
  });
});

describe('/health', () => {
  it('shows the position loop, memory, store and model, and says when no exchange requests are made', async () => {
    const reply = await run(commandRig(), 'health');
    expect(field(reply, 'Position loop')).toMatch(/^stopped · 0 ticks \(0 failed\)/);
    expect(field(reply, 'Memory')).toMatch(/^rss \d+ MB · heap \d+ MB$/);
    expect(field(reply, 'Store')).toBe('ok');
    expect(field(reply, 'Model')).toBe('rules (no model yet)');
    expect(field(reply, 'Lanes')).toBe('no exchange requests (paper on replay data)');
  });
});

describe('control commands', () => {
  it('pause, resume and mode answer privately (unless configured) and are audited with the actor', async () => {
    const rig = commandRig();
    expect(await run(rig, 'pause')).toMatchObject({
      title: 'Paused',
      ephemeral: true,
      lines: ['Paused: no new entries; open positions are still managed and can be closed.'],
    });
    expect((await run(rig, 'resume', {}, { controlRepliesEphemeral: false })).ephemeral).toBe(false);
    expect((await run(rig, 'mode', { mode: 'rules' })).lines).toEqual(['Strategy mode is now rules (effective: rules).']);
    expect(rig.store.audit.map((a) => [a.actor, a.action, a.result])).toEqual([
      ['discord:111111111111111111 (alice)', 'pause', 'ok'],
      ['discord:111111111111111111 (alice)', 'resume', 'ok'],
      ['discord:111111111111111111 (alice)', 'mode', 'ok'],
    ]);
  });

  it('/close with nothing open says so and asks nothing', async () => {
    const reply = await run(commandRig(), 'close', { target: 'all' });
    expect(reply).toMatchObject({ lines: ['There is no open position to close.'] });
    expect(reply.confirmation).toBeUndefined();
  });

  it('/close shows what will be closed, closes nothing before the confirmation, then reports the fills', async () => {
    const rig = commandRig({ closeWaitMs: 5_000 });
    await rig.openAdopted('BTCUSDT', 'long', 0.01, 115_000);
    await rig.openAdopted('ETHUSDT', 'short', 0.2, 3_800);

    const prompt = await run(rig, 'close', { target: 'all' });
    expect(prompt.title).toBe('Close all?');
    expect(prompt.tone).toBe('danger');
    expect(prompt.fields.map((f) => f.name)).toEqual(['BTCUSDT long 5x', 'ETHUSDT short 5x']);
    expect(prompt.confirmation).toMatchObject({ confirmLabel: 'Close all (2)', expiresInMs: 30_000 });
    expect(rig.trader.managedPositions().every((p) => p.exitClientOrderId === null)).toBe(true);
    expect(rig.store.audit).toEqual([]);

    const result = prompt.confirmation!.run();
    // The closes are out (lane 0); they fill at the next prices while the reply waits.
    await vi.waitFor(() => expect(rig.trader.managedPositions().every((p) => p.exitClientOrderId !== null)).toBe(true));
    await rig.nextPrice('BTCUSDT', 115_500);
    await rig.nextPrice('ETHUSDT', 3_790);
    rig.manual.advance(250);
    const done = await result;
    expect(done.title).toBe('Closed');
    expect(done.lines[0]).toBe('Close sent for BTCUSDT, ETHUSDT.');
    expect(done.fields.map((f) => f.name.split(' ')[0]).sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(done.fields[0]!.value).toMatch(/^filled [\d.]+ @ [\d,.]+ \(entry [\d,.]+\) · emergency$/);
    expect(rig.store.audit.map((a) => [a.action, a.detail, a.result])).toEqual([['emergency_close', 'all', 'ok']]);
  });

  it('/close of one symbol is a manual close, and says which closes are not filled yet', async () => {
    const rig = commandRig({ closeWaitMs: 0 });
    await rig.openAdopted('SOLUSDT', 'long', 5, 180);
    const prompt = await run(rig, 'close', { target: 'solusdt' });
    expect(prompt.confirmation?.confirmLabel).toBe('Close SOLUSDT');
    const done = await prompt.confirmation!.run();
    expect(done.title).toBe('Closing');
    expect(done.lines).toEqual(['Close sent for SOLUSDT.', 'Not filled yet: SOLUSDT (the controller keeps closing; see /positions).']);
    expect(rig.store.audit.at(-1)).toMatchObject({ action: 'close', detail: 'solusdt', result: 'ok' });
  });

  it('/subscribe defaults to this channel and all kinds; /unsubscribe removes some or all', async () => {
    const rig = commandRig();
    expect((await run(rig, 'subscribe')).lines).toEqual(['<#222222222222222222> now receives: alerts, reports, trades.']);
    expect((await run(rig, 'subscribe', { channel: '333333333333333333', kinds: 'reports, alerts' })).lines).toEqual([
      '<#333333333333333333> now receives: alerts, reports.',
    ]);
    expect((await run(rig, 'unsubscribe', { kinds: 'trades' })).lines).toEqual(['<#222222222222222222> still receives: alerts, reports.']);
    expect((await run(rig, 'unsubscribe')).lines).toEqual(['<#222222222222222222> receives nothing any more.']);
    expect((await run(rig, 'unsubscribe')).lines).toEqual(['<#222222222222222222> has no subscription.']);
    expect((await run(rig, 'subscribe', { kinds: 'news' })).lines).toEqual(['unknown kind "news": use reports, alerts, trades or all']);
    // Typed outside a channel (the console) without naming one: both say how to name it.
    expect((await run(rig, 'subscribe', {}, { channelId: null })).lines).toEqual([
      'say which channel: /subscribe channel:<id> kinds:<reports,alerts,trades>',
    ]);
    expect((await run(rig, 'unsubscribe', { kinds: 'alerts' }, { channelId: null })).lines).toEqual([
      'say which channel: /unsubscribe channel:<id>',
    ]);
    expect(await rig.subscriptions.list('reports')).toEqual([
      { channelId: '333333333333333333', kinds: ['alerts', 'reports'], addedAt: START_MS },
    ]);
    expect(rig.store.audit.map((a) => [a.action, a.result])).toEqual([
      ['subscribe', 'ok'],
      ['subscribe', 'ok'],
      ['unsubscribe', 'ok'],
      ['unsubscribe', 'ok'],
    ]);
  });

  it('a refusal says plainly who may use the command', () => {
    expect(refusalReply(findCommand('close')!)).toMatchObject({ lines: ['not allowed: operators only'], ephemeral: true });
  });
});
