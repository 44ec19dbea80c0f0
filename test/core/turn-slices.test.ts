import { describe, expect, it } from 'vitest';
import { TurnSlices } from '../../server/core/turn-slices.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnSlices', () => {
  it('starts a slice at once and the rest a slice per later turn, in order', async () => {
    const started: number[] = [];
    const s = new TurnSlices<number>(3, (n) => started.push(n));
    s.push([1, 2, 3, 4, 5, 6, 7]);
    expect(started).toEqual([1, 2, 3]);
    // Items pushed while slices are under way wait behind those already queued.
    s.push([8]);
    expect(started).toEqual([1, 2, 3]);
    await nextTurn();
    expect(started).toEqual([1, 2, 3, 4, 5, 6]);
    await nextTurn();
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await nextTurn();
    // Idle again: the next push starts at once.
    s.push([9]);
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('lets the work of one slice finish before the next slice starts', async () => {
    const events: string[] = [];
    const s = new TurnSlices<number>(2, (n) => {
      events.push(`start ${n}`);
      void Promise.resolve().then(() => events.push(`done ${n}`));
    });
    s.push([1, 2, 3]);
    await nextTurn();
    expect(events).toEqual(['start 1', 'start 2', 'done 1', 'done 2', 'start 3', 'done 3']);
  });
});
