/**
 * The report's charts. Chart.js configurations are the single source (plain data, no
 * functions, so the same object renders locally and on QuickChart); they are drawn to PNG
 * locally with chart.js + @napi-rs/canvas (offline, the default), or by a QuickChart
 * server when QUICKCHART_URL is set.
 *
 * Made for a phone in Discord's dark theme: 1200 × 675 px (16:9), large type, light text
 * on a dark background, red/green that also differ in lightness.
 */
import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js';
import QuickChartImport from 'quickchart-js';
import type { NoticeAttachment } from '../engine/ports.js';
import type { DailyReport, ScorePoint } from '../engine/reports.js';

Chart.register(...registerables);

// The package's types describe a CommonJS default export; at run time the ESM build's default is the class itself.
type QuickChartClass = (typeof QuickChartImport)['default'];
const QuickChart: QuickChartClass =
  QuickChartImport.default ?? (QuickChartImport as unknown as QuickChartClass);

export const CHART_WIDTH = 1200;
export const CHART_HEIGHT = 675;

const THEME = {
  background: '#1e1f22',
  text: '#e8e9ec',
  muted: '#a4a8b0',
  grid: 'rgba(255,255,255,0.12)',
  equity: '#5aa9ff',
  drawdown: 'rgba(242,63,67,0.45)',
  drawdownLine: '#f23f43',
  profit: '#3fbf6b',
  loss: '#f23f43',
  score: '#ffd166',
  gradeS: '#b388ff',
  gradeA: '#3fbf6b',
  gradeB: '#ffb347',
  font: 'DejaVu Sans, Arial, sans-serif',
} as const;

export interface ChartSpec {
  /** File name, e.g. `equity_2026-11-29.png`. */
  readonly name: string;
  readonly description: string;
  readonly config: ChartConfiguration;
}

const short = (ms: number): string => new Date(ms).toISOString().slice(5, 16).replace('T', ' ');

function baseOptions(title: string, subtitle: string, legend = true) {
  return {
    responsive: false,
    animation: false as const,
    layout: { padding: { left: 16, right: 28, top: 12, bottom: 12 } },
    plugins: {
      title: { display: true, text: title, color: THEME.text, font: { size: 34, weight: 'bold' as const, family: THEME.font }, padding: { top: 8, bottom: 4 } },
      subtitle: { display: true, text: subtitle, color: THEME.muted, font: { size: 22, family: THEME.font }, padding: { bottom: 14 } },
      legend: { display: legend, labels: { color: THEME.text, font: { size: 22, family: THEME.font }, boxWidth: 28 } },
    },
  };
}

function axis(title: string, extra: Record<string, unknown> = {}) {
  return {
    // sampleSize: measure a few labels, not thousands (a busy day's equity curve).
    ticks: { color: THEME.text, font: { size: 22, family: THEME.font }, maxTicksLimit: 7, maxRotation: 0, autoSkip: true, sampleSize: 24 },
    grid: { color: THEME.grid },
    border: { color: THEME.grid },
    title: { display: title !== '', text: title, color: THEME.muted, font: { size: 22, family: THEME.font } },
    ...extra,
  };
}

const money = (v: number): string => `${v < 0 ? '-' : ''}$${Math.abs(v).toFixed(2)}`;

