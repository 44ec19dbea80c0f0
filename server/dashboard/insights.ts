import type { FailureCountRow, SignedCountRow, TimeWindow } from '../store/dashboard-store.js';
import type { Store } from '../store/store.js';
import { computeStats, type Stats, type StatsQuery } from './stats.js';
import { ThreadedInsights, type InsightThreadLogger } from './threaded-insights.js';

/** The request-log aggregates of a compliance report. */
export interface ReportCounts {
  signed: SignedCountRow[];
  failures: FailureCountRow[];
}

/** The dashboard's read-only work that scans many request-log rows: a stats window and a report's range. */
export interface Insights {
  stats(q: StatsQuery): Promise<Stats>;
  reportCounts(w: TimeWindow): Promise<ReportCounts>;
}

/** Insights the node owns: `close()` ends what is in flight (its callers get ERR_STORE_UNAVAILABLE). */
export interface InsightService extends Insights {
  close(): Promise<void>;
}

/** The one implementation of the queries, on whichever connection it is given: the node's, or a thread's. */
export function storeInsights(store: Store): Insights {
  return {
    stats: (q) => computeStats(store, q),
    reportCounts: async (w) => {
      const [signed, failures] = await Promise.all([store.dashboard.signedByAccount(w), store.dashboard.failuresByReason(w)]);
      return { signed, failures };
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
