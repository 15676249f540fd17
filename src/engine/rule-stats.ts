/**
 * Rule statistics: in rules mode (and in self_learning mode before a first model is
 * promoted) they stand in for the Predictor's `winProbability` and `confidence`
 * (ARCHITECTURE.md "Data flow of one decision", step 4).
 *
 * Outcomes are counted per rule key and side (win = the closed trade's net
 * `pnlUsdt` > 0). The estimate starts from a prior that lets a fresh bot trade its
 * strong signals, then follows the record: a rule that keeps losing falls below
 * MIN_WIN_PROBABILITY and stops trading. Only exploration trades (BLUEPRINT,
 * 5 % of gate-refused signals at 1x) then keep feeding it, so it can come back.
 */
import { StoreError } from '../errors.js';
import type { Signal } from './signals.js';
import type { Side } from './types.js';

/** Prior win probability p0 = RULE_PRIOR_BASE + RULE_PRIOR_STRENGTH_SLOPE × strength (0.56–0.64). */
export const RULE_PRIOR_BASE = 0.56;
export const RULE_PRIOR_STRENGTH_SLOPE = 0.08;
/** Weight k of the prior, in pseudo-trades. */
export const RULE_PRIOR_WEIGHT = 20;
/** Closed trades at which the evidence part of confidence is half-way (0.75). */
export const CONFIDENCE_HALF_TRADES = 50;

export interface RulePrediction {
  /** Smoothed win rate, 0–1. */
  readonly winProbability: number;
  /** 0–1; 0.5 × evidence at no history, rising towards 1 with closed trades. */
  readonly confidence: number;
  /** Closed trades of this rule and side behind the estimate. */
  readonly trades: number;
}

export interface RuleOutcomeCounts {
  readonly wins: number;
  readonly losses: number;
}

/** The persisted form: plain JSON, keys `${rule}:${side}`. */
export interface RuleStatisticsJson {
  readonly version: 1;
  readonly outcomes: Readonly<Record<string, RuleOutcomeCounts>>;
}

const clamp01 = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : x);

const keyOf = (rule: string, side: Side): string => `${rule}:${side}`;

export class RuleStatistics {
  private readonly outcomes = new Map<string, { wins: number; losses: number }>();

  /**
   * Win probability and confidence of a signal from its rule's record.
   *
   *   s  = clamp(strength, 0, 1), n = wins + losses of (rule, side)
   *   p0 = 0.56 + 0.08·s                               prior, 0.56–0.64
   *   winProbability = (wins + p0·k) / (n + k),  k = 20 pseudo-trades
   *   confidence     = min(1, (0.5 + 0.5·n/(n + 50)) · (0.7 + 0.5·s))
   *
   * With no history winProbability = p0 ≥ 0.56 always passes MIN_WIN_PROBABILITY 0.55,
   * and confidence = 0.35 + 0.25·s passes MIN_CONFIDENCE 0.50 only from strength ≈ 0.6:
   * strong signals trade, weak ones wait for evidence (or exploration). Starting at
   * p0 = 0.64, four straight losses bring winProbability to 12.8/24 = 0.53 < 0.55;
   * a steady 45 % win rate falls below 0.55 after about 20 trades.
   */
  predict(signal: Pick<Signal, 'rule' | 'side' | 'strength'>): RulePrediction {
    const strength = clamp01(signal.strength);
    const counts = this.outcomes.get(keyOf(signal.rule, signal.side));
    const wins = counts?.wins ?? 0;
    const trades = wins + (counts?.losses ?? 0);
    const prior = RULE_PRIOR_BASE + RULE_PRIOR_STRENGTH_SLOPE * strength;
    const winProbability = (wins + prior * RULE_PRIOR_WEIGHT) / (trades + RULE_PRIOR_WEIGHT);
    const evidence = 0.5 + (0.5 * trades) / (trades + CONFIDENCE_HALF_TRADES);
    const confidence = Math.min(1, evidence * (0.7 + 0.5 * strength));
    return { winProbability, confidence, trades };
  }

  /** Counts one closed trade of the rule (win = net pnlUsdt > 0). */
  record(rule: string, side: Side, won: boolean): void {
    const key = keyOf(rule, side);
    let counts = this.outcomes.get(key);
    if (counts === undefined) {
      counts = { wins: 0, losses: 0 };
      this.outcomes.set(key, counts);
    }
    if (won) counts.wins++;
    else counts.losses++;
  }

  /** The record of one rule and side (zeros when none). */
  counts(rule: string, side: Side): RuleOutcomeCounts {
    const counts = this.outcomes.get(keyOf(rule, side));
    return { wins: counts?.wins ?? 0, losses: counts?.losses ?? 0 };
  }

  toJSON(): RuleStatisticsJson {
    const outcomes: Record<string, RuleOutcomeCounts> = {};
    for (const key of [...this.outcomes.keys()].sort()) {
      const counts = this.outcomes.get(key);
      if (counts !== undefined) outcomes[key] = { wins: counts.wins, losses: counts.losses };
    }
    return { version: 1, outcomes };
  }

  /**
   * Rebuilds the statistics from `toJSON()` output (e.g. read back from the store).
   * Throws StoreError on anything else, so corrupt state is never silently reset.
   */
  static fromJSON(json: unknown): RuleStatistics {
    const fail = (problem: string): never => {
      throw new StoreError(`rule statistics: ${problem}; expected {version: 1, outcomes: {"<rule>:<long|short>": {wins, losses}}}`);
    };
    if (typeof json !== 'object' || json === null) return fail('not an object');
    const { version, outcomes } = json as { version?: unknown; outcomes?: unknown };
    if (version !== 1) return fail(`unknown version ${JSON.stringify(version)}`);
    if (typeof outcomes !== 'object' || outcomes === null || Array.isArray(outcomes)) return fail('outcomes is not an object');
    const statistics = new RuleStatistics();
    for (const [key, value] of Object.entries(outcomes)) {
      if (!/^[a-z0-9_]+:(long|short)$/.test(key)) fail(`bad key ${JSON.stringify(key)}`);
      const { wins, losses } = (value ?? {}) as { wins?: unknown; losses?: unknown };
      if (!isCount(wins) || !isCount(losses)) fail(`${key} has wins/losses that are not non-negative integers`);
      statistics.outcomes.set(key, { wins: wins as number, losses: losses as number });
    }
    return statistics;
  }
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
