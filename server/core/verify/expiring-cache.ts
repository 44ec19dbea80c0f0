import type { Clock } from '../ports.js';

/** A failed fetch (x5u or CRL) is retried after this long, so a dead server costs one timeout per URL, not one per call. */
export const FAILURE_TTL_MS = 10_000;

interface Entry<V> {
  value: Promise<V>;
  /** Infinity while the load is in flight: every caller meanwhile shares it. */
  expiresAt: number;
  settled: boolean;
}

export interface Loaded<V> {
  value: V;
  /** How long the value may be reused from when it arrived; 0 or less: only by the calls that waited for it. */
  ttlMs: number;
}

/**
 * A keyed cache for fetched resources: one load in flight per key (concurrent misses share it, as jose's
 * `pendingFetch` does), a lifetime per value decided when it arrives (from its HTTP caching directives and
 * what it is), and a bound on entries (the oldest goes first). Loads must not reject: failures are values
 * with a short lifetime; a load that throws anyway is forgotten so the next call retries.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries: number,
  ) {}

  async get(key: string, load: () => Promise<Loaded<V>>): Promise<{ value: V; fromCache: boolean }> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > this.clock.now()) return { value: await hit.value, fromCache: hit.settled };
    if (hit) this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const entry: Entry<V> = { value: undefined as unknown as Promise<V>, expiresAt: Infinity, settled: false };
    entry.value = load().then(
      (loaded) => {
        entry.settled = true;
        entry.expiresAt = this.clock.now() + loaded.ttlMs;
        if (loaded.ttlMs <= 0 && this.entries.get(key) === entry) this.entries.delete(key);
        return loaded.value;
      },
      (e: unknown) => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
        throw e;
      },
    );
    this.entries.set(key, entry);
    return { value: await entry.value, fromCache: false };
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
