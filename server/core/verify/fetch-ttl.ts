import { CachedLoader } from '../cached-loader.js';
import type { Clock } from '../ports.js';

/** A failed fetch (x5u or CRL) is retried after this long, so a dead server costs one timeout per URL, not one per call. */
export const FAILURE_TTL_MS = 10_000;

/** A fetched resource as cached: what it gave, and how long that may be reused (from its caching directives and what it is). */
export interface Fetched<V> {
  value: V;
  /** 0 or less: only by the calls that waited for it. */
  ttlMs: number;
}

/**
 * The core's one cache, keyed by URL, each entry living as long as its fetch said. Loads return failures as
 * values (with FAILURE_TTL_MS), so a dead server is remembered, not hammered.
 */
export function fetchCache<V>(load: (url: string) => Promise<Fetched<V>>, clock: Clock, maxEntries: number): CachedLoader<string, Fetched<V>> {
  return new CachedLoader(load, clock, { ttlMs: (fetched) => fetched.ttlMs, maxEntries });
}
