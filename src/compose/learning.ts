/**
 * Step "build learning" of the composition root (issue 14): the learner, the XGBoost runtime
 * (training in a worker thread), the model versions and samples in the store, and the
 * Trader's predictor. Built in every strategy mode (an operator's /mode may switch to
 * self_learning at run time); STRATEGY_MODE=rules simply never asks the model.
 */
import { WorkerModelRuntime } from '../adapters/predictor/runtime.js';
import type { Config } from '../config.js';
import { SignalLearner } from '../engine/learning/learner.js';
import { ModelExitAdvisor } from '../engine/learning/exit-advisor.js';
import { LearningPredictor } from '../engine/learning/predictor.js';
import { MemoryModelVersions, MemorySampleArchive } from '../db/memory-learning.js';
import { LearningService, type ModelVersionStore, type SampleArchive } from '../engine/learning/service.js';
import type { Clock, Logger, Store } from '../engine/ports.js';
import { TP_TO_SL_RATIO } from '../engine/pipeline/config.js';
import type { SymbolRules } from '../engine/types.js';
import type { ReportShadow } from '../reports/service.js';

export interface Learning {
  readonly learner: SignalLearner;
  readonly service: LearningService;
  readonly predictor: LearningPredictor;
  /** Model exits; null with POSITION_CONTROL_MODE=rules. */
  readonly exitAdvisor: ModelExitAdvisor | null;
  stop(): Promise<void>;
}

type LearningStore = Store & { readonly modelVersions?: ModelVersionStore; readonly learningSamples?: SampleArchive };

/**
 * The daily report's view of the model's shadow predictions (grade C): scored through the
 * model's own gate (MIN_WIN_PROBABILITY, MIN_EXPECTED_R after the paper costs), resuming
 * self-learning at SELF_LEARNING_RESUME_SCORE.
 */
/**
 * How far ahead a signal's counterfactual label looks (TP before SL within it): the time
 * stop, or 24 h when the time stop is off. Live learning and the walk-forward share it.
 */
export function learnerHorizonMs(config: Pick<Config, 'timeStopHours'>): number {
  return (config.timeStopHours > 0 ? config.timeStopHours : 24) * 3_600_000;
}

export function reportShadowOf(config: Config, predictor: LearningPredictor): ReportShadow {
  return {
    outcomes: (untilMs) => predictor.shadowOutcomes(untilMs),
    gate: {
      minWinProbability: config.minWinProbability,
      minExpectedR: config.minExpectedR,
      costRate: 2 * config.paper.takerFeeRate + config.paper.slippageRate,
      rewardRisk: TP_TO_SL_RATIO,
    },
    resumeScore: config.selfLearningResumeScore,
  };
}

export async function buildLearning(
  config: Config,
  deps: { readonly store: Store; readonly clock: Clock; readonly logger: Logger; readonly rules: ReadonlyMap<string, SymbolRules> },
): Promise<Learning> {
  const store = deps.store as LearningStore;
  const log = deps.logger.child('learning');
  let versions: ModelVersionStore;
  let samples: SampleArchive;
  if (store.modelVersions !== undefined && store.learningSamples !== undefined) {
    versions = store.modelVersions;
    samples = store.learningSamples;
  } else {
    log.warn('this store keeps no model versions: models and samples last until the process ends');
    versions = new MemoryModelVersions();
    samples = new MemorySampleArchive();
  }
  const learner = new SignalLearner({
    timeStopMs: learnerHorizonMs(config),
    roundTripFeeRate: 2 * config.paper.takerFeeRate,
  });
  const service = new LearningService({
    learner,
    runtime: new WorkerModelRuntime({ logger: deps.logger, memoryLimitMb: config.memoryLimitMb }),
    versions,
    samples,
    clock: deps.clock,
    logger: deps.logger,
    rules: deps.rules,
    settings: {
      enableSelfLearning: config.enableSelfLearning,
      retrainEveryLabels: config.retrainEveryLabels,
      retrainIntervalMs: config.retrainIntervalHours * 3_600_000,
    },
  });
  await service.start();
  const exitAdvisor =
    config.positionControlMode === 'self_learning' ? new ModelExitAdvisor(service, config.minWinProbability, deps.logger) : null;
  return { learner, service, predictor: new LearningPredictor(service), exitAdvisor, stop: () => service.stop() };
}
