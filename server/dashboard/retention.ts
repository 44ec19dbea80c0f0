import type { Logger } from 'pino';
import type { Clock } from '../core/ports.js';
import { startPeriodicJob } from '../store/periodic-job.js';
import type { Store } from '../store/store.js';
import { LOGIN_WINDOW_MS } from './login-limit.js';

const DAY_MS = 86_400_000;
/** Rows per DELETE: each one holds SQLite's write lock for a few milliseconds only, so request-log writes interleave. */
export const PURGE_BATCH = 1000;
const PAUSE_BETWEEN_BATCHES_MS = 20;

/**
 * Deletes request-log rows older than `retentionDays` (0: keep everything), PURGE_BATCH rows at a time with a
 * short pause between batches; returns how many went.
 */
export async function purgeRequestLog(store: Store, o: { retentionDays: number; nowMs: number; batch?: number; isStopped?: () => boolean }): Promise<number> {
  if (o.retentionDays <= 0) return 0;
  const before = o.nowMs - o.retentionDays * DAY_MS;
  const batch = o.batch ?? PURGE_BATCH;
  let total = 0;
  for (;;) {
    const n = await store.dashboard.purgeRequestLog(before, batch);
    total += n;
    if (n < batch || o.isStopped?.()) return total;
    await new Promise((r) => setTimeout(r, PAUSE_BETWEEN_BATCHES_MS));
  }
}

/**
 * Background housekeeping, shortly after start and then hourly: the request-log retention, expired dashboard
 * sessions and login failures older than the rate-limit window. Every worker may run it; the deletes are
 * idempotent.
 */
export function startRetention(o: { store: Store; clock: Clock; logger: Logger; retentionDays: number; sessionIdleMs: number; intervalMs?: number }): { stop(): void } {
  return startPeriodicJob({
    name: 'request-log retention',
    logger: o.logger,
    intervalMs: o.intervalMs ?? 3_600_000,
    firstDelayMs: 1000,
    work: async (isStopped) => {
      const nowMs = o.clock.now();
      const purged = await purgeRequestLog(o.store, { retentionDays: o.retentionDays, nowMs, isStopped });
      if (purged > 0) o.logger.info({ purged, retentionDays: o.retentionDays }, 'request log: old records deleted');
      await o.store.dashboard.purgeSessions(nowMs, o.sessionIdleMs);
      await o.store.dashboard.purgeLoginAttempts(nowMs - LOGIN_WINDOW_MS);
    },
  });
}
