/** The trade record of a closed position (BLUEPRINT "Trade record"): a pure function of how it ended. */
import { is100PctLoss, plannedRiskUsdt, tradeMargins } from '../pipeline.js';
import type { ManagedPosition } from '../ports.js';
import type { ExitReason, TradeRecord } from '../types.js';
import { sideSign } from './context.js';

/** How a position ended, as read from its orders, the forced closes and the funding payments. */
export interface PositionEnding {
  readonly exitReason: ExitReason;
  readonly exitPrice: number;
  /** Fee of the order that closed it (0 when none of ours did). */
  readonly exitFeeUsdt: number;
  readonly closedAt: number;
  /** Funding paid (negative) and received (positive) while it was open. */
  readonly fundingUsdt: number;
}

export function tradeRecordOf(position: ManagedPosition, ending: PositionEnding): TradeRecord {
  const { exitReason, exitPrice, fundingUsdt } = ending;
  const { notionalUsdt, marginUsdt } = tradeMargins(position.size, position.entryPrice, position.leverage);
  const feesUsdt = position.feesUsdt + ending.exitFeeUsdt;
  const liquidated = exitReason === 'liquidation';
  // On liquidation Binance keeps the whole isolated margin (the rest goes to the insurance fund);
  // funding was paid into that margin, so it is lost with it.
  const pricePnl = liquidated ? -(marginUsdt + fundingUsdt) : sideSign(position.side) * (exitPrice - position.entryPrice) * position.size;
  const pnlUsdt = pricePnl - feesUsdt + fundingUsdt;
  return {
    id: position.entryClientOrderId,
    symbol: position.symbol,
    side: position.side,
    openedAt: position.openedAt,
    closedAt: ending.closedAt,
    entryPrice: position.entryPrice,
    exitPrice,
    size: position.size,
    notionalUsdt,
    marginUsdt,
    winProbability: position.winProbability,
    confidence: position.confidence,
    leverageRaw: position.leverageRaw,
    leverage: position.leverage,
    leverageClamps: position.leverageClamps,
    baseSlPct: position.baseSlPct,
    slPrice: position.slPrice,
    tpPrice: position.tpPrice,
    liquidationPrice: position.liquidationPrice,
    tickSize: position.tickSize,
    stepSize: position.stepSize,
    minNotionalUsdt: position.minNotionalUsdt,
    riskAmountUsdt: marginUsdt,
    plannedRiskUsdt: plannedRiskUsdt(position.size, position.entryPrice, position.slPrice),
    feesUsdt,
    fundingUsdt,
    pnlUsdt,
    exitReason,
    is100PctLoss: is100PctLoss(pnlUsdt, marginUsdt),
    liquidated,
    exploration: position.exploration,
    strategyMode: position.strategyMode,
    modelVersion: position.modelVersion,
    ...(position.expectedR !== undefined ? { expectedR: position.expectedR } : {}),
  };
}
