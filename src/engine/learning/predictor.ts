/**
 * The Trader's Predictor plug for self-learning (trader/predictor.ts): in self-learning mode
 * with a promoted model, the model's calibrated win probability and confidence; otherwise
 * the per-rule statistics, as before a model exists. While the engine is held in pure rules
 * mode by grade C, the model keeps predicting in SHADOW (no trade follows): the shadow log
 * pairs those predictions with the signals' counterfactual outcomes, for the shadow score.
 */
import type { ShadowOutcome } from '../evaluator.js';
import { MIN_SL_RATE } from '../pipeline/config.js';
import type { Prediction } from '../ports.js';
import type { Features } from '../features.js';
import type { Signal, SignalRule } from '../signals.js';
import type { Candle, Side, TradeRecord } from '../types.js';
import { type PredictionRequest, type Predictor, ruleStatisticsPredictor } from '../trader/predictor.js';
import { proposalId, type Sample } from './labels.js';
import type { ModelPrediction } from './service.js';
import { decisionTimeOf } from '../client-order-id.js';

/** What the predictor needs from the learning side (LearningService live, the walk-forward in a backtest). */
export interface ModelSource {
  /** A promoted model is in use now. */
  readonly hasModel: boolean;
  predict(symbol: string, signal: Signal, decidedAt: number): ModelPrediction | null;
  onCandle?(symbol: string, candle: Candle, signal: Signal | null, decidedAt: number): void;
  onTradeClosed?(trade: TradeRecord, decidedAt: number): void;
  /** The labelled samples known at `nowMs` (resolved by then): what the shadow predictions are scored against. */
  labelled?(nowMs: number): readonly Sample[];
  /** Model exits: the promoted model's p for an open position (exit-advisor.ts); absent: no model exits. */
  scoreOpen?(symbol: string, side: Side, rule: SignalRule, features: Features): ModelPrediction | null;
}

export interface ShadowPrediction {
  readonly id: string;
  readonly symbol: string;
  readonly side: Side;
  /** The stop distance as a fraction of the entry (the pipeline's at 1x: the base stop, at least MIN_SL_RATE). */
  readonly slRate: number;
  readonly decidedAt: number;
  readonly winProbability: number;
  readonly confidence: number;
  readonly modelVersion: string;
}

/** Shadow predictions (grade C), newest `capacity` kept. */
export class ShadowLog {
  private readonly items = new Map<string, ShadowPrediction>();
  constructor(readonly capacity = 5000) {}

  record(prediction: ShadowPrediction): void {
    this.items.set(prediction.id, prediction);
    if (this.items.size > this.capacity) {
      const oldest = this.items.keys().next().value;
      if (oldest !== undefined) this.items.delete(oldest);
    }
  }

  get size(): number {
    return this.items.size;
  }

  /**
   * The shadow predictions whose signals have a label: p next to what happened. The reports
   * turn these into the shadow score (a trade list as the model would have taken it).
   */
  resolved(samples: readonly Sample[]): { prediction: ShadowPrediction; label: 0 | 1; outcomeR: number; resolvedAt: number }[] {
    const out: { prediction: ShadowPrediction; label: 0 | 1; outcomeR: number; resolvedAt: number }[] = [];
    for (const sample of samples) {
      const prediction = this.items.get(sample.id);
      if (prediction !== undefined) out.push({ prediction, label: sample.label, outcomeR: sample.outcomeR, resolvedAt: sample.resolvedAt });
    }
    return out;
  }
}

export class LearningPredictor implements Predictor {
  readonly shadow = new ShadowLog();

  constructor(private readonly source: ModelSource) {}

  modelReady(): boolean {
    return this.source.hasModel;
  }

  observe(symbol: string, candle: Candle, signal: Signal | null, decidedAt: number): void {
    this.source.onCandle?.(symbol, candle, signal, decidedAt);
  }

  predict(request: PredictionRequest): Prediction {
    const selfLearning = request.modeLabel === 'self_learning';
    if (!selfLearning) {
      // Grade C (or an operator's rules mode) with a model: it predicts in shadow, nothing trades on it.
      if (request.modeLabel === 'rules (grade C)' && this.source.hasModel) {
        const shadow = this.source.predict(request.symbol, request.signal, request.decidedAt);
        if (shadow !== null) {
          this.shadow.record({
            id: proposalId(request.symbol, request.decidedAt),
            symbol: request.symbol,
            side: request.signal.side,
            slRate: Math.max(request.signal.baseSlPct, MIN_SL_RATE),
            decidedAt: request.decidedAt,
            winProbability: shadow.winProbability,
            confidence: shadow.confidence,
            modelVersion: shadow.modelVersion,
          });
        }
      }
      return ruleStatisticsPredictor.predict(request) as Prediction;
    }
    const model = this.source.predict(request.symbol, request.signal, request.decidedAt);
    if (model === null) {
      // The model cannot score this signal (features still warming up after a start, or a bad
      // input): no model trade. The gate refuses it; only exploration (1x, minimum size) may take it.
      return { winProbability: 0, confidence: 0, modelVersion: null, source: 'self_learning (no model input yet)' };
    }
    return {
      winProbability: model.winProbability,
      confidence: model.confidence,
      modelVersion: model.modelVersion,
      source: `model ${model.modelVersion}`,
      confidenceRanks: model.confidenceRanks,
    };
  }

  /**
   * The shadow predictions whose signals' outcomes were known by `untilMs`, as the daily
   * report scores them (evaluator.ts `shadowScore`); empty without a labelled-sample source.
   */
  shadowOutcomes(untilMs: number): ShadowOutcome[] {
    const samples = this.source.labelled?.(untilMs) ?? [];
    return this.shadow
      .resolved(samples)
      .filter((r) => r.resolvedAt <= untilMs)
      .map((r) => ({
        id: r.prediction.id,
        symbol: r.prediction.symbol,
        side: r.prediction.side,
        decidedAt: r.prediction.decidedAt,
        resolvedAt: r.resolvedAt,
        winProbability: r.prediction.winProbability,
        slRate: r.prediction.slRate,
        outcomeR: r.outcomeR,
      }));
  }

  onTradeClosed(trade: TradeRecord): void {
    const decidedAt = decisionTimeOf(trade.id);
    if (decidedAt !== null) this.source.onTradeClosed?.(trade, decidedAt);
  }
}
