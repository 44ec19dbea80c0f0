import { describe, expect, it } from 'vitest';
import { TnInventory, validateInventoryEntry, type InventoryEntry } from '../../server/core/tn-inventory.js';

function inv(entries: InventoryEntry[]): TnInventory {
  const b = TnInventory.builder();
  for (const e of entries) b.add(e);
  return b.build();
}

describe('TN inventory', () => {
  it('finds single numbers and nothing next to them', () => {
    const i = inv([{ kind: 'tn', tn: '14045266060' }, { kind: 'tn', tn: '12125550000' }]);
    expect(i.has('14045266060')).toBe(true);
    expect(i.has('12125550000')).toBe(true);
    expect(i.has('14045266061')).toBe(false);
    expect(i.has('14045266059')).toBe(false);
    expect(i.size).toBe(2);
  });

  it('covers a range from its start to start + count - 1, inclusive', () => {
    const i = inv([{ kind: 'range', start: '14045260000', count: 10000 }]);
    expect(i.has('14045260000')).toBe(true);
    expect(i.has('14045269999')).toBe(true);
    expect(i.has('14045270000')).toBe(false);
    expect(i.has('14045259999')).toBe(false);
  });

  it('handles overlapping and nested ranges without merging them first', () => {
    const i = inv([
      { kind: 'range', start: '1000', count: 100 },
      { kind: 'range', start: '1050', count: 100 },
      { kind: 'range', start: '1010', count: 5 },
      { kind: 'tn', tn: '1300' },
    ]);
    for (const [tn, inside] of [['999', false], ['1000', true], ['1099', true], ['1149', true], ['1150', false], ['1299', false], ['1300', true], ['1301', false]] as const) {
      expect(i.has(tn), tn).toBe(inside);
    }
  });

  it('keeps numbers of different lengths apart, so leading zeros and shorter numbers do not collide', () => {
    const i = inv([{ kind: 'tn', tn: '0123' }, { kind: 'range', start: '500', count: 10 }]);
    expect(i.has('0123')).toBe(true);
    expect(i.has('123')).toBe(false);
    expect(i.has('5005')).toBe(false);
    expect(i.has('505')).toBe(true);
  });

  it('matches prefixes against numbers of any length at least as long', () => {
    const i = inv([{ kind: 'prefix', prefix: '1404526' }, { kind: 'prefix', prefix: '44' }]);
    expect(i.has('14045266060')).toBe(true);
    expect(i.has('1404526')).toBe(true);
    expect(i.has('140452')).toBe(false);
    expect(i.has('442071234567')).toBe(true);
    expect(i.has('4')).toBe(false);
    expect(i.has('14045276060')).toBe(false);
  });

  it('never matches numbers with * or #', () => {
    const i = inv([{ kind: 'range', start: '100', count: 900 }]);
    expect(i.has('*67')).toBe(false);
    expect(i.has('12#')).toBe(false);
  });

  it('agrees with a naive scan on random data', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const entries: InventoryEntry[] = [];
    for (let k = 0; k < 300; k++) {
      const start = 1_000_000 + rnd(100_000);
      entries.push(rnd(2) ? { kind: 'tn', tn: String(start) } : { kind: 'range', start: String(start), count: 1 + rnd(500) });
    }
    const i = inv(entries);
    for (let k = 0; k < 3000; k++) {
      const x = 1_000_000 + rnd(101_000);
      const naive = entries.some((e) => (e.kind === 'tn' ? Number(e.tn) === x : e.kind === 'range' && x >= Number(e.start) && x < Number(e.start) + e.count));
      expect(i.has(String(x)), String(x)).toBe(naive);
    }
  });

  it('is empty by default', () => {
    expect(TnInventory.EMPTY.has('1')).toBe(false);
  });

  it.each([
    [{ kind: 'tn', tn: '1404-526' }, 'ERR_TN_INVALID'],
    [{ kind: 'tn', tn: '1234567890123456' }, 'ERR_TN_INVALID'],
    [{ kind: 'prefix', prefix: '' }, 'ERR_TN_INVALID'],
    [{ kind: 'range', start: '1000', count: 0 }, 'ERR_REQ_FIELD_INVALID'],
    [{ kind: 'range', start: '999', count: 2 }, 'ERR_REQ_FIELD_INVALID'],
    [{ kind: 'range', start: '0999', count: 2 }, 'ERR_REQ_FIELD_INVALID'],
  ] as [InventoryEntry, string][])('refuses %j', (e, code) => {
    expect(() => validateInventoryEntry(e)).toThrow(expect.objectContaining({ code }));
  });
});
