import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/**
 * What can hold a call up for milliseconds in either process of a latency run: event-loop stalls and GC pauses.
 * A p99 well above the service time is explained by one of these in the server or in the load generator, or,
 * when both stay small, by the two shared cores' run queue (threads waiting for a core, not for our code).
 */
export interface Pauses {
  /** Event-loop delay, milliseconds: how late a timer fired, which is how long the loop was busy or descheduled. */
  lagP99Ms: number;
  lagMaxMs: number;
  /** GC pauses longer than 1 ms, and the longest one (the server's is only known to its histogram bucket). */
  gcOver1Ms: number;
  gcMaxMs: number;
}

/** This process (the load generator): starts watching now, `stop()` reads what was seen. */
export function watchOwnPauses(): { stop(): Pauses } {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let gcOver1Ms = 0;
  let gcMaxMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration > 1) gcOver1Ms++;
      gcMaxMs = Math.max(gcMaxMs, e.duration);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      delay.disable();
      gc.disconnect();
      return { lagP99Ms: delay.percentile(99) / 1e6, lagMaxMs: delay.max / 1e6, gcOver1Ms, gcMaxMs };
    },
  };
}

/** `name{labels} value` lines of a Prometheus text exposition, summed over the given label filter. */
function sample(text: string, name: string, labelIncludes = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const space = line.lastIndexOf(' ');
    if (labelIncludes && !line.slice(name.length, space).includes(labelIncludes)) continue;
    sum += Number(line.slice(space + 1));
  }
  return sum;
}

/**
 * The server's side, from its own `GET /metrics` (prom-client's default process metrics, docs/metrics.md):
 * `start()` scrapes once, which also resets prom-client's event-loop delay histogram, and `stop()` scrapes again,
 * so the lag covers the run between them and the GC counts are the difference. The GC buckets' bounds (1, 10, 100 ms)
 * are all that is known of the longest pause, so `gcMaxMs` is the upper bound of the highest bucket reached.
 */
export async function watchServerPauses(baseUrl: string): Promise<{ stop(): Promise<Pauses> }> {
  const scrape = async () => (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const gcCounts = (text: string) => ({
    total: sample(text, 'nodejs_gc_duration_seconds_count'),
    within1: sample(text, 'nodejs_gc_duration_seconds_bucket', 'le="0.001"'),
    within10: sample(text, 'nodejs_gc_duration_seconds_bucket', 'le="0.01"'),
    within100: sample(text, 'nodejs_gc_duration_seconds_bucket', 'le="0.1"'),
  });
  const before = gcCounts(await scrape());
  return {
    async stop() {
      const text = await scrape();
      const after = gcCounts(text);
      const d = (k: keyof typeof after) => after[k] - before[k];
      const gcMaxMs = d('total') > d('within100') ? 1000 : d('total') > d('within10') ? 100 : d('total') > d('within1') ? 10 : d('total') > 0 ? 1 : 0;
      return {
        lagP99Ms: sample(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
        lagMaxMs: sample(text, 'nodejs_eventloop_lag_max_seconds') * 1000,
        gcOver1Ms: d('total') - d('within1'),
        gcMaxMs,
      };
    },
  };
}
