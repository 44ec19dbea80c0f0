import { describe, expect, it } from 'vitest';
import { makeRoom } from '../../server/core/oldest-first.js';

const filled = (prefix: string, n: number) => new Map(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i] as const));

describe('makeRoom: Maps used oldest first', () => {
  it('does nothing while there is room', () => {
    const m = filled('a', 9);
    makeRoom([m], 10);
    expect(m.size).toBe(9);
  });

  it('below 64 entries lets exactly the oldest go', () => {
    const m = filled('a', 10);
    makeRoom([m], 10);
    expect([...m.keys()]).toEqual([...filled('a', 10).keys()].slice(1));
  });

  it('lets 1/64 of a full Map go at once, oldest first, so the next insertions find room', () => {
    const m = filled('a', 640);
    makeRoom([m], 640);
    expect(m.size).toBe(630);
    expect(m.has('a9')).toBe(false);
    expect(m.has('a10')).toBe(true);
    for (let i = 0; i < 9; i++) {
      makeRoom([m], 640);
      m.set(`b${i}`, i);
    }
    // Nine insertions, no second batch.
    expect(m.size).toBe(639);
    expect(m.has('a10')).toBe(true);
  });

  it('takes from the first Map before the next, and counts them together', () => {
    const first = filled('f', 4);
    const second = filled('s', 636);
    makeRoom([first, second], 640);
    expect(first.size).toBe(0);
    expect([...second.keys()].slice(0, 1)).toEqual(['s6']);
    expect(first.size + second.size).toBe(630);
  });

  it('brings an over-full set back under the bound', () => {
    const m = filled('a', 700);
    makeRoom([m], 640);
    expect(m.size).toBe(630);
    expect(m.has('a69')).toBe(false);
    expect(m.has('a70')).toBe(true);
  });
});
