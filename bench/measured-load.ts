import type { LoadResult, LoadSpec } from './load-generator.js';
import { coresBetween, machineBusySeconds, type TreeSampler } from './process-tree.js';
import type { BenchContext } from './scenario.js';

export const WARMUP_SEC = 2;
export const MEASURE_SEC = 8;

export interface MeasuredLoad extends LoadResult {
  /** CPU cores the server's process tree used during the run. */
  serverCores: number;
  /**
   * CPU cores busy in processes other than the server and the load generator (this is a shared machine:
   * tests, builds). Anything well above zero means the run competed for the cores and its figures are low.
   */
  otherCores: number;
}

/** What a window of time cost: the server's CPU seconds and cores, and the cores the whole machine used. */
export interface CpuWindow {
  serverSeconds: number;
  serverCores: number;
  machineCores: number;
}

/** Starts a window on `server` and the machine; the function it returns closes it. */
export function cpuWindow(server: TreeSampler, rescan = false): () => CpuWindow {
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  const before = server.take(rescan);
  return () => {
    const after = server.take(rescan);
    const wallS = (performance.now() - t0) / 1000;
    const serverSeconds = before && after ? after.cpuSeconds - before.cpuSeconds : 0;
    return { serverSeconds, serverCores: before && after ? coresBetween(before, after) : 0, machineCores: (machineBusySeconds() - busy0) / wallS };
  };
}

/** One load-generator run with the server's CPU time read just before and just after it. */
export async function measuredLoad(ctx: BenchContext, spec: LoadSpec, server: TreeSampler): Promise<MeasuredLoad> {
  const end = cpuWindow(server);
  const result = await ctx.loadGenerator.run(spec, ctx.cleanup);
  const { serverCores, machineCores } = end();
  // The bench process itself (sampling, and autocannon when it is the generator) counts as load generator.
  return { ...result, serverCores, otherCores: Math.max(0, machineCores - serverCores - result.cores) };
}

/** Warm-up (discarded: JIT, caches, keep-alive sockets, the cluster's second worker coming up), then the measured closed-loop run. */
export async function maxThroughput(ctx: BenchContext, spec: Omit<LoadSpec, 'durationSec' | 'connections'>, server: TreeSampler, label: string): Promise<MeasuredLoad> {
  ctx.progress(`${label}: warm-up ${WARMUP_SEC} s, ${ctx.connections} connections`);
  await ctx.loadGenerator.run({ ...spec, connections: ctx.connections, durationSec: WARMUP_SEC }, ctx.cleanup);
  ctx.progress(`${label}: max throughput, ${MEASURE_SEC} s`);
  return measuredLoad(ctx, { ...spec, connections: ctx.connections, durationSec: MEASURE_SEC }, server);
}

/**
 * The paced pass at half of `maxRps` (open loop): the latency a deployment sized at 2x headroom sees. The same pass
 * runs on the service and on its baselines (the Node floor, secsipidx), so a half-load p99 has a peer in the run.
 */
export async function halfLoad(ctx: BenchContext, spec: Omit<LoadSpec, 'durationSec' | 'connections' | 'rate'>, server: TreeSampler, label: string, maxRps: number): Promise<MeasuredLoad & { target: number }> {
  const target = Math.max(1, Math.floor(maxRps / 2));
  ctx.progress(`${label}: half load, ${Math.round(target).toLocaleString('en-US')} req/s, ${MEASURE_SEC} s`);
  return { ...(await measuredLoad(ctx, { ...spec, connections: ctx.connections, durationSec: MEASURE_SEC, rate: target }, server)), target };
}

/** CPU time per request in µs. It moves less than req/s on a busy machine, though contention inflates it too. */
export function cpuUsPerRequest(cores: number, rps: number): number {
  return rps > 0 ? (cores / rps) * 1e6 : 0;
}
