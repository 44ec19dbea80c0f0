import autocannon from 'autocannon';
import type { LoadGenerator, LoadResult, LoadSpec } from './load-generator.js';

/** autocannon in this process: no extra binary, but it costs the server about a core (see load-generator.ts). */
export const autocannonLoad: LoadGenerator = {
  name: 'autocannon',
  resolution: '1 ms',
  async run(spec: LoadSpec): Promise<LoadResult> {
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    let watchdog: NodeJS.Timeout | undefined;
    // autocannon stops itself after `duration`; the watchdog only bounds a wedged run.
    const timeout = new Promise<never>((_, reject) => {
      watchdog = setTimeout(() => reject(new Error('autocannon did not finish')), (spec.durationSec + 15) * 1000);
    });
    const r = await Promise.race([
      autocannon({
        url: spec.url,
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        connections: spec.connections,
        duration: spec.durationSec,
        ...(spec.rate !== undefined ? { overallRate: Math.round(spec.rate) } : {}),
      }),
      timeout,
    ]).finally(() => clearTimeout(watchdog));
    const cpu = process.cpuUsage(cpuBefore);
    const wallUs = (performance.now() - t0) * 1000;
    return {
      requests: r.requests.total,
      durationSec: r.duration,
      rps: r.requests.total / r.duration,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      maxMs: r.latency.max,
      non2xx: r.non2xx,
      // autocannon counts each timeout in errors too.
      socketErrors: r.errors,
      cores: (cpu.user + cpu.system) / wallUs,
    };
  },
};
