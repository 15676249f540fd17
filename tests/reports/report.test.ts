import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { MemoryStore } from '../../src/db/memory-store.js';
import { AlertCenter } from '../../src/engine/alerts.js';
import type { Grade, Notice } from '../../src/engine/ports.js';
import type { DailyReport } from '../../src/engine/reports.js';
import type { TradeRecord } from '../../src/engine/types.js';
import { MemoryLogger } from '../../src/logger.js';
import { formatPnl, reportLogLine, roundNumbers } from '../../src/reports/builder.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { DailyReports } from '../../src/reports/service.js';
import { DAY_MS, MIDNIGHT, REPORT_DAY, REPORT_DAY_START, WINDOW_FROM, goldenTrades } from './golden-trades.js';

const H = 3_600_000;

async function setup(
  trades: TradeRecord[],
  options: { grade?: Grade | null; equity?: number | null; engine?: boolean; minTrades?: number; archive?: boolean } = {},
) {
  const store = new MemoryStore();
  for (const t of trades) await store.putTrade(t);
  const clock = new ManualClock(MIDNIGHT);
  const logger = new MemoryLogger();
  const notices: Notice[] = [];
  const notifier = { notify: (n: Notice) => notices.push(n) };
  const alerts = new AlertCenter({ notifier, clock, logger });
  let grade: Grade | null = options.grade === undefined ? 'A' : options.grade;
  const applied: Grade[] = [];
  // The account's realised equity now: 1000 at the window start plus every trade closed since.
  const sinceWindow = trades.filter((t) => t.closedAt >= WINDOW_FROM).reduce((s, t) => s + t.pnlUsdt, 0);
  const dir = mkdtempSync(join(tmpdir(), 'reports-'));
  const reports = new DailyReports({
    store,
    archive: options.archive === false ? null : store.dailyReports,
    clock,
    logger,
    notifier,
    alerts,
    equity: async () => (options.equity === null ? null : { usdt: options.equity ?? 1000 + sinceWindow, source: 'exchange' }),
    fallbackEquityUsdt: 1000,
    ...(options.engine === false
      ? {}
      : {
          engine: {
            grade: () => grade,
            applyGrade: async (g: Grade) => {
              applied.push(g);
              grade = g;
            },
          },
        }),
    dir,
    windowDays: 7,
    minTrades: options.minTrades ?? 20,
    gradeSSizeMultiplier: 1.2,
  });
  return { store, clock, logger, notices, alerts, reports, dir, applied, grade: () => grade };
}

