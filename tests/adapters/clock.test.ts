import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/adapters/clock.js';

describe('ManualClock', () => {
  it('fires due timers in time order (then in the order set) and moves the time to each', () => {
    const clock = new ManualClock(1_000);
    const fired: string[] = [];
    clock.setTimer(300, () => fired.push(`c@${clock.now()}`));
    clock.setTimer(100, () => fired.push(`a@${clock.now()}`));
    clock.setTimer(100, () => fired.push(`b@${clock.now()}`));
    clock.set(1_050);
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(1_050);
    clock.set(1_500);
    expect(fired).toEqual(['a@1100', 'b@1100', 'c@1300']);
    expect(clock.now()).toBe(1_500);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a timer set by a firing timer and due by the target fires in the same move', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimer(10, () => {
      fired.push(clock.now());
      clock.setTimer(10, () => fired.push(clock.now()));
      clock.setTimer(1_000, () => fired.push(clock.now()));
    });
    clock.set(100);
    expect(fired).toEqual([10, 20]);
    clock.set(1_009);
    expect(fired).toEqual([10, 20]);
    clock.set(1_010);
    expect(fired).toEqual([10, 20, 1_010]);
  });

  it('a cancelled timer never fires, and the later ones still do', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const cancelEarliest = clock.setTimer(10, () => fired.push('early'));
    clock.setTimer(50, () => fired.push('late'));
    cancelEarliest();
    clock.set(40);
    expect(fired).toEqual([]);
    clock.set(50);
    expect(fired).toEqual(['late']);
  });

  it('never moves backwards', () => {
    const clock = new ManualClock(500);
    clock.set(100);
    expect(clock.now()).toBe(500);
  });
});
