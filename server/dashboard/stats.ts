import type { Store } from '../store/store.js';
import type { LatencySample, TimeWindow } from '../store/dashboard-store.js';
import { invalid } from './errors.js';

export const WINDOWS = {
  '15m': { ms: 15 * 60_000, bucketMs: 30_000 },
  '1h': { ms: 3_600_000, bucketMs: 60_000 },
  '24h': { ms: 86_400_000, bucketMs: 900_000 },
  '7d': { ms: 7 * 86_400_000, bucketMs: 3_600_000 },
} as const;

export type StatsWindow = keyof typeof WINDOWS;

/**
 * Percentiles are computed here over the window's latencies. Counts come from SQL aggregates (any size); the
 * latencies are fetched whole up to this many rows, and beyond it every k-th row by id (an even sample: ids
 * follow insertion order), so 7 days at a million rows moves at most 50,000 small rows. 50,000 samples put
 * about 500 above the p99, enough for a chart.
 */
export const MAX_LATENCY_SAMPLES = 50_000;

/**
 * How long a window's answer is reused: a 7-day window over a million rows costs about 2.5 s of store time on
 * the embedded engine (measured), and several open dashboards refresh every few seconds. Short windows stay live.
 */
const CACHE_MS: Record<StatsWindow, number> = { '15m': 2000, '1h': 5000, '24h': 30_000, '7d': 60_000 };

export function parseWindow(v: unknown): StatsWindow {
  if (v === undefined || v === '') return '1h';
  if (typeof v !== 'string' || !(v in WINDOWS)) throw invalid(`window must be one of ${Object.keys(WINDOWS).join(', ')}`, 'window');
  return v as StatsWindow;
}

/** Nearest-rank percentile of sorted values, in ms; null without values. */
function percentileMs(sortedUs: number[], q: number): number | null {
  if (sortedUs.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sortedUs.length));
  return sortedUs[rank - 1]! / 1000;
}

function summary(latenciesUs: number[]) {
  const sorted = latenciesUs.sort((a, b) => a - b);
  return { p50Ms: percentileMs(sorted, 0.5), p95Ms: percentileMs(sorted, 0.95), p99Ms: percentileMs(sorted, 0.99) };
}

function groupBy<K>(samples: LatencySample[], key: (s: LatencySample) => K): Map<K, number[]> {
  const m = new Map<K, number[]>();
  for (const s of samples) {
    const k = key(s);
    let list = m.get(k);
    if (!list) m.set(k, (list = []));
    list.push(s.latencyUs);
  }
  return m;
}

const rate = (errors: number, count: number): number => (count === 0 ? 0 : errors / count);

export interface StatsQuery {
  window: StatsWindow;
  accountId?: string;
  nowMs: number;
}

export type Stats = Awaited<ReturnType<typeof computeStats>>;

/**
 * computeStats with each (window, account) answer shared for CACHE_MS, one computation in flight per key.
 * The computation itself runs wherever `insights` runs it (a thread on the embedded engine).
 */
export class StatsCache {
  private readonly entries = new Map<string, { at: number; value: Promise<Stats> }>();

  constructor(private readonly insights: { stats(q: StatsQuery): Promise<Stats> }) {}

  get(opts: StatsQuery): Promise<Stats> {
    const key = `${opts.window}\0${opts.accountId ?? ''}`;
    const hit = this.entries.get(key);
    if (hit && opts.nowMs - hit.at < CACHE_MS[opts.window]) return hit.value;
    const value = this.insights.stats(opts);
    this.entries.set(key, { at: opts.nowMs, value });
    value.catch(() => this.entries.delete(key));
    return value;
  }
}

/**
 * `GET /dashboard/api/stats`: volume, errors, latency percentiles, attestation, forwarded calls (div or div-o,
 * RFC 8946) and branded calls (RCD, RFC 9795) per bucket, and per integration.
 */
export async function computeStats(store: Store, opts: StatsQuery) {
  const { ms, bucketMs } = WINDOWS[opts.window];
  // Buckets end on whole multiples of their size, so successive refreshes line up.
  const until = Math.ceil((opts.nowMs + 1) / bucketMs) * bucketMs;
  const w: TimeWindow = { since: until - ms, until, accountId: opts.accountId };
  const [rows, total, integrationRows, keys] = await Promise.all([
    store.dashboard.statsBuckets(w, bucketMs),
    store.dashboard.countLogRows(w),
    store.dashboard.integrations(w),
    store.listApiKeys(opts.accountId),
  ]);
  const samples = await store.dashboard.latencySamples(w, Math.ceil(total / MAX_LATENCY_SAMPLES));
  const byBucket = groupBy(samples, (s) => Math.floor((s.time - w.since) / bucketMs));
  const byRow = new Map(rows.map((r) => [r.bucket, r]));
  const buckets = [];
  for (let i = 0; i < ms / bucketMs; i++) {
    const r = byRow.get(i);
    buckets.push({
      t: new Date(w.since + i * bucketMs).toISOString(),
      count: r?.count ?? 0,
      errors: r?.errors ?? 0,
      ...summary(byBucket.get(i) ?? []),
      byAttest: { A: r?.A ?? 0, B: r?.B ?? 0, C: r?.C ?? 0 },
      forwarded: r?.forwarded ?? 0,
      branded: r?.branded ?? 0,
    });
  }
  const count = rows.reduce((s, r) => s + r.count, 0);
  const errors = rows.reduce((s, r) => s + r.errors, 0);
  const forwarded = rows.reduce((s, r) => s + r.forwarded, 0);
  const branded = rows.reduce((s, r) => s + r.branded, 0);
  const names = new Map(keys.map((k) => [k.id, k.name]));
  const byIntegration = groupBy(samples, (s) => `${s.apiKeyId ?? ''}\0${s.transport}`);
  const integrations = integrationRows.map((r) => ({
    apiKeyId: r.apiKeyId,
    apiKeyName: r.apiKeyId === null ? null : (names.get(r.apiKeyId) ?? null),
    transport: r.transport,
    count: r.count,
    errors: r.errors,
    errorRate: rate(r.errors, r.count),
    p99Ms: summary(byIntegration.get(`${r.apiKeyId ?? ''}\0${r.transport}`) ?? []).p99Ms,
    lastSeen: new Date(r.lastSeen).toISOString(),
  }));
  return {
    window: opts.window,
    bucketSec: bucketMs / 1000,
    buckets,
    totals: { count, errors, errorRate: rate(errors, count), forwarded, branded, ...summary(samples.map((s) => s.latencyUs)) },
    integrations,
  };
}
