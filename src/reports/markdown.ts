/**
 * The daily report card as Markdown (`model_report_YYYY-MM-DD.md`): what an operator reads
 * on a phone. Every number comes from the JSON report, formatted here and nowhere else.
 */
import { gradeMeaning } from '../engine/alerts.js';
import type { DailyReport, TradeFigures } from '../engine/reports.js';
import { formatPnl } from './builder.js';

/** `$12.50`, `$-3.10` (the log line's style). */
export const usd = (value: number): string => `$${formatPnl(value)}`;
export const pct = (rate: number | null, digits = 1): string => (rate === null ? '—' : `${(rate * 100).toFixed(digits)} %`);
export const num = (value: number | null, digits = 2): string => (value === null ? '—' : value.toFixed(digits));
const time = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function dimensionValue(key: string, value: number | null): string {
  if (value === null) return '—';
  switch (key) {
    case 'win_rate':
      return pct(value);
    case 'max_drawdown':
      return pct(value, 2);
    case 'ev':
      return `${value >= 0 ? '+' : ''}${value.toFixed(3)} R`;
    default:
      return value.toFixed(2);
  }
}

function figureRows(day: TradeFigures, window: TradeFigures): string[] {
  const row = (label: string, f: (x: TradeFigures) => string): string => `| ${label} | ${f(day)} | ${f(window)} |`;
  return [
    row('trades', (x) => `${x.trades} (${x.wins} won, ${x.losses} lost)`),
    row('win rate', (x) => pct(x.winRate)),
    row('net P&L', (x) => usd(x.pnlUsdt)),
    row('price P&L', (x) => usd(x.grossPnlUsdt)),
    row('fees', (x) => usd(x.feesUsdt)),
    row('funding', (x) => usd(x.fundingUsdt)),
    row('avg R:R', (x) => num(x.averageRr)),
    row('EV per trade', (x) => (x.expectancyUsdt === null ? '—' : `${usd(x.expectancyUsdt)} (${num(x.expectancyR, 3)} R)`)),
    row('max drawdown', (x) => pct(x.maxDrawdownRate, 2)),
    row('Sharpe', (x) => num(x.sharpe)),
    row('100 % losses', (x) => String(x.losses100Pct)),
    row('liquidations', (x) => String(x.liquidations)),
  ];
}

export function renderMarkdown(report: DailyReport): string {
  const s = report.score;
  const windowFirstDay = new Date(s.windowFromMs).toISOString().slice(0, 10);
  const flag = s.enoughTrades ? '' : ` · ⚠ not enough trades (${s.trades} < ${s.minTrades})`;
  const lines: string[] = [
    `# Model report ${report.day} (UTC)${report.partial ? ' — so far' : ''}`,
    '',
    `**Score ${s.score}/100 · grade ${s.grade}**${flag}`,
    '',
    `- Net P&L of the day: **${usd(report.pnlUsdt)}** (fees and funding included, exploration included)`,
    `- Action: ${report.actionTaken}`,
    `- Engine grade: ${report.gradeBefore ?? '—'} → ${report.gradeAfter ?? '—'}${report.gradeAfter === null ? '' : ` (${gradeMeaning(report.gradeAfter)})`}`,
    ...(report.shadow === undefined
      ? []
      : [
          `- Model shadow score (grade C): ${report.shadow.score}/100 on ${report.shadow.trades} shadow trades${report.shadow.enoughTrades ? '' : ' (not enough)'}; resumes self-learning at ${report.shadow.resumeScore}${report.shadow.resumed ? ': **resumed**' : ''}`,
        ]),
    '',
    `## Score: ${windowFirstDay} → ${report.day} (${s.windowDays} days, ${s.trades} trades, exploration excluded)`,
    '',
    '| dimension | value | points |',
    '| --- | ---: | ---: |',
    ...s.dimensions.map((d) => `| ${d.label} | ${dimensionValue(d.key, d.value)} | ${d.points.toFixed(2)} / ${d.maxPoints} |`),
    `| 100 % losses | ${report.windowFigures.losses100Pct} | −${s.penaltyPoints.toFixed(2)} |`,
    `| **score** | ${s.rawPoints.toFixed(2)} − ${s.penaltyPoints.toFixed(2)} | **${s.score}** |`,
    '',
    '## Figures (exploration excluded)',
    '',
    `| | ${report.day} | ${s.windowDays} days |`,
    '| --- | ---: | ---: |',
    ...figureRows(report.dayFigures, report.windowFigures),
    '',
    '## Exploration (not scored)',
    '',
    `${report.exploration.trades} trades, ${report.exploration.wins} won, net ${usd(report.exploration.pnlUsdt)}.`,
    '',
    '## Leverage of the day',
    '',
    ...(report.leverageDistribution.length === 0
      ? ['No trade closed.']
      : ['| leverage | trades |', '| ---: | ---: |', ...report.leverageDistribution.map((b) => `| ${b.leverage}x | ${b.trades} |`)]),
    '',
    '## Mode changes',
    '',
    ...(report.modeChanges.length === 0 ? ['None.'] : report.modeChanges.map((c) => `- ${time(c.at)} · ${c.action} ${c.detail} (by ${c.actor})`)),
    '',
    '## Model',
    '',
    `- Version: ${report.model.version ?? '— (no model promoted yet)'}`,
    `- Calibration: ${
      report.model.calibration === null
        ? '—'
        : Object.entries(report.model.calibration)
            .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
            .join(', ')
    }`,
    '',
    '## Alerts',
    '',
    ...(report.alerts.length === 0 ? ['None.'] : report.alerts.map((a) => `- ${time(a.at)} · ${a.severity} · ${a.title}`)),
    '',
    `_Equity: ${report.equitySource === 'assumed' ? 'assumed starting balance (no balance reading)' : `from the ${report.equitySource} balance`} · generated ${time(report.generatedAt)}_`,
    '',
  ];
  return lines.join('\n');
}
