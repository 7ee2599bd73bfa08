import { describe, expect, it } from 'vitest';
import { forEachConcurrent } from '../../../lib/sweep/pool.ts';

async function* slowly(items: number[]) {
  for (const item of items) {
    await Promise.resolve();
    yield item;
  }
}

describe('forEachConcurrent', () => {
  it('visits every item with at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachConcurrent(slowly([1, 2, 3, 4, 5, 6, 7]), 3, async (item) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(item);
      inFlight--;
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });

  it('stops starting items once shouldStart says no and hands them to onSkipped', async () => {
    const done: number[] = [];
    const skipped: number[] = [];
    await forEachConcurrent([1, 2, 3, 4, 5], 1, async (item) => void done.push(item), {
      shouldStart: () => done.length < 2,
      onSkipped: (item) => skipped.push(item),
    });
    expect(done).toEqual([1, 2]);
    expect(skipped).toEqual([3, 4, 5]);
  });

  it('rethrows an iteration error after the items in flight settle', async () => {
    async function* failing() {
      yield 1;
      throw new Error('page 2 failed');
    }
    const done: number[] = [];
    await expect(
      forEachConcurrent(failing(), 2, async (item) => void done.push(item)),
    ).rejects.toThrow('page 2 failed');
    expect(done).toEqual([1]);
  });

  it('rethrows a worker error', async () => {
    await expect(
      forEachConcurrent([1, 2], 2, async (item) => {
        if (item === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
