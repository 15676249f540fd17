/**
 * The backtest report as readable tables: plain text for the terminal, markdown for
 * `--report FILE.md`. Same content in both; `n/a` where a figure is undefined.
 */
import type { BacktestReport, GroupRow, ReportFigures } from './report.js';

type Style = 'text' | 'markdown';

const fmt = (n: number | null, digits = 2): string => (n === null ? 'n/a' : Number.isFinite(n) ? n.toFixed(digits) : String(n));
const pctOf = (rate: number | null, digits = 1): string => (rate === null ? 'n/a' : `${(rate * 100).toFixed(digits)} %`);
const usdt = (n: number | null): string => (n === null ? 'n/a' : `${n.toFixed(2)}`);

function table(headers: readonly string[], rows: readonly (readonly string[])[], style: Style): string {
  if (style === 'markdown') {
    const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
    return [line(headers), line(headers.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function heading(title: string, style: Style): string {
  return style === 'markdown' ? `## ${title}` : `── ${title} ${'─'.repeat(Math.max(0, 60 - title.length))}`;
}

const tradeRef = (t: ReportFigures['bestTrade']): string => (t === null ? 'n/a' : `${usdt(t.pnlUsdt)} (${t.symbol} ${t.id})`);
const dayRef = (d: ReportFigures['bestDay']): string => (d === null ? 'n/a' : `${usdt(d.pnlUsdt)} (${d.day})`);

/** The headline: one column each for the strategy, exploration, both, and buy-and-hold where it applies. */
function headline(report: BacktestReport, style: Style): string {
  const { summary: s, exploration: e, all: a, buyAndHold: b } = report;
  const cols: readonly ReportFigures[] = [s, e, a];
  const row = (name: string, value: (f: ReportFigures) => string, hold = ''): string[] => [name, ...cols.map(value), hold];
  const rows: string[][] = [
    row('trades', (f) => String(f.trades)),
    row('win rate', (f) => pctOf(f.winRate)),
    row('net P&L (USDT)', (f) => usdt(f.pnlUsdt), usdt(b.pnlUsdt)),
    row('return', (f) => (f.returnPct === null ? 'n/a' : `${fmt(f.returnPct)} %`), b.returnPct === null ? 'n/a' : `${fmt(b.returnPct)} %`),
    row('fees (USDT)', (f) => usdt(f.feesUsdt)),
    row('slippage (USDT)', (f) => usdt(f.slippageUsdt)),
    row('funding (USDT, + received)', (f) => usdt(f.fundingUsdt)),
    row('profit factor', (f) => fmt(f.profitFactor)),
    row('expectancy (R)', (f) => fmt(f.expectancyR, 3)),
    row('expectancy (USDT)', (f) => usdt(f.expectancyUsdt)),
    row('CAGR', (f) => (f.cagrPct === null ? 'n/a' : `${fmt(f.cagrPct)} %`), b.cagrPct === null ? 'n/a' : `${fmt(b.cagrPct)} %`),
    row('Sharpe (daily, ×√365)', (f) => fmt(f.sharpe), fmt(b.sharpe)),
    row('Sortino (daily, ×√365)', (f) => fmt(f.sortino)),
    row('Calmar', (f) => fmt(f.calmar)),
    row('max drawdown', (f) => `${fmt(f.maxDrawdownPct)} %`, `${fmt(b.maxDrawdownPct)} %`),
    row('drawdown duration (days)', (f) => fmt(f.maxDrawdownDays, 1)),
    row('exposure', (f) => `${fmt(f.exposurePct, 1)} %`, '100.0 %'),
    row('average duration (h)', (f) => fmt(f.averageDurationHours, 1)),
    row('average leverage', (f) => (f.averageLeverage === null ? 'n/a' : `${fmt(f.averageLeverage)}x`)),
    row('best trade (USDT)', (f) => tradeRef(f.bestTrade)),
    row('worst trade (USDT)', (f) => tradeRef(f.worstTrade)),
    row('best day (USDT)', (f) => dayRef(f.bestDay)),
    row('worst day (USDT)', (f) => dayRef(f.worstDay)),
    row('longest losing streak', (f) => String(f.longestLosingStreak)),
    row('100 % losses', (f) => String(f.losses100Pct)),
    row('liquidations', (f) => String(f.liquidations)),
  ];
  return table(['', 'strategy (no exploration)', 'exploration', 'all trades', 'buy & hold'], rows, style);
}

function groupTable(rows: readonly GroupRow[], keyName: string, style: Style): string {
  if (rows.length === 0) return style === 'markdown' ? '_no trades_' : '  no trades';
  return table(
    [keyName, 'trades', 'win rate', 'P&L', 'fees', 'slippage', 'funding', 'PF', 'exp. R', 'exp. USDT'],
    rows.map((r) => [
      r.key,
      String(r.trades),
      pctOf(r.winRate),
      usdt(r.pnlUsdt),
      usdt(r.feesUsdt),
      usdt(r.slippageUsdt),
      usdt(r.fundingUsdt),
      fmt(r.profitFactor),
      fmt(r.expectancyR, 3),
      usdt(r.expectancyUsdt),
    ]),
    style,
  );
}

export function renderReport(report: BacktestReport, style: Style): string {
  const p = report.period;
  const out: string[] = [];
  if (style === 'markdown') out.push(`# Backtest ${p.symbols.join(', ')} · ${p.strategy}`, '');
  out.push(heading('Settings (environment and .env, flags on top)', style));
  if (report.settings === null) out.push('defaults of this run (no settings recorded)');
  else {
    const rows = Object.entries(report.settings).map(([name, s]) => [name, s.value ?? '(unset)', s.source]);
    out.push(table(['variable', 'value', 'from'], rows, style));
  }
  out.push('', heading('Period', style));
  out.push(
    `${p.from} → ${p.to} (${p.days} UTC days) · ${p.symbols.join(', ')} · strategy ${p.strategy} · ${p.candles} candles · starting equity ${fmt(p.startingEquityUsdt)} USDT`,
  );
  out.push('', heading('Headline', style), headline(report, style));
  out.push('', heading('Per pair (no exploration)', style), groupTable(report.perPair, 'pair', style));
  out.push('', heading('Per exit reason (no exploration)', style), groupTable(report.perExitReason, 'exit', style));
  out.push('', heading('Per rule (no exploration)', style), groupTable(report.perRule, 'rule', style));
  out.push('', heading('Long vs short (no exploration)', style), groupTable(report.longShort, 'side', style));
  out.push('', heading('Leverage distribution (all trades)', style));
  out.push(report.leverageDistribution.map((b) => `${b.leverage}x: ${b.trades}`).join(' · ') || 'no trades');
  const sig = report.signals;
  const refusedBy = Object.entries(sig.refusedBy).sort((a, b) => b[1] - a[1]);
  out.push('', heading('Signals', style));
  out.push(
    `proposed ${sig.proposed} · taken ${sig.taken} (of which explored ${sig.explored}) · refused ${sig.refused}${refusedBy.length > 0 ? ` (by gate: ${refusedBy.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
  );
  const bh = report.buyAndHold;
  out.push('', heading('Buy and hold (equal weight, same pairs, same period)', style));
  out.push(bh.pairs.map((x) => `${x.symbol} ${x.firstPrice} → ${x.lastPrice} (${fmt(x.returnPct)} %)`).join(' · ') || 'no data');
  if (report.warnings.length > 0) {
    out.push('', heading('Warnings', style));
    for (const w of report.warnings) out.push(style === 'markdown' ? `- ⚠ ${w}` : `⚠ ${w}`);
  }
  return out.join('\n');
}
