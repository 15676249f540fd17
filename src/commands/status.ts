/** /status: the one-screen answer to "is it alright?" (mode, state, equity, today, positions, breaker). */
import type { CommandDefinition, ReplyField } from './types.js';
import { duration, signedUsdt, toneOfPnl, usdt, utcTime, yesNo } from './format.js';

export const status: CommandDefinition = {
  name: 'status',
  description: 'Mode, engine state, equity, today’s P&L, open positions, breaker, uptime',
  permission: 'viewer',
  options: [],
  slow: true,
  async handle({ control }) {
    const [report, today, positions] = await Promise.all([control.status(), control.dayPnl(), control.positions()]);
    const health = control.health();
    let lastReport = 'none yet';
    if (control.hasReports()) {
      const latest = await control
        .reportCards()
        .latest()
        .catch(() => null);
      if (latest !== null) lastReport = `${latest.day} · score ${latest.score.score} (${latest.score.grade})`;
    }
    const protection = new Map(report.protection.map((p) => [p.symbol, p]));
    const positionLines = positions.map((p) => {
      const known = protection.get(p.symbol);
      const isProtected = known?.stopProtected ?? p.slClientOrderId !== null;
      const why = !isProtected && known?.detail ? ` (${known.detail})` : '';
      return `${p.symbol} ${p.side} · ${isProtected ? 'stop-protected' : `⚠ NO STOP${why}`}${p.exitReason !== null ? ` · closing (${p.exitReason})` : ''}`;
    });
    const engineState = report.engine.state;
    const fields: ReplyField[] = [
      { name: 'Mode', value: `${report.tradingMode} · data ${report.marketData}`, inline: true },
      { name: 'Strategy', value: `${report.strategyMode} (effective: ${report.effectiveMode})`, inline: true },
      { name: 'Grade', value: report.grade ?? 'none yet', inline: true },
      { name: 'Engine', value: `${engineState}${report.engine.reason !== null ? ` (${report.engine.reason})` : ''}`, inline: true },
      { name: 'Paused', value: yesNo(report.paused), inline: true },
      { name: 'Equity', value: usdt(report.equityUsdt), inline: true },
      { name: 'Today’s P&L', value: `${signedUsdt(today.pnlUsdt)} (${today.trades} trade${today.trades === 1 ? '' : 's'})`, inline: true },
      { name: 'Breaker', value: health.lanes?.breaker ?? 'n/a (no exchange requests)', inline: true },
      { name: 'Uptime', value: duration(health.uptimeMs), inline: true },
      { name: `Open positions (${positions.length})`, value: positionLines.length === 0 ? 'none' : positionLines.join('\n') },
      { name: 'Last report', value: lastReport },
    ];
    const unprotected = positionLines.some((l) => l.includes('NO STOP'));
    return {
      title: 'Status',
      lines: [`Symbols: ${report.symbols.join(', ')}${report.coldStart ? ` · cold start (${report.closedTradeCount}/100 trades)` : ''}`],
      fields,
      tone: engineState === 'halted' || unprotected ? 'danger' : engineState === 'reducing' ? 'warning' : toneOfPnl(today.pnlUsdt),
      ephemeral: false,
      footer: `as of ${utcTime(control.now())}`,
    };
  },
};
