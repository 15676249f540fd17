/** The operator's trade log: one readable line per entry and exit. */
import type { TraderEvent } from '../engine/trader.js';

/** Market time of an event (replay time in a replay), to the minute. */
function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

export function describeEvent(event: TraderEvent): string | null {
  switch (event.kind) {
    case 'entry': {
      const p = event.position;
      return `ENTRY ${p.side.toUpperCase()} ${p.symbol} size ${p.size} @ ${p.entryPrice} · ${p.leverage}x · SL ${p.slPrice} · TP ${p.tpPrice} · liq ${p.liquidationPrice.toFixed(2)} · p(win) ${p.winProbability.toFixed(3)} conf ${p.confidence.toFixed(2)}${p.exploration ? ' · exploration' : ''} · at ${isoMinute(p.openedAt)}`;
    }
    case 'exit': {
      const t = event.trade;
      return `EXIT  ${t.side.toUpperCase()} ${t.symbol} ${t.rule} @ ${t.exitPrice} (${t.exitReason}) · P&L ${t.pnlUsdt >= 0 ? '+' : ''}${t.pnlUsdt.toFixed(2)} USDT · fees ${t.feesUsdt.toFixed(2)} · slippage ${t.slippageUsdt.toFixed(2)} · funding ${t.fundingUsdt.toFixed(2)}${t.liquidated ? ' · LIQUIDATED' : ''} · at ${isoMinute(t.closedAt)}`;
    }
    case 'warning':
    case 'safety':
    case 'refused':
      return null;
  }
}
