/**
 * Config → the engine's settings: the one place where the validated environment becomes
 * pipeline, trader and paper-venue configuration, for `npm start` and `npm run backtest`
 * alike (ISSUE 10 "One engine, one composition").
 */
import type { Config } from '../config.js';
import { defaultPipelineConfig, type PipelineConfig } from '../engine/pipeline.js';
import { defaultTraderConfig, type TraderConfig } from '../engine/trader.js';

export function pipelineConfigFrom(config: Config): PipelineConfig {
  return {
    ...defaultPipelineConfig,
    maxLeverage: config.maxLeverage,
    rulesMaxLeverage: config.rulesMaxLeverage,
    maxOpenPositions: config.maxOpenPositions,
    liquidationBufferRate: config.liquidationBufferRate,
    minWinProbability: config.minWinProbability,
    minConfidence: config.minConfidence,
    minRrRatio: config.minRrRatio,
    takerFeeRate: config.paper.takerFeeRate,
    gradeSSizeMultiplier: config.gradeSSizeMultiplier,
    minExpectedR: config.minExpectedR,
    slippageRate: config.paper.slippageRate,
  };
}

export function traderConfigFrom(config: Config): TraderConfig {
  return {
    ...defaultTraderConfig(config.symbols, pipelineConfigFrom(config)),
    positionControlMode: config.positionControlMode,
    explorationRate: config.explorationRate,
    timeStopMs: config.timeStopHours * 3_600_000,
    balanceRefreshMs: config.balanceRefreshMs,
    unknownPositions: config.unknownPositions,
  };
}