describe('daily report', () => {
  it('writes the golden report: hand-checked JSON, markdown with the same numbers, the log line', async () => {
    const { reports, dir, logger, store, applied } = await setup(goldenTrades());
    const report = (await reports.onMidnight(MIDNIGHT))!;
    const json = JSON.parse(readFileSync(join(dir, 'daily', `model_report_${REPORT_DAY}.json`), 'utf8')) as DailyReport;
    expect(json).toEqual(report);
    expect(JSON.parse(readFileSync(join(dir, 'latest_report.json'), 'utf8'))).toEqual(report);
    expect((await store.dailyReports.get(REPORT_DAY))?.report).toEqual(report);

    expect(json.day).toBe('2026-11-29');
    expect(json.partial).toBe(false);
    expect(json.score.score).toBe(94);
    expect(json.score.grade).toBe('S');
    expect(json.score.dimensions.map((d) => d.points)).toEqual([16, 18.29, 20, 14.22, 15, 10]);
    expect(json.gradeBefore).toBe('A');
    expect(json.gradeAfter).toBe('S');
    expect(json.actionTaken).toBe('grade S: position size × 1.2');
    expect(applied).toEqual(['S']);
    // The 29th: W +15 (10x) · L −10 (3x) · W +15 (5x), and the +100 exploration trade (1x).
    expect(json.pnlUsdt).toBe(120);
    expect(json.dayFigures).toEqual({
      trades: 3,
      wins: 2,
      losses: 1,
      winRate: 0.66666667,
      pnlUsdt: 20,
      grossPnlUsdt: 21.8, // net 20 + fees 1.5 − funding (−0.3)
      feesUsdt: 1.5,
      fundingUsdt: -0.3,
      averageRr: 1.5,
      expectancyUsdt: 6.66666667,
      expectancyR: 0.66666667,
      maxDrawdownRate: 0.00921659, // 1085 → 1075: 10/1085
      sharpe: null, // one day: undefined
      losses100Pct: 0,
      liquidations: 0,
    });
    expect(json.windowFigures).toMatchObject({ trades: 21, wins: 12, losses: 9, pnlUsdt: 90, feesUsdt: 10.5, fundingUsdt: -2.1, grossPnlUsdt: 102.6, maxDrawdownRate: 0.02777778 });
    expect(json.exploration).toEqual({ trades: 1, wins: 1, pnlUsdt: 100 });
    expect(json.leverageDistribution).toEqual([
      { leverage: 1, trades: 1 },
      { leverage: 3, trades: 1 },
      { leverage: 5, trades: 1 },
      { leverage: 10, trades: 1 },
    ]);
    expect(json.dailyPnl.map((d) => d.pnlUsdt)).toEqual([20, -5, 20, 45, -30, 20, 120]);
    expect(json.equityCurve[0]).toEqual({ at: WINDOW_FROM, equityUsdt: 1000 });
    expect(json.equityCurve.at(-1)).toEqual({ at: REPORT_DAY_START + 20 * H, equityUsdt: 1190 });
    expect(json.equitySource).toBe('exchange');
    expect(json.model).toEqual({ version: null, calibration: null });
    expect(json.alerts.map((a) => a.title)).toEqual(['Grade A → S']);

    const md = readFileSync(join(dir, 'daily', `model_report_${REPORT_DAY}.md`), 'utf8');
    expect(md).toBe(renderMarkdown(json));
    for (const text of [
      '**Score 94/100 · grade S**',
      '**$120.00**',
      '| R:R (avg win / avg loss) | 1.50 | 16.00 / 20 |',
      '| Win rate | 57.1 % | 18.29 / 20 |',
      '| EV (R per trade) | +0.429 R | 20.00 / 20 |',
      '| Max drawdown | 2.78 % | 14.22 / 15 |',
      '| Sharpe (daily, annualised) | 10.64 | 15.00 / 15 |',
      '| Trades per day | 3.00 | 10.00 / 10 |',
      '| **score** | 93.51 − 0.00 | **94** |',
      '| net P&L | $20.00 | $90.00 |',
      '| fees | $1.50 | $10.50 |',
      '| funding | $-0.30 | $-2.10 |',
      '| max drawdown | 0.92 % | 2.78 % |',
      '1 trades, 1 won, net $100.00.',
      '| 10x | 1 |',
    ])
      expect(md).toContain(text);

    expect(logger.lines.map((l) => l.message)).toContain('[MODEL_EVALUATOR] ✅ 評分: 94/100 | P&L: $120.00');
  });

  it('a score of 69 switches to rules mode and raises exactly one alert', async () => {
    const { reports, notices, applied, grade } = await setup(goldenTrades(8.5), { grade: 'B' });
    const report = (await reports.onMidnight(MIDNIGHT))!;
    expect(report.score.score).toBe(69);
    expect(report.gradeAfter).toBe('C');
    expect(report.actionTaken).toBe('grade C: switched to pure rules mode');
    expect(applied).toEqual(['C']);
    expect(grade()).toBe('C');
    const alerts = notices.filter((n) => n.kind === 'alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.title).toBe('Model score 69/100 (below 70)');
    expect(alerts[0]!.lines.join(' ')).toContain('Switched to pure rules mode');
    expect(report.alerts.map((a) => a.key)).toEqual(['score_below_70:2026-11-29']);
    // A re-run of the day: same figures, the decision kept, no second alert, no second switch.
    const again = await reports.generate(REPORT_DAY, { apply: true, alert: true });
    expect({ ...again, generatedAt: 0 }).toEqual({ ...report, generatedAt: 0 });
    expect(notices.filter((n) => n.kind === 'alert')).toHaveLength(1);
    expect(applied).toEqual(['C']);
  });

  it('without an archive (the backtest) the day is only graded: the same grade, alerts and evaluator line as the full report', async () => {
    const cases: [TradeRecord[], Parameters<typeof setup>[1]][] = [
      [goldenTrades(), { grade: 'A' }],
      [goldenTrades(), { grade: null }],
      [goldenTrades(8.5), { grade: 'B' }],
      [goldenTrades(8.5), { grade: 'B', minTrades: 30 }],
      [goldenTrades(12), { grade: 'C', equity: null }],
      [[], { grade: 'S' }],
    ];
    for (const [trades, options] of cases) {
      const full = await setup(trades, options);
      const graded = await setup(trades, { ...options, archive: false });
      await full.reports.onMidnight(MIDNIGHT);
      expect(await graded.reports.onMidnight(MIDNIGHT)).toBeNull();
      expect(graded.applied).toEqual(full.applied);
      expect(graded.grade()).toBe(full.grade());
      // The same alerts; only the report's own notice is not sent, and nothing is kept or written.
      expect(graded.notices).toEqual(full.notices.filter((n) => n.key !== `report:${REPORT_DAY}`));
      expect(graded.logger.lines.map((l) => l.message)).toEqual(full.logger.lines.map((l) => l.message));
      expect(full.logger.lines.some((l) => l.message.startsWith('[MODEL_EVALUATOR]'))).toBe(true);
      expect(await graded.store.dailyReports.days()).toEqual([]);
    }
  });

  it('with too few trades still scores, says so, and keeps the grade', async () => {
    const { reports, applied, notices, logger } = await setup(goldenTrades(8.5), { grade: 'B', minTrades: 30 });
    const report = (await reports.onMidnight(MIDNIGHT))!;
    expect(report.score.score).toBe(69);
    expect(report.score.enoughTrades).toBe(false);
    expect(report.gradeAfter).toBe('B');
    expect(report.actionTaken).toBe('none: not enough trades (21 < 30); grade kept at B');
    expect(applied).toEqual([]);
    expect(notices.filter((n) => n.kind === 'alert')).toEqual([]);
    expect(renderMarkdown(report)).toContain('not enough trades (21 < 30)');
    expect(logger.lines.some((l) => l.message.startsWith('[MODEL_EVALUATOR] ✅ 評分: 69/100 | P&L: $'))).toBe(true);
  });

  it('an empty store still writes a report with a number', async () => {
    const { reports, logger, dir } = await setup([], { grade: null, equity: null });
    const report = (await reports.onMidnight(MIDNIGHT))!;
    expect(report.score.score).toBe(0);
    expect(report.score.enoughTrades).toBe(false);
    expect(report.equitySource).toBe('assumed');
    expect(existsSync(join(dir, 'daily', `model_report_${REPORT_DAY}.md`))).toBe(true);
    expect(logger.lines.map((l) => l.message)).toContain('[MODEL_EVALUATOR] ✅ 評分: 0/100 | P&L: $0.00');
  });

  it('sends the report through the notifier', async () => {
    const { reports, notices } = await setup(goldenTrades());
    await reports.onMidnight(MIDNIGHT);
    const notice = notices.find((n) => n.kind === 'report')!;
    expect(notice.key).toBe('report:2026-11-29');
    expect(notice.title).toBe('Model report 2026-11-29: 94/100 · grade S');
    expect(notice.lines[0]).toBe('P&L $120.00 · 3 trades · win rate 66.7 %');
  });

  it('an on-demand report (no engine) takes no action and says so', async () => {
    const { reports } = await setup(goldenTrades(8.5), { engine: false });
    const report = await reports.generate(REPORT_DAY, { apply: false, alert: false });
    expect(report.gradeAfter).toBeNull();
    expect(report.actionTaken).toMatch(/^none: on-demand report .*grade C: switched to pure rules mode\)$/);
  });

  it('refuses a day that has not ended, and a malformed date', async () => {
    const { reports } = await setup([]);
    await expect(reports.generate('2026-11-30', { apply: false, alert: false })).rejects.toThrow(/has not ended/);
    await expect(reports.generate('2026-13-01', { apply: false, alert: false })).rejects.toThrow(/YYYY-MM-DD/);
    await expect(reports.forDay('yesterday')).rejects.toThrow(/YYYY-MM-DD/);
  });

  it('builds today so far without storing it or acting', async () => {
    const { reports, clock, store, applied } = await setup(goldenTrades());
    clock.set(MIDNIGHT + 10 * H);
    const today = await reports.today();
    expect(today.day).toBe('2026-11-30');
    expect(today.partial).toBe(true);
    expect(today.actionTaken).toBe('none: the day is not over');
    expect(today.pnlUsdt).toBe(-50); // the trade closed exactly at midnight
    expect(await store.dailyReports.days()).toEqual([]);
    expect(applied).toEqual([]);
  });

  it('serves the latest report, a day, and the score history', async () => {
    const { reports, clock } = await setup(goldenTrades());
    clock.set(MIDNIGHT + 2 * DAY_MS + H);
    await reports.generate('2026-11-28', { apply: false, alert: false });
    await reports.generate('2026-11-30', { apply: false, alert: false });
    await reports.generate('2026-11-29', { apply: false, alert: false });
    expect((await reports.latest())?.day).toBe('2026-11-30');
    expect((await reports.forDay('2026-11-28'))?.day).toBe('2026-11-28');
    expect(await reports.forDay('2026-11-01')).toBeNull();
    const history = await reports.scoreHistory(30);
    expect(history.map((p) => p.day)).toEqual(['2026-11-28', '2026-11-29', '2026-11-30']);
    expect(history[1]).toMatchObject({ score: 94, grade: 'S', trades: 21, pnlUsdt: 120 });
    await expect(reports.scoreHistory(0)).rejects.toThrow(/1 to 365/);
  });

  it('formats P&L with a literal dollar and 2 decimals, never -0.00', () => {
    expect(formatPnl(-12.5)).toBe('-12.50');
    expect(formatPnl(-0.001)).toBe('0.00');
    expect(formatPnl(1234.567)).toBe('1234.57');
    const line = reportLogLine({ score: { score: 42 }, pnlUsdt: -12.5 } as DailyReport);
    expect(line).toBe('[MODEL_EVALUATOR] ✅ 評分: 42/100 | P&L: $-12.50');
  });
});

describe('roundNumbers', () => {
  it('rounds every non-integer to 8 decimals in a copy, deep, and leaves the input and other values alone', () => {
    const input = { a: 44.99999999999, b: [0.1 + 0.2, 3, { c: -1.000000004 }], d: 'x', e: null, f: Number.NaN, g: true };
    const out = roundNumbers(input);
    expect(out).toEqual({ a: 45, b: [0.3, 3, { c: -1 }], d: 'x', e: null, f: Number.NaN, g: true });
    expect(input.a).toBe(44.99999999999);
    expect(out.b).not.toBe(input.b);
  });
});
