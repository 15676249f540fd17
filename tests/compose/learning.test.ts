import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';
import { buildLearning, learnerHorizonMs } from '../../src/compose/learning.js';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/db/store.js';
import { MemoryLogger } from '../../src/logger.js';
import { syntheticSamples } from '../adapters/predictor/samples-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'slt-learning-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('learning in the composition root', () => {
  it('keeps the labelled samples and the model versions in the store across a restart', async () => {
    const config = loadConfig({ STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`, ENABLE_SELF_LEARNING: 'false' });
    const clock = new ManualClock(Date.UTC(2025, 5, 1));
    const logger = new MemoryLogger();
    const store = await openStore(config.storeUrl, { logger, clock });
    const first = await buildLearning(config, { store, clock, logger, rules: new Map() });
    for (const s of syntheticSamples(30, 0.5, 1)) first.learner.ring.add(s);
    await first.stop();
    await store.modelVersions.put({ version: 'v1', createdAt: 1, promoted: false, metrics: { logLoss: 0.7 }, model: {} });
    await store.close();

    const reopened = await openStore(config.storeUrl, { logger, clock });
    const second = await buildLearning(config, { store: reopened, clock, logger, rules: new Map() });
    expect(second.learner.ring.size).toBe(30);
    expect(second.service.hasModel).toBe(false); // v1 was never promoted: the rule statistics stand in
    expect((await reopened.modelVersions.list()).map((v) => v.version)).toEqual(['v1']);
    await second.stop();
    await reopened.close();
  });

  it('wires model exits with POSITION_CONTROL_MODE=self_learning (the default) and none with rules', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 1));
    const logger = new MemoryLogger();
    for (const [mode, wired] of [
      ['self_learning', true],
      ['rules', false],
    ] as const) {
      const config = loadConfig({
        STORE_URL: `sqlite://${join(dir, `exits-${mode}.sqlite`)}`,
        ENABLE_SELF_LEARNING: 'false',
        POSITION_CONTROL_MODE: mode,
      });
      const store = await openStore(config.storeUrl, { logger, clock });
      const learning = await buildLearning(config, { store, clock, logger, rules: new Map() });
      expect(learning.exitAdvisor !== null).toBe(wired);
      await learning.stop();
      await store.close();
    }
  });
});

describe('learnerHorizonMs', () => {
  it('is the time stop, or 24 h when the time stop is off: live learning and the walk-forward label alike', () => {
    expect(learnerHorizonMs({ timeStopHours: 6 })).toBe(6 * 3_600_000);
    expect(learnerHorizonMs({ timeStopHours: 0 })).toBe(24 * 3_600_000);
  });
});
