import { describe, expect, it } from 'vitest';
import { RingQueue } from '../../../src/engine/execution/ring-queue.js';

describe('RingQueue', () => {
  it('returns items first in, first out across growth and wrap-around', () => {
    const queue = new RingQueue<number>(2);
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) queue.push(next++);
      for (let i = 0; i < 5; i++) out.push(queue.shift() as number);
    }
    while (queue.size > 0) out.push(queue.shift() as number);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
  });

  it('reports size and peeks without removing', () => {
    const queue = new RingQueue<string>();
    expect(queue.peek()).toBeUndefined();
    expect(queue.shift()).toBeUndefined();
    queue.push('a');
    queue.push('b');
    expect(queue.peek()).toBe('a');
    expect(queue.size).toBe(2);
  });
});
