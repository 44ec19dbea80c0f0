import type { Clock } from './ports.js';

interface Entry<V> {
  expiresAt: number;
  value: Promise<V>;
  /** Set once the load has finished, so a hit needs no promise hop. */
  settled?: { value: V };
}

/**
 * A keyed cache for the hot path: one load in flight per key (concurrent misses share it), entries live
 * for `ttlMs`, and `clear()` drops everything when the store reports a change. Failed loads are not kept,
 * so a passing store fault is retried on the next request.
 */
export class CachedLoader<K, V> {
  private readonly entries = new Map<K, Entry<V>>();

  constructor(
    private readonly load: (key: K) => Promise<V>,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  /** The loaded value if it is fresh and already there: the hot path's synchronous hit. */
  peek(key: K): V | undefined {
    const hit = this.entries.get(key);
    return hit?.settled && hit.expiresAt > this.clock.now() ? hit.settled.value : undefined;
  }

  get(key: K): Promise<V> {
    const now = this.clock.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const value = this.load(key);
    const entry: Entry<V> = { expiresAt: now + this.ttlMs, value };
    this.entries.set(key, entry);
    value.then(
      (v) => {
        entry.settled = { value: v };
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
