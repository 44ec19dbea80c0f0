import { cpuUsPerRequest, MEASURE_SEC, type MeasuredLoad } from './measured-load.js';
import { fmtInt, fmtMs, round } from './report.js';
import type { BenchContext, ScenarioReport } from './scenario.js';

/**
 * The report of a scenario that loads one server once at its maximum (a reference or a baseline: secsipidx,
 * the Node floor): the same figures and one-row table for each, so their columns line up and their ratios read
 * the same keys.
 */
export function oneServerReport(ctx: BenchContext, r: MeasuredLoad, peakRssKb: number, what: { title: string; server: string; note: string }, half?: MeasuredLoad & { target: number }): ScenarioReport {
  const peakRssMb = peakRssKb / 1024;
  const cpuUs = cpuUsPerRequest(r.serverCores, r.rps);
  return {
    figures: {
      loadgen: ctx.loadGenerator.name,
      connections: ctx.connections,
      rps: Math.round(r.rps),
      p50_ms: round(r.p50Ms, 3),
      p99_ms: round(r.p99Ms, 3),
      max_ms: round(r.maxMs, 3),
      non2xx: r.non2xx,
      socket_errors: r.socketErrors,
      server_cores: round(r.serverCores, 2),
      server_cpu_us_per_req: Math.round(cpuUs),
      loadgen_cores: round(r.cores, 2),
      other_cores: round(r.otherCores, 2),
      peak_rss_mb: round(peakRssMb, 1),
      ...(half && {
        half_target_rps: half.target,
        half_rps: Math.round(half.rps),
        half_p50_ms: round(half.p50Ms, 3),
        half_p99_ms: round(half.p99Ms, 3),
        half_max_ms: round(half.maxMs, 3),
        half_server_cores: round(half.serverCores, 2),
        half_other_cores: round(half.otherCores, 2),
      }),
    },
    tables: [
      {
        title: `${what.title} maximum throughput (closed loop; ${ctx.loadGenerator.name}, ${ctx.connections} connections, ${MEASURE_SEC} s)`,
        columns: ['server', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'sock err', 'server CPU', 'CPU µs/req', 'loadgen CPU', 'other CPU', 'peak RSS MB'],
        rows: [[what.server, fmtInt(r.rps), fmtMs(r.p50Ms), fmtMs(r.p99Ms), fmtMs(r.maxMs), String(r.non2xx), String(r.socketErrors), r.serverCores.toFixed(2), fmtInt(cpuUs), r.cores.toFixed(2), r.otherCores.toFixed(2), peakRssMb.toFixed(0)]],
      },
      ...(half
        ? [
            {
              title: `${what.title} at half of its maximum rate (open loop, paced; the same pass as the service's)`,
              columns: ['server', 'target req/s', 'got req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'sock err', 'server CPU', 'other CPU'],
              rows: [[what.server, fmtInt(half.target), fmtInt(half.rps), fmtMs(half.p50Ms), fmtMs(half.p99Ms), fmtMs(half.maxMs), String(half.non2xx), String(half.socketErrors), half.serverCores.toFixed(2), half.otherCores.toFixed(2)]],
            },
          ]
        : []),
    ],
    notes: [what.note],
  };
}
