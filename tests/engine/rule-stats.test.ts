import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { RuleStatistics } from '../../src/engine/rule-stats.js';

// The default risk gate (BLUEPRINT "Risk gate"; MIN_WIN_PROBABILITY, MIN_CONFIDENCE).
const MIN_WIN_PROBABILITY = 0.55;
const MIN_CONFIDENCE = 0.5;
const passesGate = (p: { winProbability: number; confidence: number }): boolean =>
  p.winProbability >= MIN_WIN_PROBABILITY && p.confidence >= MIN_CONFIDENCE;

const strong = { rule: 'trend_pullback', side: 'long', strength: 1 } as const;
const weak = { rule: 'trend_pullback', side: 'long', strength: 0.2 } as const;

describe('RuleStatistics', () => {
  it('lets a strong signal through the default gate with no history, but not a weak one', () => {
    const stats = new RuleStatistics();
    const strongPrediction = stats.predict(strong);
    expect(strongPrediction).toEqual({ winProbability: 0.64, confidence: 0.6, trades: 0 });
    expect(passesGate(strongPrediction)).toBe(true);
    const weakPrediction = stats.predict(weak);
    expect(weakPrediction.winProbability).toBeCloseTo(0.576, 12);
    expect(weakPrediction.confidence).toBeCloseTo(0.4, 12);
    expect(passesGate(weakPrediction)).toBe(false);
  });

  it('applies the documented formula: (wins + p0·20) / (n + 20) and (0.5 + 0.5·n/(n+50))·(0.7 + 0.5·s)', () => {
    const stats = new RuleStatistics();
    for (let i = 0; i < 30; i++) stats.record('breakout', 'short', i % 3 !== 0); // 20 wins, 10 losses
    const prediction = stats.predict({ rule: 'breakout', side: 'short', strength: 0.5 });
    expect(prediction.trades).toBe(30);
    expect(prediction.winProbability).toBeCloseTo((20 + 0.6 * 20) / 50, 12);
    expect(prediction.confidence).toBeCloseTo((0.5 + (0.5 * 30) / 80) * 0.95, 12);
  });

  it('stops trading a rule after four straight losses, even for its strongest signal', () => {
    const stats = new RuleStatistics();
    for (let i = 0; i < 3; i++) stats.record('trend_pullback', 'long', false);
    expect(passesGate(stats.predict(strong))).toBe(true);
    stats.record('trend_pullback', 'long', false);
    expect(stats.predict(strong).winProbability).toBeLessThan(0.55);
    expect(passesGate(stats.predict(strong))).toBe(false);
  });

  it('drives a rule that wins only 45 % of its trades under 0.55', () => {
    const stats = new RuleStatistics();
    for (let i = 0; i < 100; i++) stats.record('mean_reversion', 'short', i % 20 < 9);
    const prediction = stats.predict({ rule: 'mean_reversion', side: 'short', strength: 1 });
    expect(prediction.winProbability).toBeLessThan(0.55);
    expect(prediction.confidence).toBeGreaterThan(0.75); // well known, and known to be bad
  });

  it('keeps the record of each rule and side apart', () => {
    const stats = new RuleStatistics();
    for (let i = 0; i < 10; i++) stats.record('trend_pullback', 'long', false);
    expect(stats.counts('trend_pullback', 'long')).toEqual({ wins: 0, losses: 10 });
    expect(stats.predict({ ...strong, side: 'short' }).trades).toBe(0);
    expect(stats.predict({ ...strong, rule: 'breakout' }).trades).toBe(0);
    expect(passesGate(stats.predict({ ...strong, side: 'short' }))).toBe(true);
  });

  it('never lowers the win probability on a win nor raises it on a loss, and stays within [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { maxLength: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        (history, strength, won) => {
          const stats = new RuleStatistics();
          for (const w of history) stats.record('breakout', 'long', w);
          const signal = { rule: 'breakout', side: 'long', strength } as const;
          const before = stats.predict(signal);
          stats.record('breakout', 'long', won);
          const after = stats.predict(signal);
          for (const p of [before, after]) {
            expect(p.winProbability).toBeGreaterThanOrEqual(0);
            expect(p.winProbability).toBeLessThanOrEqual(1);
            expect(p.confidence).toBeGreaterThanOrEqual(0);
            expect(p.confidence).toBeLessThanOrEqual(1);
          }
          if (won) expect(after.winProbability).toBeGreaterThanOrEqual(before.winProbability - 1e-15);
          else expect(after.winProbability).toBeLessThanOrEqual(before.winProbability + 1e-15);
          expect(after.confidence).toBeGreaterThanOrEqual(before.confidence);
        },
      ),
      { numRuns: 200, seed: 20250101 },
    );
  });

  it('survives a restart: JSON round-trip gives the same record and the same predictions', () => {
    const stats = new RuleStatistics();
    stats.record('trend_pullback', 'long', true);
    stats.record('trend_pullback', 'long', false);
    stats.record('breakout', 'short', true);
    stats.record('mean_reversion', 'long', false);
    const text = JSON.stringify(stats);
    const restored = RuleStatistics.fromJSON(JSON.parse(text));
    expect(JSON.stringify(restored)).toBe(text);
    expect(restored.toJSON()).toEqual(stats.toJSON());
    for (const signal of [strong, weak, { rule: 'breakout', side: 'short', strength: 0.7 } as const]) {
      expect(restored.predict(signal)).toEqual(stats.predict(signal));
    }
    expect(RuleStatistics.fromJSON(new RuleStatistics().toJSON()).toJSON()).toEqual({ version: 1, outcomes: {} });
  });

  it('refuses corrupt saved statistics with a StoreError instead of starting over', () => {
    const bad: unknown[] = [
      null,
      'x',
      { version: 2, outcomes: {} },
      { version: 1 },
      { version: 1, outcomes: { 'breakout:up': { wins: 1, losses: 0 } } },
      { version: 1, outcomes: { 'breakout:long': { wins: -1, losses: 0 } } },
      { version: 1, outcomes: { 'breakout:long': { wins: 1.5, losses: 0 } } },
      { version: 1, outcomes: { 'breakout:long': null } },
    ];
    for (const json of bad) {
      expect(() => RuleStatistics.fromJSON(json)).toThrow(StoreError);
    }
    expect(() => RuleStatistics.fromJSON({ version: 1, outcomes: { 'breakout:long': { wins: 'a', losses: 0 } } })).toThrow(
      /rule statistics: breakout:long has wins\/losses that are not non-negative integers/,
    );
  });
});
