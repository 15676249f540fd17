/** /status: the one-screen answer to "is it alright?" (mode, state, equity, today, positions, breaker). */
import type { StatusReport } from '../engine/control.js';
import type { CommandDefinition, ReplyField } from './types.js';
import { duration, signedUsdt, toneOfPnl, usdt, utcTime, yesNo } from './format.js';

/** Engine state and per-position protection, when the Control reports them (safety issue). */
interface SafetyView {
  readonly engineState?: string;
  readonly engineStateReason?: string | null;
  readonly positions?: readonly { readonly symbol: string; readonly stopProtected: boolean }[];
}

export const status: CommandDefinition = {
  name: 'status',
  description: 'Mode, engine state, equity, today’s P&L, open positions, breaker, uptime',
  permission: 'viewer',
  options: [],
  slow: true,
  async handle({ control }) {
    const [report, today, positions] = await Promise.all([control.status(), control.dayPnl(), control.positions()]);
    const safety = report as StatusReport & SafetyView;
    const health = control.health();
    let lastReport = 'none yet';
    if (control.hasReports()) {
      const latest = await control
        .reportCards()
        .latest()
        .catch(() => null);
      if (latest !== null) lastReport = `${latest.day} · score ${latest.score.score} (${latest.score.grade})`;
    }
    const protectedBy = new Map((safety.positions ?? []).map((p) => [p.symbol, p.stopProtected]));
    const positionLines = positions.map((p) => {
      const isProtected = protectedBy.get(p.symbol) ?? p.slClientOrderId !== null;
      return `${p.symbol} ${p.side} · ${isProtected ? 'stop-protected' : '⚠ NO STOP'}${p.exitReason !== null ? ` · closing (${p.exitReason})` : ''}`;
    });
    const engineState = safety.engineState ?? 'active';
    const fields: ReplyField[] = [
      { name: 'Mode', value: `${report.tradingMode} · data ${report.marketData}`, inline: true },
      { name: 'Strategy', value: `${report.strategyMode} (effective: ${report.effectiveMode})`, inline: true },
      { name: 'Grade', value: report.grade ?? 'none yet', inline: true },
      { name: 'Engine', value: `${engineState}${safety.engineStateReason ? ` (${safety.engineStateReason})` : ''}`, inline: true },
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
