import type { Clock, RequestLogRecord, RequestLogSink } from '../core/ports.js';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';

export interface TransportMetrics {
  transport: string;
  requests: number;
  errors: number;
  /** ERR_* code → count. */
  errorsByCode: Record<string, number>;
  /** Signed below the requested level, by why (`tn-not-in-inventory`, `account-maximum`, `gateway-source`, ...). */
  downgradesByReason: Record<string, number>;
  /** The core's time per request (`RequestLogRecord.latencyUs`), the same clock for every transport. */
  latencyUs: LatencySummary;
}

export interface MetricsSnapshot {
  sinceMs: number;
  /** Counts are per process: with cluster workers, each worker answers for itself. */
  pid: number;
  transports: TransportMetrics[];
}

interface Counter {
  requests: number;
  errors: number;
  byCode: Map<string, number>;
  downgrades: Map<string, number>;
  latency: LatencyHistogram;
}

/**
 * Request counts, error counts by code and latency percentiles, fed by the same records the request log
 * gets (a `RequestLogSink`), so every transport is counted by the one place that handles its requests.
 * Keyed by transport: the record does not name the RPC or route yet.
 */
export class RequestMetrics implements RequestLogSink {
  private readonly counters = new Map<string, Counter>();
  private readonly sinceMs: number;

  constructor(clock: Clock) {
    this.sinceMs = clock.now();
  }

  record(entry: RequestLogRecord): void {
    // GetMetrics describes signing; verifications are in the request log under their own kind.
    if (entry.kind !== 'sign') return;
    let c = this.counters.get(entry.transport);
    if (!c) {
      c = { requests: 0, errors: 0, byCode: new Map(), downgrades: new Map(), latency: new LatencyHistogram() };
      this.counters.set(entry.transport, c);
    }
    c.requests++;
    c.latency.record(entry.latencyUs);
    if (entry.attestApplied !== null && entry.attestRequested !== null && entry.attestApplied !== entry.attestRequested && entry.attestReason) {
      c.downgrades.set(entry.attestReason, (c.downgrades.get(entry.attestReason) ?? 0) + 1);
    }
    if (entry.outcome === 'error') {
      c.errors++;
      const code = entry.errorCode ?? 'ERR_INTERNAL';
      c.byCode.set(code, (c.byCode.get(code) ?? 0) + 1);
    }
  }

  snapshot(): MetricsSnapshot {
    const transports = [...this.counters].map(([transport, c]) => ({
      transport,
      requests: c.requests,
      errors: c.errors,
      errorsByCode: Object.fromEntries(c.byCode),
      downgradesByReason: Object.fromEntries(c.downgrades),
      latencyUs: c.latency.summary(),
    }));
    return { sinceMs: this.sinceMs, pid: process.pid, transports };
  }
}

/** One record to several sinks (the request log and the metrics), in order; settles when every sink that waits has. */
export function fanOutSink(...sinks: RequestLogSink[]): RequestLogSink {
  return {
    record(entry) {
      let written: Promise<void> | undefined;
      for (const s of sinks) {
        const w = s.record(entry);
        if (w) written = written ? Promise.all([written, w]).then(() => undefined) : w;
      }
      return written;
    },
  };
}
