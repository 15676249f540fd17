import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/db/store.js';
import { silentLogger } from '../../src/logger.js';
import { parseReportArgs, runReport } from '../../src/reports/cli.js';
import { spawnTs } from '../helpers/process.js';
import { MIDNIGHT, REPORT_DAY, WINDOW_FROM, goldenTrades } from './golden-trades.js';

describe('npm run report', () => {
  it('reads --date and --charts, and refuses anything else clearly', () => {
    expect(parseReportArgs(['--date', '2026-11-29'])).toEqual({ date: '2026-11-29', charts: false });
    expect(parseReportArgs(['--date=2026-11-29', '--charts'])).toEqual({ date: '2026-11-29', charts: true });
    expect(parseReportArgs([])).toEqual({ date: null, charts: false });
    expect(() => parseReportArgs(['--date', '2026-02-30'])).toThrow(/YYYY-MM-DD, got "2026-02-30"/);
    expect(() => parseReportArgs(['--date'])).toThrow(/got nothing/);
    expect(() => parseReportArgs(['--day', 'x'])).toThrow(/unknown option "--day"/);
  });

  it('writes the report of a day from the store, with the paper wallet as the equity', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-cli-'));
    const config = loadConfig({ STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`, REPORTS_DIR: join(dir, 'reports') });
    const clock = new ManualClock(MIDNIGHT + 3_600_000);
    const trades = goldenTrades();
    const store = await openStore(config.storeUrl, { logger: silentLogger, clock });
    for (const t of trades) await store.putTrade(t);
    const wallet = 1000 + trades.filter((t) => t.closedAt >= WINDOW_FROM).reduce((s, t) => s + t.pnlUsdt, 0);
    await store.saveSnapshot({
      version: 1,
      savedAt: MIDNIGHT,
      state: { paused: false, strategyMode: 'self_learning', grade: 'A', closedTradeCount: 24, explorationTaken: 1, explorationSeen: 20 },
      positions: [],
      pendingOrders: [],
      lastCandleAt: {},
      ruleStatistics: null,
      venue: { walletBalanceUsdt: wallet },
    });
    await store.close();

    const run = await runReport(config, { date: REPORT_DAY, charts: true }, silentLogger, clock);
    expect(run.logLine).toBe('[MODEL_EVALUATOR] ✅ 評分: 94/100 | P&L: $120.00');
    expect(run.report.equitySource).toBe('venue');
    expect(run.report.equityCurve[0]!.equityUsdt).toBe(1000);
    expect(run.report.gradeAfter).toBeNull(); // on demand: no engine grade applied
    expect(run.files).toHaveLength(6);
    for (const file of run.files) expect(existsSync(file)).toBe(true);
    const json = JSON.parse(readFileSync(join(dir, 'reports', 'daily', `model_report_${REPORT_DAY}.json`), 'utf8')) as { score: { score: number } };
    expect(json.score.score).toBe(94);
    expect(existsSync(join(dir, 'reports', 'latest_report.json'))).toBe(true);

    // The same report is in the database.
    const reopened = await openStore(config.storeUrl, { logger: silentLogger, clock });
    expect((await reopened.dailyReports.get(REPORT_DAY))?.report).toEqual(run.report);
    await reopened.close();
  });

  it('exits with code 2 and a clear message on a bad date', async () => {
    const run = spawnTs('src/report.ts', {}, ['--date', 'yesterday']);
    expect(await run.exited).toBe(2);
    expect(run.stderr).toContain('--date needs a UTC day YYYY-MM-DD, got "yesterday"');
  }, 30_000);
});
