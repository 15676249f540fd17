/**
 * Daily report figures:
 *  report_1000_trades_ms  one day's report with 1 000 closed trades that day (7-day window,
 *                         3 000 trades in it): store reads, score, figures, JSON + Markdown,
 *                         files in a temp dir, the database record (in-memory store); median of 5
 *  chart_render_ms        the four charts of that report rendered to PNG offline
 *                         (chart.js + @napi-rs/canvas, 1200 × 675); median of 3
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../src/adapters/clock.js';
import { MemoryStore } from '../src/db/memory-store.js';
import { silentLogger } from '../src/logger.js';
import { chartRenderer } from '../src/reports/charts.js';
import { DailyReports } from '../src/reports/service.js';
import { tradeRecord } from '../tests/reports/golden-trades.js';
import { percentile, type Emit } from './figure.js';

const DAY_MS = 86_400_000;
const REPORT_DAY_START = Date.UTC(2026, 10, 29);

export async function run(emit: Emit): Promise<void> {
  const store = new MemoryStore();
  // 1 000 trades on the report day, 2 000 on the six days before (a deterministic pattern).
  for (let d = 0; d < 7; d++) {
    const perDay = d === 6 ? 1000 : 333;
    for (let i = 0; i < perDay; i++) {
      const closedAt = REPORT_DAY_START - (6 - d) * DAY_MS + Math.floor((i * DAY_MS) / perDay);
      const pnlUsdt = i % 5 < 2 ? 14 + (i % 7) : -10 - (i % 3);
      await store.putTrade(tradeRecord({ id: `b${d}-${i}`, closedAt, pnlUsdt, leverage: 1 + (i % 12), exploration: i % 40 === 0 }));
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'slt-report-bench-'));
  try {
    const clock = new ManualClock(REPORT_DAY_START + DAY_MS + 1000);
    const reports = new DailyReports({
      store,
      archive: store.dailyReports,
      clock,
      logger: silentLogger,
      notifier: { notify: () => undefined },
      equity: async () => ({ usdt: 50_000, source: 'venue' }),
      fallbackEquityUsdt: 1000,
      dir,
      windowDays: 7,
      minTrades: 20,
      gradeSSizeMultiplier: 1.2,
    });
    const times: number[] = [];
    let report = await reports.generate('2026-11-29', { apply: false, alert: false });
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      report = await reports.generate('2026-11-29', { apply: false, alert: false });
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    emit({
      name: 'report_1000_trades_ms',
      value: Math.round(percentile(times, 50) * 10) / 10,
      unit: 'ms',
      note: `${report.dayFigures.trades + report.exploration.trades} trades that day, ${report.windowFigures.trades} scored in the window; median of 5`,
    });

    const render = chartRenderer({ quickchartUrl: null });
    await render(report, []); // warm-up (fonts, Chart.js registration)
    const chartTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      await render(report, []);
      chartTimes.push(performance.now() - start);
    }
    chartTimes.sort((a, b) => a - b);
    emit({
      name: 'chart_render_ms',
      value: Math.round(percentile(chartTimes, 50)),
      unit: 'ms',
      note: '4 charts, 1200 × 675 PNG, offline; median of 3',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
