import { describe, expect, it } from 'vitest';
import { statementRows } from '../../server/store/request-log-queries.js';

/** How appendRequestLog cuts a batch into statements (the store suite checks every row then reads back). */
function cut(rows: number, maxRows: number): number[] {
  const sizes: number[] = [];
  for (let left = rows; left > 0; left -= sizes.at(-1)!) sizes.push(statementRows(left, maxRows));
  return sizes;
}

describe('request-log INSERT statement sizes', () => {
  it('cuts any batch into powers of two that add up to it, largest first, at most 256 rows each', () => {
    const seen = new Set<number>();
    for (let rows = 1; rows <= 2_000; rows++) {
      const sizes = cut(rows, 1_820);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(rows);
      expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
      for (const s of sizes) seen.add(s);
    }
    // So the statements prepared for the request log are these nine, however the tails vary.
    expect([...seen].sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256]);
  });

  it('keeps under the engine bound when it is lower', () => {
    expect(cut(300, 100)).toEqual([64, 64, 64, 64, 32, 8, 4]);
    expect(cut(500, 1_820)).toEqual([256, 128, 64, 32, 16, 4]);
  });
});
