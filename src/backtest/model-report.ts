/**
 * The `model` section of the backtest report (`--strategy self_learning`): out-of-sample
 * quality of the walk-forward predictions over ALL proposed signals, and what the engine did
 * with them on the trades it took, next to rules-only over the same period. A value that
 * cannot be computed is null and `note` says why.
 *
 * The headline figures (auc, logLoss, ece, confidenceBuckets) measure the predictions IN
 * FORCE, what the bot actually uses: the promoted model's p where one was in force, the
 * constant predictor (the latest training window's base rate) elsewhere. `logLossConstant`
 * is that constant everywhere. The candidate models' own figures (every fitted model,
 * promoted or not) are kept apart in `candidate`.
 */
import {
  auc,
  aucIntervalByDay,
  confidenceBuckets,
  expectedCalibrationError,
  logLoss,
  type ConfidenceBucket,
} from '../engine/learning/evaluation.js';
import type { Sample } from '../engine/learning/labels.js';
import type { TradeRecord } from '../engine/types.js';
import type { WalkForwardResult } from './walk-forward.js';

export interface StrategyFigures {
  readonly trades: number;
  /** Net R per non-exploration trade: pnlUsdt / plannedRiskUsdt, averaged. */
  readonly netRPerTrade: number | null;
  readonly pnlUsdt: number;
  readonly winRate: number | null;
}

/** Out-of-sample figures of a set of predictions. */
export interface PredictionFigures {
  readonly auc: number | null;
  readonly aucLow: number | null;
  readonly aucHigh: number | null;
  readonly logLoss: number | null;
  readonly ece: number | null;
  readonly confidenceBuckets: readonly ConfidenceBucket[] | null;
}

export interface ModelReport {
  /** AUC of the predictions in force (constant stretches rank as ties). */
  readonly auc: number | null;
  readonly aucLow: number | null;
  readonly aucHigh: number | null;
  readonly logLoss: number | null;
  readonly logLossConstant: number | null;
  readonly ece: number | null;
  /** Mean predicted p on the (non-exploration) trades taken with a model prediction. */
  readonly meanPredicted: number | null;
  /** Their realised win rate (net P&L > 0). */
  readonly realisedWinRate: number | null;
  readonly tradesTaken: number;
  /** Realised (counterfactual) win rate per confidence bucket over all out-of-sample predictions. */
  readonly confidenceBuckets: readonly ConfidenceBucket[] | null;
  readonly note: string | null;
  /** Share of the out-of-sample predictions made by a promoted model (the rest: the constant). */
  readonly inForceModelShare: number | null;
  /** The latest fitted model's predictions, promoted or not (the models under evaluation). */
  readonly candidate: PredictionFigures | null;
  readonly signals: number;
  readonly outOfSamplePredictions: number;
  readonly baseRate: number | null;
  readonly models: readonly {
    version: string;
    trainedAt: string;
    promoted: boolean;
    reason: string;
    retired: string | null;
    inForce: string | null;
    auc: number | null;
    logLoss: number;
    logLossConstant: number;
  }[];
  /** How often the 5-minute proxy label agrees with the main label (AUC of the proxy as a predictor of it). */
  readonly proxyLabelAuc: number | null;
  readonly selfLearning: StrategyFigures | null;
  readonly rulesOnly: StrategyFigures | null;
  /** Applied leverage → trades (self-learning run, non-exploration). */
  readonly leverageDistribution: Readonly<Record<string, number>>;
  /** Exploration trades taken on a model prediction (1x, minimum size): mean p vs their realised win rate. */
  readonly explorationOnModel: { readonly trades: number; readonly meanPredicted: number | null; readonly realisedWinRate: number | null };
  /** Share of the out-of-sample predictions at or above MIN_WIN_PROBABILITY (0.55), and the highest p. */
  readonly shareAtMinWinProbability: number | null;
  readonly maxPredicted: number | null;
}

const round = (x: number | null, digits = 4): number | null =>
  x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits;

export function strategyFigures(trades: readonly TradeRecord[]): StrategyFigures {
  const scored = trades.filter((t) => !t.exploration);
  const rs = scored.filter((t) => t.plannedRiskUsdt > 0).map((t) => t.pnlUsdt / t.plannedRiskUsdt);
  return {
    trades: scored.length,
    netRPerTrade: rs.length === 0 ? null : round(rs.reduce((a, b) => a + b, 0) / rs.length),
    pnlUsdt:
      round(
        scored.reduce((a, t) => a + t.pnlUsdt, 0),
        2,
      ) ?? 0,
    winRate: scored.length === 0 ? null : round(scored.filter((t) => t.pnlUsdt > 0).length / scored.length),
  };
}

