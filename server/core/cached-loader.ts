import { isStoreUnavailable } from './errors.js';
import { makeRoom } from './oldest-first.js';
import type { Clock } from './ports.js';
import { withTimeout } from './with-timeout.js';

interface Settled<V> {
  value: V;
  promise: Promise<V>;
  /** When the value stops being fresh: when it arrived plus its TTL. */
  expiresAt: number;
}

interface Entry<V> {
  /** The last value loaded. Kept after it expires, as the fallback while the store is unavailable. */
  settled?: Settled<V>;
  /** Set by `clear()`: the value is only a fallback from then on, however long its TTL. */
  cleared?: true;
  loading?: Promise<V>;
  /** Set while reloads fail with ERR_STORE_UNAVAILABLE: the stale value answers at once, the store is retried after this. */
  retryAt?: number;
}

/**
 * While the store is down, how often one key is retried. Requests in between get the stale value without
 * waiting, so a blackholed store (each try hangs until the query timeout) costs one waiting request, not all.
 */
const RETRY_WHILE_DOWN_MS = 1000;

/**
 * How long a call waits for the reload of an expired entry before the stale value answers it (the reload goes
 * on in the background). A blackholed store fails only at `store.queryTimeoutMs` (15 s by default), far past
 * what a SIP or API client waits, so the first call after an outage begins is not held that long either.
 */
const RELOAD_PATIENCE_MS = 1000;

export interface CachedLoaderOptions {
  /** How long a loaded value is fresh. */
  ttlMs: number;
  /** How long past its TTL a loaded value still answers when reloading it fails with ERR_STORE_UNAVAILABLE; 0: never. */
  staleIfErrorMs?: number;
  /** Default RELOAD_PATIENCE_MS. */
  reloadPatienceMs?: number;
  /** Default 100 000; when full, the entries loaded longest ago go first (`makeRoom`). */
  maxEntries?: number;
}

/** For values whose lifetime is decided when each arrives (a fetched resource's caching directives). */
export interface PerValueTtlOptions<V> extends Omit<CachedLoaderOptions, 'ttlMs'> {
  /** 0 or less: the value answers only the calls that waited for it, and is not kept. */
  ttlMs: (value: V) => number;
}

/**
 * A keyed cache for the hot path: one load in flight per key (concurrent misses share it, as jose's
 * `pendingFetch` does), entries live for their TTL, at most `maxEntries` of them, and `clear()` drops
 * everything when the store reports a change. Failed loads are not kept, so a passing fault is retried on the
 * next request; a load that wants a failure remembered (an unreachable x5u) returns it as a value with a short TTL.
 *
 * Stale-if-error (the HTTP cache's rule, RFC 5861 §4): when a reload fails because the store is unavailable,
 * the last value loaded keeps answering for up to `staleIfErrorMs` past its TTL, so calls from accounts seen
 * before an outage go on being signed through it. Anything else a load throws (a refused record, a bug) is
 * passed on as before. After `clear()` an old value is no longer fresh, but it is still the best fallback an
 * outage leaves: a change that the store cannot serve cannot be applied either. A reload the store does not
 * answer within `reloadPatienceMs` is treated the same way for the call waiting on it (the reload goes on).
 */
export class CachedLoader<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly ttlOf: (value: V) => number;
  private readonly staleIfErrorMs: number;
  private readonly maxEntries: number;
  private readonly reloadPatienceMs: number;

  constructor(
    private readonly load: (key: K) => Promise<V>,
    private readonly clock: Clock,
    options: CachedLoaderOptions | PerValueTtlOptions<V>,
  ) {
    const { ttlMs } = options;
    this.ttlOf = typeof ttlMs === 'number' ? () => ttlMs : ttlMs;
    this.staleIfErrorMs = options.staleIfErrorMs ?? 0;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.reloadPatienceMs = options.reloadPatienceMs ?? RELOAD_PATIENCE_MS;
  }

  /** The loaded value if it is fresh and already there: the hot path's synchronous hit. */
  peek(key: K): V | undefined {
    const hit = this.entries.get(key);
    return hit && this.isFresh(hit, this.clock.now()) ? hit.settled!.value : undefined;
  }

  get(key: K): Promise<V> {
    const now = this.clock.now();
    let entry = this.entries.get(key);
    if (entry && this.isFresh(entry, now)) return entry.settled!.promise;
    if (entry?.retryAt !== undefined && this.usableStale(entry, now)) {
      if (now >= entry.retryAt && !entry.loading) void this.reload(key, entry).catch(() => undefined);
      return entry.settled!.promise;
    }
    if (!entry) {
      makeRoom([this.entries], this.maxEntries);
      entry = {};
      this.entries.set(key, entry);
    }
    const loading = entry.loading ?? this.reload(key, entry);
    return this.staleIfErrorMs > 0 && this.usableStale(entry, now) ? this.orStaleAfterPatience(entry, loading) : loading;
  }

  /** Values stay, as outage fallbacks, but none is fresh: the next `get` of each key reloads it. */
  clear(): void {
    for (const [key, entry] of this.entries) {
      // A fresh entry object: a load started before the change must not land in the cache as fresh.
      if (entry.settled) this.entries.set(key, { settled: entry.settled, cleared: true });
      else this.entries.delete(key);
    }
  }

  private isFresh(entry: Entry<V>, now: number): boolean {
    return entry.settled !== undefined && !entry.cleared && entry.settled.expiresAt > now;
  }

  private usableStale(entry: Entry<V>, now: number): boolean {
    return entry.settled !== undefined && now <= entry.settled.expiresAt + this.staleIfErrorMs;
  }

  /** The reload's result, or the stale value if the store has not answered within the patience. */
  private orStaleAfterPatience(entry: Entry<V>, loading: Promise<V>): Promise<V> {
    const stale = entry.settled!.value;
    return withTimeout(loading, this.reloadPatienceMs, () => stale);
  }

  private reload(key: K, entry: Entry<V>): Promise<V> {
    const loading = this.load(key).then(
      (value) => {
        const now = this.clock.now();
        const ttlMs = this.ttlOf(value);
        entry.loading = undefined;
        entry.retryAt = undefined;
        if (ttlMs <= 0) {
          // Not to be kept (no-store, an expired certificate): neither fresh nor as a fallback.
          entry.settled = undefined;
          if (this.entries.get(key) === entry) this.entries.delete(key);
          return value;
        }
        entry.settled = { value, promise: Promise.resolve(value), expiresAt: now + ttlMs };
        entry.cleared = undefined;
        // To the back of the eviction order: the entry loaded longest ago goes first.
        if (this.entries.get(key) === entry) {
          this.entries.delete(key);
          this.entries.set(key, entry);
        }
        return value;
      },
      (err: unknown) => {
        entry.loading = undefined;
        const now = this.clock.now();
        if (isStoreUnavailable(err) && this.usableStale(entry, now)) {
          entry.retryAt = now + RETRY_WHILE_DOWN_MS;
          return entry.settled!.value;
        }
        entry.retryAt = undefined;
        if (!entry.settled && this.entries.get(key) === entry) this.entries.delete(key);
        throw err;
      },
    );
    entry.loading = loading;
    return loading;
  }
}