/** At most `2 × buckets` points: each bucket's lowest and highest, in time order (drawdowns survive). */
export function thinCurve<T extends { readonly equityUsdt: number }>(points: readonly T[], buckets: number): T[] {
  if (points.length <= 2 * buckets) return [...points];
  const out: T[] = [];
  const size = points.length / buckets;
  for (let b = 0; b < buckets; b++) {
    const slice = points.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    let low = 0;
    let high = 0;
    slice.forEach((p, i) => {
      if (p.equityUsdt < slice[low]!.equityUsdt) low = i;
      if (p.equityUsdt > slice[high]!.equityUsdt) high = i;
    });
    for (const i of low === high ? [low] : low < high ? [low, high] : [high, low]) out.push(slice[i]!);
  }
  const last = points[points.length - 1]!;
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

/** Equity (left axis, USDT) and its drawdown from the running peak (right axis, %, shaded). */
export function equityChart(report: DailyReport): ChartSpec {
  // Drawdown from the running peak, on every point (the subtitle's figure is exact)…
  let peak = -Infinity;
  const withDrawdown = report.equityCurve.map((p) => {
    peak = Math.max(peak, p.equityUsdt);
    const fallPct = peak > 0 ? Math.round(((peak - p.equityUsdt) / peak) * 10_000) / 100 : 0;
    return { ...p, drawdownPct: fallPct === 0 ? 0 : -fallPct };
  });
  // …then thinned: a busy week has thousands of trades; 600 points draw the same picture on a phone.
  const points = thinCurve(withDrawdown, 300);
  const drawdownPct = points.map((p) => p.drawdownPct);
  const first = points[0]?.equityUsdt ?? 0;
  const last = points.at(-1)?.equityUsdt ?? 0;
  const worst = Math.min(0, ...withDrawdown.map((p) => p.drawdownPct));
  return {
    name: `equity_${report.day}.png`,
    description: `Realised equity over the ${report.score.windowDays}-day window with drawdown shading`,
    config: {
      type: 'line',
      data: {
        labels: points.map((p) => short(p.at)),
        datasets: [
          { label: 'Equity (USDT)', data: points.map((p) => p.equityUsdt), borderColor: THEME.equity, backgroundColor: THEME.equity, borderWidth: 4, pointRadius: points.length > 60 ? 0 : 4, yAxisID: 'y', tension: 0 },
          { label: 'Drawdown (%)', data: drawdownPct, borderColor: THEME.drawdownLine, backgroundColor: THEME.drawdown, borderWidth: 2, pointRadius: 0, fill: 'origin', yAxisID: 'drawdown', stepped: true },
        ],
      },
      options: {
        ...baseOptions(
          `Equity ${money(first)} → ${money(last)}`,
          `${report.score.windowDays} days to ${report.day} · max drawdown ${(-worst).toFixed(2)} % · every closed trade`,
        ),
        scales: {
          x: axis(''),
          y: axis('USDT', { position: 'left' }),
          // The drawdown axis runs 0 → 3× the worst fall, so the shading sits low and never hides the equity line.
          drawdown: axis('drawdown %', { position: 'right', max: 0, min: Math.min(-1, Math.floor(worst * 3)), grid: { drawOnChartArea: false } }),
        },
      },
    },
  };
}

/** Net P&L per day: the window's days, or the last 30 reports when there are more. */
export function dailyPnlChart(report: DailyReport, history: readonly ScorePoint[]): ChartSpec {
  const byDay = new Map<string, number>();
  for (const h of history) byDay.set(h.day, h.pnlUsdt);
  for (const d of report.dailyPnl) byDay.set(d.day, d.pnlUsdt);
  const days = [...byDay.keys()].sort().slice(-30);
  const values = days.map((d) => Math.round((byDay.get(d) ?? 0) * 100) / 100);
  const total = values.reduce((s, v) => s + v, 0);
  return {
    name: `daily_pnl_${report.day}.png`,
    description: 'Net P&L per UTC day (fees and funding included)',
    config: {
      type: 'bar',
      data: {
        labels: days.map((d) => d.slice(5)),
        datasets: [{ label: 'Net P&L (USDT)', data: values, backgroundColor: values.map((v) => (v >= 0 ? THEME.profit : THEME.loss)), borderRadius: 4 }],
      },
      options: {
        ...baseOptions(`Daily P&L · total ${money(total)}`, `${days.length} day${days.length === 1 ? '' : 's'} to ${report.day} · fees and funding included`, false),
        scales: { x: axis(''), y: axis('USDT') },
      },
    },
  };
}

/** Score per day (up to 30) with the grade lines at 90 (S), 80 (A) and 70 (B). */
export function scoreHistoryChart(report: DailyReport, history: readonly ScorePoint[]): ChartSpec {
  const byDay = new Map<string, ScorePoint>(history.map((h) => [h.day, h]));
  if (!report.partial)
    byDay.set(report.day, { day: report.day, score: report.score.score, grade: report.score.grade, enoughTrades: report.score.enoughTrades, trades: report.score.trades, pnlUsdt: report.pnlUsdt });
  const points = [...byDay.values()].sort((a, b) => (a.day < b.day ? -1 : 1)).slice(-30);
  const line = (label: string, value: number, color: string) => ({
    label,
    data: points.map(() => value),
    borderColor: color,
    borderWidth: 2,
    borderDash: [10, 8],
    pointRadius: 0,
    fill: false,
  });
  return {
    name: `score_history_${report.day}.png`,
    description: 'Model score per day with the grade lines (90 S, 80 A, 70 B)',
    config: {
      type: 'line',
      data: {
        labels: points.map((p) => p.day.slice(5)),
        datasets: [
          {
            label: 'Score',
            data: points.map((p) => p.score),
            borderColor: THEME.score,
            backgroundColor: THEME.score,
            borderWidth: 4,
            pointRadius: 7,
            // Hollow points: fewer trades than the minimum (grade kept).
            pointBackgroundColor: points.map((p) => (p.enoughTrades ? THEME.score : THEME.background)),
          },
          line('S 90', 90, THEME.gradeS),
          line('A 80', 80, THEME.gradeA),
          line('B 70', 70, THEME.gradeB),
        ],
      },
      options: {
        ...baseOptions(`Score ${report.score.score}/100 · grade ${report.score.grade}`, `last ${points.length} report${points.length === 1 ? '' : 's'} · hollow point = not enough trades`),
        scales: { x: axis(''), y: axis('score', { min: 0, max: 100 }) },
      },
    },
  };
}

/** Trades of the day per applied leverage: every whole leverage from 1x to the highest used (up to 25x), gaps at 0. */
export function leverageChart(report: DailyReport): ChartSpec {
  const counts = new Map(report.leverageDistribution.map((b) => [b.leverage, b.trades]));
  const highest = Math.max(1, ...counts.keys());
  const levels = highest <= 25 ? Array.from({ length: highest }, (_, i) => i + 1) : [...counts.keys()].sort((a, b) => a - b);
  const total = report.leverageDistribution.reduce((s, b) => s + b.trades, 0);
  return {
    name: `leverage_${report.day}.png`,
    description: 'Trades of the day by applied leverage',
    config: {
      type: 'bar',
      data: {
        labels: levels.map((l) => `${l}x`),
        datasets: [{ label: 'Trades', data: levels.map((l) => counts.get(l) ?? 0), backgroundColor: THEME.equity, borderRadius: 4 }],
      },
      options: {
        ...baseOptions(`Leverage · ${total} trade${total === 1 ? '' : 's'}`, `${report.day} · exploration trades (1x) included`, false),
        scales: {
          x: axis('applied leverage', { ticks: { color: THEME.text, font: { size: 22, family: THEME.font }, maxRotation: 0, autoSkip: true } }),
          y: axis('trades', { beginAtZero: true, grace: '10%', ticks: { precision: 0, color: THEME.text, font: { size: 22, family: THEME.font } } }),
        },
      },
    },
  };
}

/** The four charts of a report (the single source for both renderers). */
export function reportCharts(report: DailyReport, history: readonly ScorePoint[]): ChartSpec[] {
  return [equityChart(report), dailyPnlChart(report, history), scoreHistoryChart(report, history), leverageChart(report)];
}

/** The part of a 2D canvas context the background plugin uses. */
interface CanvasPainter {
  save(): void;
  restore(): void;
  fillStyle: string;
  fillRect(x: number, y: number, width: number, height: number): void;
}

const darkBackground: Plugin = {
  id: 'darkBackground',
  beforeDraw(chart) {
    // chart.js types its context as the DOM's CanvasRenderingContext2D, which this (non-DOM) build does not declare.
    const { ctx, width, height } = chart as unknown as { ctx: CanvasPainter; width: number; height: number };
    ctx.save();
    ctx.fillStyle = THEME.background;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** Draws a chart to PNG in-process (offline). */
export async function renderLocal(spec: ChartSpec, width = CHART_WIDTH, height = CHART_HEIGHT): Promise<Uint8Array> {
  const canvas = createCanvas(width, height);
  const config = structuredClone(spec.config);
  const chart = new Chart(canvas, {
    ...config,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
    plugins: [darkBackground],
  });
  try {
    // The constructor has drawn it already (no animation).
    return new Uint8Array(await canvas.encode('png'));
  } finally {
    chart.destroy();
  }
}

/** Draws a chart on a QuickChart server (`origin` such as https://quickchart.io). */
export async function renderQuickChart(spec: ChartSpec, origin: string, width = CHART_WIDTH, height = CHART_HEIGHT): Promise<Uint8Array> {
  const url = new URL(origin);
  const chart = new QuickChart()
    .setScheme(url.protocol.replace(':', ''))
    .setHost(url.host)
    // As JSON: the client would otherwise send a JavaScript literal.
    .setConfig(JSON.stringify(spec.config))
    .setWidth(width)
    .setHeight(height)
    .setDevicePixelRatio(1)
    .setBackgroundColor(THEME.background)
    .setVersion('4');
  return new Uint8Array(await chart.toBinary());
}

/** The charts renderer the report service takes: local, or QuickChart when `quickchartUrl` is set. */
export function chartRenderer(options: { readonly quickchartUrl: string | null }) {
  return async (report: DailyReport, history: readonly ScorePoint[]): Promise<NoticeAttachment[]> => {
    const out: NoticeAttachment[] = [];
    for (const spec of reportCharts(report, history)) {
      const data = options.quickchartUrl === null ? await renderLocal(spec) : await renderQuickChart(spec, options.quickchartUrl);
      out.push({ name: spec.name, contentType: 'image/png', data, description: spec.description });
    }
    return out;
  };
}
