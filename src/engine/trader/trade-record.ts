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
  /** The price the closing fill is measured against (stop trigger, last price at our market close); null: no slippage (a limit, a liquidation, someone else). */
  readonly exitReferencePrice: number | null;
  /** The exit price or fee is an estimate (flagged on the record as `exitEstimated`). */
  readonly estimated?: boolean;
}

/**
 * Slippage of the trade, positive when adverse (BLUEPRINT "Paper fills": stops and market
 * orders fill worse than their reference by the slippage): the entry against its decision
 * price, the exit against `exitReferencePrice`.
 */
export function slippageOf(position: ManagedPosition, exitPrice: number, exitReferencePrice: number | null): number {
  const sign = sideSign(position.side);
  const entry =
    position.entryReferencePrice === undefined ? 0 : sign * (position.entryPrice - position.entryReferencePrice) * position.size;
  const exit = exitReferencePrice === null ? 0 : sign * (exitReferencePrice - exitPrice) * position.size;
  return entry + exit;
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
    slippageUsdt: liquidated ? slippageOf(position, exitPrice, null) : slippageOf(position, exitPrice, ending.exitReferencePrice),
    fundingUsdt,
    pnlUsdt,
    exitReason,
    is100PctLoss: is100PctLoss(pnlUsdt, marginUsdt),
    liquidated,
    exploration: position.exploration,
    strategyMode: position.strategyMode,
    modelVersion: position.modelVersion,
    ...(position.expectedR !== undefined ? { expectedR: position.expectedR } : {}),
    rule: position.rule,
    ...(ending.estimated === true ? { exitEstimated: true as const } : {}),
  };
}
