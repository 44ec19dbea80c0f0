import { describe, expect, it } from 'vitest';
import { dropConsumed } from '../../server/core/consumed-prefix.js';

describe('dropConsumed: a queue read from its head', () => {
  it('clears a queue read to its end', () => {
    const q = [1, 2, 3];
    expect(dropConsumed(q, 3)).toBe(0);
    expect(q).toEqual([]);
  });

  it('keeps a short read prefix, since cutting it would cost more than it frees', () => {
    const q = Array.from({ length: 2000 }, (_, i) => i);
    expect(dropConsumed(q, 1000)).toBe(1000);
    expect(q).toHaveLength(2000);
  });

  it('cuts a prefix of over 1,024 items that is most of the queue, keeping the rest in order', () => {
    const q = Array.from({ length: 2000 }, (_, i) => i);
    expect(dropConsumed(q, 1500)).toBe(0);
    expect(q).toEqual(Array.from({ length: 500 }, (_, i) => 1500 + i));
  });
});
