import { ShakenError } from './errors.js';

/** What an account may sign A for (RFC 8224 §6.1, ATIS-1000074 §5.2.3): numbers, ranges and prefixes. */
export type InventoryEntry =
  | { kind: 'tn'; tn: string }
  | { kind: 'range'; start: string; count: number }
  | { kind: 'prefix'; prefix: string };

const DIGITS = /^[0-9]{1,15}$/;
const MAX_LEN = 15;

/** Checks one entry; numbers are already canonical digits (inventories hold no `*` or `#`). */
export function validateInventoryEntry(e: InventoryEntry): InventoryEntry {
  switch (e.kind) {
    case 'tn':
      if (!DIGITS.test(e.tn)) throw new ShakenError('ERR_TN_INVALID', 'number must be 1 to 15 digits', { field: 'tn' });
      return e;
    case 'prefix':
      if (!DIGITS.test(e.prefix)) throw new ShakenError('ERR_TN_INVALID', 'prefix must be 1 to 15 digits', { field: 'prefix' });
      return e;
    case 'range': {
      if (!DIGITS.test(e.start)) throw new ShakenError('ERR_TN_INVALID', 'range start must be 1 to 15 digits', { field: 'start' });
      if (!Number.isSafeInteger(e.count) || e.count < 1) {
        throw new ShakenError('ERR_REQ_FIELD_INVALID', 'range count must be a whole number of at least 1', { field: 'count' });
      }
      // A range stays within one number length: 999 + 2 would run into 4-digit numbers.
      if (String(Number(e.start) + e.count - 1).length > e.start.length || (e.start.length > 1 && e.start.startsWith('0'))) {
        throw new ShakenError('ERR_REQ_FIELD_INVALID', 'range must not run past the last number of its length or start with 0', { field: 'count' });
      }
      return e;
    }
  }
}

class GrowableF64 {
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

/** Number of elements `<= x` in an ascending array. */
function countAtMost(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of elements `< x` in an ascending array. */
function countBelow(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * An account's inventory in memory, built once per change. Numbers of each length are intervals kept as two
 * independently sorted Float64Arrays (starts, ends); x is covered when more intervals start at or before x
 * than end before it. No merging, no per-entry objects: 1,000,000 entries take 16 MB, and a lookup is two
 * binary searches plus a Set probe per prefix length in use. Numbers of up to 15 digits are exact doubles.
 */
export class TnInventory {
  private constructor(
    private readonly starts: (Float64Array | undefined)[],
    private readonly ends: (Float64Array | undefined)[],
    private readonly prefixes: Set<string>,
    private readonly prefixLengths: number[],
    readonly size: number,
  ) {}

  static readonly EMPTY = new TnInventory([], [], new Set(), [], 0);

  static builder(): TnInventoryBuilder {
    return new TnInventoryBuilder();
  }

  /** Whether a canonical orig TN is covered. Non-numeric TNs (`*`, `#`) are never in an inventory. */
  has(tn: string): boolean {
    const len = tn.length;
    for (const k of this.prefixLengths) {
      if (k > len) break;
      if (this.prefixes.has(k === len ? tn : tn.slice(0, k))) return true;
    }
    const starts = this.starts[len];
    if (!starts) return false;
    const x = Number(tn);
    if (!Number.isInteger(x)) return false;
    return countAtMost(starts, x) > countBelow(this.ends[len]!, x);
  }

  /** @internal */
  static fromParts(starts: (Float64Array | undefined)[], ends: (Float64Array | undefined)[], prefixes: Set<string>, size: number): TnInventory {
    return new TnInventory(starts, ends, prefixes, [...new Set([...prefixes].map((p) => p.length))].sort((a, b) => a - b), size);
  }
}

export class TnInventoryBuilder {
  private readonly starts: GrowableF64[] = [];
  private readonly ends: GrowableF64[] = [];
  private readonly prefixes = new Set<string>();
  private size = 0;

  add(e: InventoryEntry): this {
    this.size++;
    if (e.kind === 'prefix') {
      this.prefixes.add(e.prefix);
      return this;
    }
    const digits = e.kind === 'tn' ? e.tn : e.start;
    const len = digits.length;
    const start = Number(digits);
    (this.starts[len] ??= new GrowableF64()).push(start);
    (this.ends[len] ??= new GrowableF64()).push(e.kind === 'tn' ? start : start + e.count - 1);
    return this;
  }

  build(): TnInventory {
    const starts: (Float64Array | undefined)[] = [];
    const ends: (Float64Array | undefined)[] = [];
    for (let len = 1; len <= MAX_LEN; len++) {
      starts[len] = this.starts[len]?.sorted();
      ends[len] = this.ends[len]?.sorted();
    }
    return TnInventory.fromParts(starts, ends, this.prefixes, this.size);
  }
}