export interface ModelReportInput {
  readonly samples: readonly Sample[];
  readonly walk: WalkForwardResult;
  /** Trades of the self-learning engine run (null when it was not run). */
  readonly selfLearningTrades: readonly TradeRecord[] | null;
  readonly rulesTrades: readonly TradeRecord[] | null;
}

/** AUC with its by-day interval, log loss, ECE and confidence buckets of some predictions (≥ 50, else null). */
function predictionFigures(
  p: readonly number[],
  y: readonly number[],
  t: readonly number[],
  c: readonly number[],
): PredictionFigures | null {
  if (p.length < 50) return null;
  const interval = aucIntervalByDay(p, y, t);
  return {
    auc: round(auc(p, y)),
    aucLow: round(interval?.low ?? null),
    aucHigh: round(interval?.high ?? null),
    logLoss: round(logLoss(p, y)),
    ece: round(expectedCalibrationError(p, y)),
    confidenceBuckets: confidenceBuckets(c, p, y).map((b) => ({
      ...b,
      meanPredicted: round(b.meanPredicted),
      realisedWinRate: round(b.realisedWinRate),
    })),
  };
}

export function buildModelReport(input: ModelReportInput): ModelReport {
  const { samples, walk } = input;
  const notes: string[] = [];
  if (walk.note !== null) notes.push(walk.note);
  const predictions = walk.predictions;
  const y = predictions.map((x) => (samples[x.sample] as Sample).label as number);
  const t = predictions.map((x) => (samples[x.sample] as Sample).decidedAt);
  const enough = predictions.length >= 50;
  if (!enough && walk.note === null) notes.push(`only ${predictions.length} out-of-sample predictions (need 50)`);
  // In force: the promoted model's p, else the constant (the latest training window's base rate).
  const inForceP = predictions.map((x) => x.inForceProbability);
  const inForce = predictionFigures(
    inForceP,
    y,
    t,
    predictions.map((x) => x.promoted?.confidence ?? 0.5),
  );
  const candidate = predictionFigures(
    predictions.map((x) => x.winProbability),
    y,
    t,
    predictions.map((x) => x.confidence),
  );
  if (enough && inForce?.aucLow === null) notes.push('AUC interval: fewer than 5 days of out-of-sample predictions');
  const modelled = predictions.filter((x) => x.promoted !== null);
  // Confidence buckets: where a model was in force (the constant's confidence means nothing).
  const modelledFigures = predictionFigures(
    modelled.map((x) => x.inForceProbability),
    modelled.map((x) => (samples[x.sample] as Sample).label as number),
    modelled.map((x) => (samples[x.sample] as Sample).decidedAt),
    modelled.map((x) => x.promoted?.confidence ?? 0.5),
  );
  if (enough && modelledFigures === null)
    notes.push(`confidence buckets: a promoted model was in force for only ${modelled.length} predictions (need 50)`);

  const taken = (input.selfLearningTrades ?? []).filter((tr) => !tr.exploration && tr.modelVersion !== null);
  if (input.selfLearningTrades === null) notes.push('the self-learning engine run is not available');
  else if (taken.length === 0)
    notes.push('no trade was taken on a model prediction (the gates refused them all, or no model was promoted)');

  const explored = (input.selfLearningTrades ?? []).filter((tr) => tr.exploration && tr.modelVersion !== null);
  const proxy = samples.filter((s) => s.proxyLabel !== null);
  const leverage: Record<string, number> = {};
  for (const tr of input.selfLearningTrades ?? [])
    if (!tr.exploration) leverage[`${tr.leverage}x`] = (leverage[`${tr.leverage}x`] ?? 0) + 1;
  const baseRate = samples.length === 0 ? null : samples.reduce((a, s) => a + s.label, 0) / samples.length;

  return {
    auc: inForce?.auc ?? null,
    aucLow: inForce?.aucLow ?? null,
    aucHigh: inForce?.aucHigh ?? null,
    logLoss: inForce?.logLoss ?? null,
    logLossConstant: enough
      ? round(
          logLoss(
            predictions.map((x) => x.baseRate),
            y,
          ),
        )
      : null,
    ece: inForce?.ece ?? null,
    meanPredicted: taken.length === 0 ? null : round(taken.reduce((a, tr) => a + tr.winProbability, 0) / taken.length),
    realisedWinRate: taken.length === 0 ? null : round(taken.filter((tr) => tr.pnlUsdt > 0).length / taken.length),
    tradesTaken: taken.length,
    confidenceBuckets: modelledFigures?.confidenceBuckets ?? null,
    note: notes.length === 0 ? null : notes.join('; '),
    inForceModelShare: predictions.length === 0 ? null : round(modelled.length / predictions.length),
    candidate,
    signals: samples.length,
    outOfSamplePredictions: predictions.length,
    baseRate: round(baseRate),
    models: walk.models.map((m) => ({
      version: m.version,
      trainedAt: new Date(m.trainedAt).toISOString(),
      promoted: m.promoted,
      reason: m.reason,
      retired: m.retired,
      inForce: m.inForce,
      auc: round(m.metrics.auc),
      logLoss: m.metrics.logLoss,
      logLossConstant: m.metrics.logLossConstant,
    })),
    proxyLabelAuc:
      proxy.length >= 50
        ? round(
            auc(
              proxy.map((s) => s.proxyLabel as number),
              proxy.map((s) => s.label),
            ),
          )
        : null,
    selfLearning: input.selfLearningTrades === null ? null : strategyFigures(input.selfLearningTrades),
    rulesOnly: input.rulesTrades === null ? null : strategyFigures(input.rulesTrades),
    leverageDistribution: leverage,
    explorationOnModel: {
      trades: explored.length,
      meanPredicted: explored.length === 0 ? null : round(explored.reduce((a, tr) => a + tr.winProbability, 0) / explored.length),
      realisedWinRate: explored.length === 0 ? null : round(explored.filter((tr) => tr.pnlUsdt > 0).length / explored.length),
    },
    shareAtMinWinProbability: predictions.length === 0 ? null : round(inForceP.filter((x) => x >= 0.55).length / inForceP.length),
    maxPredicted: predictions.length === 0 ? null : round(Math.max(...inForceP)),
  };
}

