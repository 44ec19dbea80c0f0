import { describe, expect, it } from 'vitest';
import { TurnBatch } from '../../server/core/turn-batch.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnBatch', () => {
  it('delivers what one turn collected as one batch, in order, and a later turn as another', async () => {
    const batches: number[][] = [];
    const b = new TurnBatch<number>((items) => batches.push(items));
    expect(b.push(1)).toBe(true);
    expect(b.push(2)).toBe(false);
    // A microtask run later in the same turn joins the same batch.
    await Promise.resolve();
    b.push(3);
    expect(batches).toEqual([]);
    await nextTurn();
    expect(batches).toEqual([[1, 2, 3]]);
    expect(b.push(4)).toBe(true);
    await nextTurn();
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('flushes on demand, and the scheduled delivery then finds nothing', async () => {
    const batches: string[][] = [];
    const b = new TurnBatch<string>((items) => batches.push(items));
    b.push('a');
    b.flush();
    expect(batches).toEqual([['a']]);
    await nextTurn();
    expect(batches).toEqual([['a']]);
    b.flush();
    expect(batches).toEqual([['a']]);
  });
});
