import type { BrandedCountRow, FailureCountRow, ForwardedCountRow, SignedCountRow, TimeWindow } from '../store/dashboard-store.js';
import type { Stats, StatsQuery } from './stats.js';

// The contract apart from its implementations (insights.ts on a connection, threaded-insights.ts on a thread),
// so neither imports the other to learn it.

/** The request-log aggregates of a compliance report. */
export interface ReportCounts {
  signed: SignedCountRow[];
  /** Successful signatures and verifications of forwarded calls (div, RFC 8946). */
  forwarded: ForwardedCountRow[];
  /** Branded calls (RCD, RFC 9795): signed by profile, verified by whether their RCD verified. */
  branded: BrandedCountRow[];
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
