/**
 * Grade C: pure rules mode, the model predicts in shadow; a full daily report whose shadow
 * score (the model's gated shadow trades, scored by the evaluator like real trades) reaches
 * SELF_LEARNING_RESUME_SCORE resumes self-learning, logged and alerted. Real path: the
 * LearningPredictor's shadow log, the evaluator, the daily report service and its wiring,
 * a Trader whose grade it sets.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { reportShadowOf } from '../../src/compose/learning.js';
import { loadConfig } from '../../src/config.js';
import { MemoryStore } from '../../src/db/memory-store.js';
import type { Sample } from '../../src/engine/learning/labels.js';
import { LearningPredictor, type ModelSource } from '../../src/engine/learning/predictor.js';
import type { ModelPrediction } from '../../src/engine/learning/service.js';
import type { Notice } from '../../src/engine/ports.js';
import { RuleStatistics } from '../../src/engine/rule-stats.js';
import type { Signal } from '../../src/engine/signals.js';
import { MemoryLogger } from '../../src/logger.js';
import { wireReports } from '../../src/reports/wiring.js';
import { TraderHarness } from '../engine/helpers/trader-harness.js';

const DAY = 86_400_000;
const H = 3_600_000;
/** The report day: 2026-11-29; window (7 days) 2026-11-23 → 2026-11-30. */
const MIDNIGHT = Date.UTC(2026, 10, 30);
const WINDOW_FROM = MIDNIGHT - 7 * DAY;

/** A model source double: a promoted model answering `p`, and the labels of the signals it saw. */
class ShadowSource implements ModelSource {
  readonly hasModel = true;
  readonly samples: Sample[] = [];
  constructor(private readonly p: number) {}
  predict(): ModelPrediction {
    return { winProbability: this.p, confidence: 0.5, modelVersion: 'm-1', confidenceRanks: false };
  }
  labelled(nowMs: number): readonly Sample[] {
    return this.samples.filter((s) => s.resolvedAt <= nowMs);
  }
}

const signal = (side: 'long' | 'short'): Signal =>
  ({ side, rule: 'breakout', baseSlPct: 0.01, strength: 0.5, reasons: [], features: {}, candleTimestamp: 0, closePrice: 100 }) as unknown as Signal;

/**
 * Three signals a day over the window, each predicted in shadow at grade C, each labelled 2 h
 * later: a win (+1.5R) unless `lose(i)`.
 */
function shadowDays(predictor: LearningPredictor, source: ShadowSource, lose: (i: number) => boolean): void {
  const stats = new RuleStatistics();
  for (let i = 0; i < 21; i++) {
    const decidedAt = WINDOW_FROM + Math.floor(i / 3) * DAY + (1 + (i % 3) * 6) * H;
    predictor.predict({ symbol: 'BTCUSDT', signal: signal('long'), decidedAt, modeLabel: 'rules (grade C)', ruleStatistics: stats });
    const won = !lose(i);
    source.samples.push({
      id: `BTCUSDT:${decidedAt}`,
      symbol: 'BTCUSDT',
      side: 'long',
      rule: 'breakout',
      decidedAt,
      resolvedAt: decidedAt + 2 * H,
      vector: new Float32Array(0),
      label: won ? 1 : 0,
      outcomeR: won ? 1.5 : -1,
      proxyLabel: null,
      source: 'counterfactual',
      taken: false,
    });
  }
}

async function rig(p: number, lose: (i: number) => boolean, env: Record<string, string> = {}, withArchive = true) {
  const config = loadConfig({ SCORE_MIN_TRADES: '20', SCORE_WINDOW_DAYS: '7', ...env });
  const source = new ShadowSource(p);
  const predictor = new LearningPredictor(source);
  shadowDays(predictor, source, lose);
  const h = new TraderHarness({ startMs: MIDNIGHT });
  h.trader.setStrategyMode('self_learning');
  h.trader.setGrade('C');
  const clock = new ManualClock(MIDNIGHT);
  const store = new MemoryStore();
  const logger = new MemoryLogger();
  const notices: Notice[] = [];
  const wiring = wireReports({
    config,
    logger,
    store,
    archive: withArchive ? store.dailyReports : null,
    engineClock: clock,
    wallClock: clock,
    replay: true,
    transport: { notify: (n) => void notices.push(n) },
    transportShowsCharts: false,
    walletBalanceUsdt: async () => 1000,
    equitySource: 'venue',
    grade: () => h.trader.engineState().grade,
    setGrade: async (grade) => h.trader.setGrade(grade),
    shadow: reportShadowOf(config, predictor),
    dir: null,
  });
  return { h, wiring, logger, notices, store };
}

