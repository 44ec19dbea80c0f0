import type { Store } from '../store/store.js';
import type { InsightService, Insights } from './insight-service.js';
import { computeStats } from './stats.js';
import { ThreadedInsights, type InsightThreadLogger } from './threaded-insights.js';

/** The one implementation of the queries, on whichever connection it is given: the node's, or a thread's. */
export function storeInsights(store: Store): Insights {
  return {
    stats: (q) => computeStats(store, q),
    reportCounts: async (w) => {
      const [signed, forwarded, branded, failures] = await Promise.all([
        store.dashboard.signedByAccount(w),
        store.dashboard.forwardedByAccount(w),
        store.dashboard.brandedByAccount(w),
        store.dashboard.failuresByReason(w),
      ]);
      return { signed, forwarded, branded, failures };
    },
  };
}

/**
 * Where the node runs its insights. libsql answers synchronously, so on the embedded engine a 7-day window over
 * a million rows (2.6-3.0 s measured) would hold every HTTP, gRPC and SIP request: there they run on a thread
 * with its own read-only connection. pg is asynchronous already, so PostgreSQL keeps the node's pool.
 */
export function createInsights(store: Store, dataDir: string, logger: InsightThreadLogger): InsightService {
  if (store.engine === 'embedded') return new ThreadedInsights({ dataDir }, logger);
  return { ...storeInsights(store), close: async () => undefined };
}
