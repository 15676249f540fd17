import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBacktestArgs, tradesCsv } from '../../src/backtest/cli.js';
import { UserInputError } from '../../src/errors.js';
import { sampleTrade } from '../db/fixtures.js';
import { projectRoot, spawnTs } from '../helpers/process.js';

describe('backtest CLI arguments', () => {
  it('needs only --symbols; the rest comes from the environment (src/backtest/settings.ts)', () => {
    const args = parseBacktestArgs(['--symbols', 'btcusdt,ETHUSDT']);
    expect(args.symbols).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(args.fromMs).toBeUndefined();
    expect(args.toMs).toBeUndefined();
    expect(args.strategy).toBeUndefined();
    expect(args.equityUsdt).toBeUndefined();
    expect(args.dataDir).toBeUndefined();
  });

  it('reads --to as the end of that UTC day', () => {
    const args = parseBacktestArgs(['--symbols', 'BTCUSDT', '--from', '2025-08-01', '--to', '2025-08-02']);
    expect(args.fromMs).toBe(Date.parse('2025-08-01T00:00:00Z'));
    expect(args.toMs).toBe(Date.parse('2025-08-03T00:00:00Z') - 1);
  });

  it('lists every bad flag at once', () => {
    try {
      parseBacktestArgs(['--from', 'yesterday', '--strategy', 'yolo', '--equity=-5']);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UserInputError);
      const message = (error as Error).message;
      expect(message).toContain('--symbols is required');
      expect(message).toContain('--strategy "yolo"');
      expect(message).toContain('--equity "-5"');
      expect(message).toContain('--from "yesterday"');
    }
  });

  it('rejects unknown flags with the usage', () => {
    expect(() => parseBacktestArgs(['--symbols', 'BTCUSDT', '--bogus'])).toThrow(/Usage/);
  });

  it('writes the header row for an empty trade list', () => {
    const csv = tradesCsv([]);
    expect(csv.split('\n')[0]).toContain('id,symbol,side');
  });

  it('quotes CSV cells that hold a comma, a quote or a line break, and leaves plain cells alone', () => {
    const trade = sampleTrade(1, { rule: 'breakout, "fast"\nv2', symbol: 'BTCUSDT' });
    const csv = tradesCsv([trade]);
    const headerEnd = csv.indexOf('\n');
    const columns = csv.slice(0, headerEnd).split(',');
    const row = csv.slice(headerEnd + 1).trimEnd();
    expect(row).toContain(',"breakout, ""fast""\nv2"');
    // The plain symbol cell is not quoted, and sits in the symbol column.
    expect(row.split(',')[columns.indexOf('symbol')]).toBe('BTCUSDT');
  });
});

describe('backtest CLI process', () => {
  it('writes {summary, trades} as JSON and trades as CSV', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-'));
    const run = spawnTs('src/backtest.ts', {}, [
      '--symbols',
      'BTCUSDT',
      '--from',
      '2025-08-01',
      '--to',
      '2025-08-31',
      '--json',
      join(dir, 'out.json'),
      '--trades',
      join(dir, 'trades.csv'),
    ]);
    expect(await run.exited).toBe(0);
    expect(run.stdout).toContain('win rate');
    const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as {
      summary: Record<string, unknown>;
      exploration: { trades: number };
      trades: unknown[];
    };
    for (const key of [
      'trades',
      'winRate',
      'pnlUsdt',
      'feesUsdt',
      'fundingUsdt',
      'maxDrawdownPct',
      'sharpe',
      'losses100Pct',
      'liquidations',
      'exposurePct',
      'from',
      'to',
      'symbols',
      'strategy',
    ])
      expect(out.summary).toHaveProperty(key);
    for (const key of ['profitFactor', 'expectancyR', 'expectancyUsdt', 'cagrPct', 'sortino', 'calmar', 'slippageUsdt', 'maxDrawdownDays'])
      expect(out.summary).toHaveProperty(key);
    for (const key of ['exploration', 'perPair', 'perExitReason', 'perRule', 'buyAndHold', 'settings']) expect(out).toHaveProperty(key);
    // `summary` is the non-exploration trades; exploration on its own.
    expect(out.trades.length).toBe(Number(out.summary.trades) + out.exploration.trades);
    expect(readFileSync(join(dir, 'trades.csv'), 'utf8').trim().split('\n').length).toBe(out.trades.length + 1);
  });

  it('names the file and line of a corrupt candle file and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-bad-'));
    cpSync(join(projectRoot, 'data', 'exchange'), join(dir, 'exchange'), { recursive: true });
    mkdirSync(join(dir, 'candles'));
    writeFileSync(
      join(dir, 'candles', 'BTCUSDT-5m.csv'),
      'timestamp,open,high,low,close,volume\n1754006400000,1,2,0.5,1.5,10\n1754006700000,1,2,0.5,abc,10\n',
    );
    const run = spawnTs('src/backtest.ts', {}, ['--symbols', 'BTCUSDT', '--data', dir]);
    expect(await run.exited).toBe(2);
    expect(run.stderr).toContain('BTCUSDT-5m.csv line 3');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