describe('grade C → self-learning resumes on the shadow score', () => {
  it('resumes after a full daily report whose shadow score reaches 80: grade lifted, logged, alerted, audited', async () => {
    // 15 wins of 21 (+1.5R each, −1R losses, minus costs): the model would have done well.
    const { h, wiring, logger, notices, store } = await rig(0.7, (i) => i % 7 === 3 || i % 7 === 5);
    expect(h.trader.effectiveMode().label).toBe('rules (grade C)');
    const report = (await wiring.cards.onMidnight(MIDNIGHT))!;
    expect(report.score.grade).toBe('C'); // no real trade: the engine's own score stays C
    expect(report.shadow).toMatchObject({ trades: 21, enoughTrades: true, resumeScore: 80, resumed: true });
    expect(report.shadow!.score).toBeGreaterThanOrEqual(80);
    expect(report.gradeAfter).toBeNull();
    expect(report.actionTaken).toMatch(/self-learning resumed: shadow score \d+ ≥ 80/);
    expect(h.trader.engineState().grade).toBeNull();
    expect(h.trader.effectiveMode().label).not.toBe('rules (grade C)');
    expect(logger.lines.some((l) => /self-learning resumed/.test(l.message))).toBe(true);
    expect(notices.some((n) => n.key === 'self_learning_resumed:2026-11-29' && /Self-learning resumed/.test(n.title))).toBe(true);
    expect(store.audit.some((a) => a.actor === 'evaluator' && /self_learning resumed/.test(a.detail))).toBe(true);
    // A re-run of the day keeps the decision and does not resume twice.
    h.trader.setGrade('C');
    const again = (await wiring.cards.generate('2026-11-29', { apply: true, alert: true }));
    expect(again.shadow?.resumed).toBe(true);
    expect(h.trader.engineState().grade).toBe('C');
  });

  it('stays in pure rules mode when the shadow score is below SELF_LEARNING_RESUME_SCORE (configurable)', async () => {
    const good = (i: number): boolean => i % 7 === 3 || i % 7 === 5;
    const strict = await rig(0.7, good, { SELF_LEARNING_RESUME_SCORE: '99' });
    const report = (await strict.wiring.cards.onMidnight(MIDNIGHT))!;
    expect(report.shadow!.score).toBeLessThan(99);
    expect(report.shadow!.resumed).toBe(false);
    expect(strict.h.trader.engineState().grade).toBe('C');
    expect(strict.notices.some((n) => n.key.startsWith('self_learning_resumed'))).toBe(false);

    // A model whose shadow trades mostly lose scores low.
    const poor = await rig(0.7, (i) => i % 3 !== 0);
    const low = (await poor.wiring.cards.onMidnight(MIDNIGHT))!;
    expect(low.shadow!.score).toBeLessThan(80);
    expect(poor.h.trader.engineState().grade).toBe('C');
  });

  it("counts only the shadow predictions the model's gate would take: p below MIN_WIN_PROBABILITY gives no shadow trade", async () => {
    const { h, wiring } = await rig(0.5, () => false);
    const report = (await wiring.cards.onMidnight(MIDNIGHT))!;
    expect(report.shadow).toMatchObject({ trades: 0, enoughTrades: false, resumed: false });
    expect(h.trader.engineState().grade).toBe('C');
  });

  it('a backtest (no archive: the day is only graded) resumes or stays exactly as the full report does', async () => {
    const patterns: [number, (i: number) => boolean][] = [
      [0.7, (i) => i % 7 === 3 || i % 7 === 5], // resumes
      [0.7, (i) => i % 3 !== 0], // stays at C
      [0.5, () => false], // no shadow trade
    ];
    for (const [p, lose] of patterns) {
      const full = await rig(p, lose);
      const graded = await rig(p, lose, {}, false);
      expect(await graded.wiring.cards.onMidnight(MIDNIGHT)).toBeNull();
      await full.wiring.cards.onMidnight(MIDNIGHT);
      expect(graded.h.trader.engineState().grade).toBe(full.h.trader.engineState().grade);
      // The same alerts; only the report's own notice is not sent.
      expect(graded.notices.map((n) => [n.key, n.title])).toEqual(full.notices.filter((n) => !n.key.startsWith('report:')).map((n) => [n.key, n.title]));
      expect(graded.store.audit.map((a) => a.detail)).toEqual(full.store.audit.map((a) => a.detail));
      const evaluatorLines = (logger: MemoryLogger): string[] => logger.lines.filter((l) => /MODEL_EVALUATOR|resumed/.test(l.message)).map((l) => l.message);
      expect(evaluatorLines(graded.logger)).toEqual(evaluatorLines(full.logger));
      expect(evaluatorLines(full.logger).length).toBeGreaterThan(0);
      expect(await graded.store.dailyReports.days()).toEqual([]);
    }
  });

  it('a partial (today so far) report never resumes', async () => {
    const { h, wiring } = await rig(0.7, () => false);
    const today = await wiring.cards.today();
    expect(today.shadow).toBeUndefined();
    expect(h.trader.engineState().grade).toBe('C');
  });
});
