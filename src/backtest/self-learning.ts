/**
 * `npm run backtest -- --strategy self_learning`: walk-forward training over the data, then
 * the engine replayed twice over the same period: with the walk-forward model (each decision
 * scored by the model promoted at that time, trained on labels resolved before it) and
 * rules-only, for the comparison in the report's `model` section.
 */
import { ManualClock } from '../adapters/clock.js';
import { loadExchangeRules, loadMarketHistory } from '../adapters/data/index.js';
import { learnerHorizonMs, reportShadowOf } from '../compose/learning.js';
import { dataDirOf } from '../compose/market-data.js';
import { ModelExitAdvisor } from '../engine/learning/exit-advisor.js';
import { LearningPredictor } from '../engine/learning/predictor.js';
import { buildModelReport, type ModelReport } from './model-report.js';
import { runBacktest, type BacktestOptions, type BacktestResult } from './run-backtest.js';
import { WalkForwardSource, collectSignalSamples, walkForward } from './walk-forward.js';

export interface SelfLearningBacktest {
  readonly result: BacktestResult;
  readonly rulesOnly: BacktestResult;
  readonly model: ModelReport;
}

export async function runSelfLearningBacktest(
  options: BacktestOptions,
  progress: (message: string) => void = () => undefined,
): Promise<SelfLearningBacktest> {
  const { config } = options;
  const dataDir = dataDirOf(config);
  const range = {
    ...(options.fromMs !== undefined ? { from: options.fromMs } : {}),
    ...(options.toMs !== undefined ? { to: options.toMs } : {}),
  };
  const history = options.preloaded ?? (await loadMarketHistory(dataDir, config.symbols, range));
  options.transformHistory?.(history);
  const rules = loadExchangeRules(dataDir, config.symbols);
  progress('labelling every rule signal (counterfactual TP before SL)…');
  const samples = collectSignalSamples({
    history,
    rules,
    timeStopMs: learnerHorizonMs(config),
    takerFeeRate: config.paper.takerFeeRate,
  });
  progress(`${samples.length} labelled signals; walk-forward training…`);
  const walk = await walkForward(samples, {
    onModel: (m) => progress(`model ${m.version}: ${m.promoted ? 'promoted' : 'not promoted'} (${m.reason})`),
  });
  // The engine's own clock decides which promoted model exists at each decision; the source reads it.
  let clock: ManualClock | null = null;
  const source = await WalkForwardSource.create(
    samples,
    walk,
    { now: () => clock?.now() ?? Number.NEGATIVE_INFINITY },
    learnerHorizonMs(config),
  );
  const once = { preloaded: history, transformHistory: () => undefined };
  progress('engine replay with the model…');
  const predictor = new LearningPredictor(source);
  let result: BacktestResult;
  try {
    result = await runBacktest({
      ...options,
      ...once,
      config: { ...config, strategyMode: 'self_learning' },
      predictor,
      // Grade C: the model predicts in shadow; a daily report's shadow score ≥ SELF_LEARNING_RESUME_SCORE resumes it.
      shadow: reportShadowOf(config, predictor),
      // POSITION_CONTROL_MODE=self_learning: the model in force may close a position early ('model' exits).
      ...(config.positionControlMode === 'self_learning' ? { exitAdvisor: new ModelExitAdvisor(source, config.minWinProbability) } : {}),
      onClock: (c) => {
        clock = c;
      },
    });
  } finally {
    source.free();
  }
  progress('engine replay rules-only…');
  const rulesOnly = await runBacktest({ ...options, ...once, config: { ...config, strategyMode: 'rules' }, onProgress: () => undefined });
  const model = buildModelReport({ samples, walk, selfLearningTrades: result.trades, rulesTrades: rulesOnly.trades });
  return { result, rulesOnly, model };
}