const f = (x: number | null, digits = 3): string => (x === null ? '—' : x.toFixed(digits));

/** The report's text section. */
export function modelReportText(report: ModelReport): string {
  const rows: [string, string][] = [
    ['signals (labelled)', `${report.signals} (base rate ${f(report.baseRate)})`],
    ['out-of-sample predictions', String(report.outOfSamplePredictions)],
    [
      'models (promoted, retired)',
      `${report.models.length} (${report.models.filter((m) => m.promoted).length}, ${report.models.filter((m) => m.retired !== null).length})`,
    ],
    [
      'model in force for',
      report.inForceModelShare === null ? '—' : `${(report.inForceModelShare * 100).toFixed(1)} % of predictions (else the constant)`,
    ],
    ['AUC in force (95 % by day)', `${f(report.auc)} [${f(report.aucLow)}, ${f(report.aucHigh)}]`],
    ['log loss in force vs constant', `${f(report.logLoss, 4)} vs ${f(report.logLossConstant, 4)}`],
    ['ECE in force (10 bins)', f(report.ece)],
    [
      'candidate models',
      report.candidate === null
        ? '—'
        : `AUC ${f(report.candidate.auc)} [${f(report.candidate.aucLow)}, ${f(report.candidate.aucHigh)}], log loss ${f(report.candidate.logLoss, 4)}, ECE ${f(report.candidate.ece)}`,
    ],
    ['trades on model p', String(report.tradesTaken)],
    ['mean p vs realised', `${f(report.meanPredicted)} vs ${f(report.realisedWinRate)}`],
    [
      'net R/trade: model vs rules',
      `${f(report.selfLearning?.netRPerTrade ?? null)} (${report.selfLearning?.trades ?? '—'} trades) vs ${f(report.rulesOnly?.netRPerTrade ?? null)} (${report.rulesOnly?.trades ?? '—'} trades)`,
    ],
    ['p in force ≥ 0.55 (max p)', `${f(report.shareAtMinWinProbability)} (${f(report.maxPredicted)})`],
    [
      'exploration on model p',
      `${report.explorationOnModel.trades} trades: mean p ${f(report.explorationOnModel.meanPredicted)} vs realised ${f(report.explorationOnModel.realisedWinRate)}`,
    ],
    [
      'leverage',
      Object.entries(report.leverageDistribution)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '—',
    ],
    [
      'win rate by confidence (model in force)',
      report.confidenceBuckets === null
        ? '—'
        : report.confidenceBuckets
            .map((b) => `${b.from.toFixed(1)}–${b.to.toFixed(1)}: ${f(b.realisedWinRate, 2)} (${b.count})`)
            .join(' · '),
    ],
    ['5-min proxy label AUC', `${f(report.proxyLabelAuc)} (auxiliary; agreement with the main label)`],
  ];
  if (report.note !== null) rows.push(['note', report.note]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return ['model (walk-forward, out of sample)', ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}
