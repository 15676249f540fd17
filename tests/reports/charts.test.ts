import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ScorePoint } from '../../src/engine/reports.js';
import { buildDailyReport } from '../../src/reports/builder.js';
import { CHART_HEIGHT, CHART_WIDTH, chartRenderer, reportCharts } from '../../src/reports/charts.js';
import { MIDNIGHT, REPORT_DAY, WINDOW_FROM, goldenTrades } from './golden-trades.js';

function goldenReport() {
  const trades = goldenTrades();
  const since = trades.filter((t) => t.closedAt >= WINDOW_FROM).reduce((s, t) => s + t.pnlUsdt, 0);
  return buildDailyReport({
    day: REPORT_DAY,
    generatedAt: MIDNIGHT,
    partial: false,
    trades,
    equity: { usdt: 1000 + since, atMs: MIDNIGHT, source: 'exchange' },
    windowDays: 7,
    minTrades: 20,
    gradeSSizeMultiplier: 1.2,
    grade: { before: 'A' },
    modeChanges: [],
    model: { version: null, calibration: null },
    alertsFired: [],
    describeAlert: (c, at) => ({ at, key: c.kind, severity: 'info', title: c.kind }),
  }).report;
}

const history: ScorePoint[] = [
  { day: '2026-11-27', score: 72, grade: 'B', enoughTrades: true, trades: 25, pnlUsdt: -30 },
  { day: '2026-11-28', score: 81, grade: 'A', enoughTrades: false, trades: 12, pnlUsdt: 20 },
];

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(data: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  expect([...data.slice(0, 8)]).toEqual(signature);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  expect(String.fromCharCode(...data.slice(12, 16))).toBe('IHDR');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

describe('report charts', () => {
  it('describes the four charts as plain data (one source for local and QuickChart rendering)', () => {
    const specs = reportCharts(goldenReport(), history);
    expect(specs.map((s) => s.name)).toEqual(['equity_2026-11-29.png', 'daily_pnl_2026-11-29.png', 'score_history_2026-11-29.png', 'leverage_2026-11-29.png']);
    for (const spec of specs) expect(JSON.parse(JSON.stringify(spec.config))).toEqual(spec.config);
    const [equity, pnl, score, leverage] = specs;
    expect(equity!.config.data.datasets.map((d) => d.label)).toEqual(['Equity (USDT)', 'Drawdown (%)']);
    expect(equity!.config.data.datasets[1]!.data).toContain(-2.78); // 1080 → 1050
    expect(pnl!.config.data.labels).toEqual(['11-23', '11-24', '11-25', '11-26', '11-27', '11-28', '11-29']);
    expect(pnl!.config.data.datasets[0]!.data).toEqual([20, -5, 20, 45, -30, 20, 120]); // the report's days win over the history
    expect(score!.config.data.datasets.map((d) => d.label)).toEqual(['Score', 'S 90', 'A 80', 'B 70']);
    expect(score!.config.data.datasets[0]!.data).toEqual([72, 81, 94]);
    expect(score!.config.data.datasets[3]!.data).toEqual([70, 70, 70]);
    expect(leverage!.config.data.datasets[0]!.data).toEqual([1, 0, 1, 0, 1, 0, 0, 0, 0, 1]);
  });

  it('renders valid PNGs of 1200 × 675 offline', async () => {
    const attachments = await chartRenderer({ quickchartUrl: null })(goldenReport(), history);
    expect(attachments).toHaveLength(4);
    for (const a of attachments) {
      expect(a.contentType).toBe('image/png');
      expect(pngSize(a.data)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
      expect(a.data.byteLength).toBeGreaterThan(10_000); // drawn, not blank
    }
    expect(CHART_WIDTH).toBeGreaterThanOrEqual(800);
  });

  it('renders an empty day without failing', async () => {
    const empty = { ...goldenReport(), leverageDistribution: [], equityCurve: [{ at: WINDOW_FROM, equityUsdt: 1000 }], dailyPnl: [] };
    const attachments = await chartRenderer({ quickchartUrl: null })(empty, []);
    for (const a of attachments) expect(pngSize(a.data).width).toBe(CHART_WIDTH);
  });

  it('sends the same configuration to QuickChart when QUICKCHART_URL is set', async () => {
    const bodies: { chart: unknown; width: number; height: number; backgroundColor: string }[] = [];
    const png = (await chartRenderer({ quickchartUrl: null })(goldenReport(), history))[0]!.data;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(body) as (typeof bodies)[number]);
        expect(req.url).toBe('/chart');
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.from(png));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const attachments = await chartRenderer({ quickchartUrl: `http://127.0.0.1:${port}` })(goldenReport(), history);
      expect(attachments).toHaveLength(4);
      expect(bodies).toHaveLength(4);
      const specs = reportCharts(goldenReport(), history);
      bodies.forEach((b, i) => {
        const sent = typeof b.chart === 'string' ? (JSON.parse(b.chart) as unknown) : b.chart;
        expect(sent).toEqual(specs[i]!.config);
        expect([b.width, b.height]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
        expect(b.backgroundColor).toBe('#1e1f22');
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('thinning a long equity curve', () => {
  it('keeps at most two points per bucket, the lowest and highest, in time order, and the last point', async () => {
    const { thinCurve } = await import('../../src/reports/charts.js');
    const curve = Array.from({ length: 1000 }, (_, i) => ({ at: i, equityUsdt: 1000 + (i === 555 ? -300 : i === 123 ? 400 : i % 7) }));
    const thin = thinCurve(curve, 100);
    expect(thin.length).toBeLessThanOrEqual(201);
    expect(thin.some((p) => p.equityUsdt === 700)).toBe(true);
    expect(thin.some((p) => p.equityUsdt === 1400)).toBe(true);
    expect(thin.at(-1)).toEqual(curve.at(-1));
    expect(thin.map((p) => p.at)).toEqual([...thin.map((p) => p.at)].sort((a, b) => a - b));
    expect(thinCurve(curve.slice(0, 50), 100)).toEqual(curve.slice(0, 50));
  });
});
