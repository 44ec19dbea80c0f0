import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { startFloorProcess } from './floor-process.js';
import { freePort } from './free-port.js';
import { createSignerClient, type SignerClient, type SignRequest } from '../clients/node/src/index.js';
import { assertJournaled } from './floor-request-log.js';
import { checkIdentity } from './identity-check.js';
import { watchOwnPauses, watchServerPauses, type Pauses } from './pause-probe.js';
import { MEASURE_SEC, WARMUP_SEC } from './measured-load.js';
import { coresBetween, machineBusySeconds, type TreeSampler } from './process-tree.js';
import { fmtInt, fmtMs, percentile, round } from './report.js';
import type { BenchContext, Figure, Scenario, ScenarioReport } from './scenario.js';
import { startShakenstack } from './shakenstack-server.js';

const REQUEST: SignRequest = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' };
/**
 * Requests a sidecar keeps in flight on its one stream, besides the HTTP connection count: a stream's cost per
 * request falls as batches grow, which is the point of it.
 */
const STREAM_DEEP = 256;
const FLOOR_X5U = 'https://cert.example.net/sti/floor.pem';
const FLOOR_API_KEY = 'floor-bench-key';
const FLOOR_READY_MS = 5_000;

interface Run {
  requests: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverCores: number;
  /** This process: the @shakenstack/client load generator. */
  clientCores: number;
  otherCores: number;
}

/** Runs `load` and reads server (`sampler`'s process), client and machine CPU around it. */
async function measured(sampler: TreeSampler, load: (latencies: number[]) => Promise<{ requests: number; errors: number; seconds: number }>): Promise<Run> {
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  const s0 = sampler.take();
  const c0 = process.cpuUsage();
  const sampling0 = sampler.tickCpuSeconds;
  const latencies: number[] = [];
  const { requests, errors, seconds } = await load(latencies);
  const c = process.cpuUsage(c0);
  const sampling = sampler.tickCpuSeconds - sampling0;
  const s1 = sampler.take();
  const wall = (performance.now() - t0) / 1000;
  const serverCores = s0 && s1 ? coresBetween(s0, s1) : 0;
  // This process is the client and also samples the server's /proc; the sampling is not the client's cost.
  const clientCores = Math.max(0, (c.user + c.system) / 1e6 - sampling) / wall;
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests,
    errors,
    rps: requests / seconds,
    p50Ms: percentile(sorted, 0.5, 0),
    p99Ms: percentile(sorted, 0.99, 0),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : 0,
    serverCores,
    clientCores,
    otherCores: Math.max(0, (machineBusySeconds() - busy0) / wall - serverCores - clientCores - sampling / wall),
  };
}

/** Closed loop: `concurrency` calls in flight, each replaced as soon as it settles. */
function closedLoop(client: SignerClient, concurrency: number, sec: number) {
  return async (latencies: number[]) => {
    let requests = 0;
    let errors = 0;
    const start = performance.now();
    const end = start + sec * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          try {
            await client.sign(REQUEST);
            requests++;
            latencies.push(performance.now() - t);
          } catch {
            errors++;
          }
        }
      }),
    );
    return { requests, errors, seconds: (performance.now() - start) / 1000 };
  };
}

/**
 * Open loop at `rate`: calls leave on schedule whatever the answers do, so a server stall cannot slow the
 * sending down and hide itself (no coordinated omission). Latency counts from the moment a call leaves: the
 * 1 ms pacing tick would otherwise add up to a millisecond of the client's own making to every call.
 */
function paced(client: SignerClient, rate: number, sec: number) {
  return async (latencies: number[]) => {
    let requests = 0;
    let errors = 0;
    const total = Math.floor(rate * sec);
    const start = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; ) {
      const now = performance.now();
      for (; i < total && start + (i * 1000) / rate <= now; i++) {
        const sent = performance.now();
        pending.push(
          client.sign(REQUEST).then(
            () => {
              requests++;
              latencies.push(performance.now() - sent);
            },
            () => void errors++,
          ),
        );
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(pending);
    return { requests, errors, seconds: (performance.now() - start) / 1000 };
  };
}

interface ModeResult {
  mode: 'stream' | 'unary';
  byConcurrency: [number, Run][];
  halfTarget: number;
  half: Run;
  /** Stalls and GC pauses during the half-load pass: what the p99 is made of. */
  halfServerPauses: Pauses;
  halfClientPauses: Pauses;
}

async function runMode(ctx: BenchContext, mode: 'stream' | 'unary'): Promise<ModeResult> {
  const label = `grpc-sign ${mode}`;
  const port = await freePort();
  ctx.progress(`${label}: starting shakenstack (gRPC on ${port})`);
  // SHAKENSTACK_BENCH_CPU_PROF=<dir>: the server writes V8 CPU profiles into <dir>/grpc-<mode>-server/ when it
  // stops, for `node dist/bench/cpu-budget.js` (docs/performance.md, "gRPC: per-request budget"). One file per
  // thread (CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile); the event loop's is thread 0.
  const profDir = process.env.SHAKENSTACK_BENCH_CPU_PROF;
  const nodeArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profDir, `grpc-${mode}-server`)}`] : [];
  const server = await startShakenstack(1, ctx.cleanup, { SHAKENSTACK_GRPC_PORT: String(port) }, nodeArgs);
  const client = createSignerClient({ address: `127.0.0.1:${port}`, apiKey: server.apiKey, mode, deadlineMs: 30_000 });
  try {
    const first = await client.sign(REQUEST);
    const pem = await (await fetch(first.x5u, { signal: AbortSignal.timeout(5_000) })).text();
    checkIdentity(first.identity, new X509Certificate(pem).publicKey);
    if ((await client.metrics()).pid !== server.pid) throw new Error(`127.0.0.1:${port} is not the server this bench started`);

    const levels = mode === 'stream' ? [ctx.connections, STREAM_DEEP] : [ctx.connections];
    const byConcurrency: [number, Run][] = [];
    for (const c of levels) {
      ctx.progress(`${label}: warm-up ${WARMUP_SEC} s, then ${MEASURE_SEC} s closed loop, ${c} in flight`);
      await closedLoop(client, c, WARMUP_SEC)([]);
      byConcurrency.push([c, await measured(server.sampler, closedLoop(client, c, MEASURE_SEC))]);
    }
    // Half of the maximum at the HTTP scenario's concurrency: the latency a deployment sized at 2x headroom
    // sees. Not half of the deep stream's maximum: paced calls arrive a few per millisecond, so their batches
    // are small and each costs more than in a 256-deep closed loop (measured: about 2x the server CPU per call).
    const halfTarget = Math.max(1, Math.floor(byConcurrency[0]![1].rps / 2));
    ctx.progress(`${label}: half load, ${fmtInt(halfTarget)} req/s, ${MEASURE_SEC} s`);
    const serverPauses = await watchServerPauses(server.url);
    const clientPauses = watchOwnPauses();
    const half = await measured(server.sampler, paced(client, halfTarget, MEASURE_SEC));
    const halfClientPauses = clientPauses.stop();
    const halfServerPauses = await serverPauses.stop();
    return { mode, byConcurrency, halfTarget, half, halfServerPauses, halfClientPauses };
  } finally {
    await client.close();
    await server.stop();
  }
}

/**
 * The floor (grpc-floor-server.ts: bare grpc-js + node:crypto, one process) with a fresh key, checked once. `kept`:
 * it also keeps the service's request log, its store and journal in the floor's own folder, and the check finds the
 * answer's record in the journal.
 */
export async function startGrpcFloor(ctx: BenchContext, mode: 'stream' | 'unary', kept = false): Promise<{ client: SignerClient; sampler: TreeSampler; stop(): Promise<void> }> {
  let client: SignerClient | undefined;
  const args = (files: { privateKeyPath: string; dir: string }, port: number) => [String(port), files.privateKeyPath, FLOOR_X5U, FLOOR_API_KEY, ...(kept ? ['kept', files.dir] : [])];
  const floor = await startFloorProcess(ctx, { script: 'grpc-floor-server.js', port: freePort, args }, async (f) => {
    client = createSignerClient({ address: `127.0.0.1:${f.port}`, apiKey: FLOOR_API_KEY, mode, deadlineMs: 30_000 });
    // waitForReady: the first call waits for the listener, up to its own deadline.
    const first = await client.sign(REQUEST, { deadlineMs: FLOOR_READY_MS });
    checkIdentity(first.identity, f.publicKey);
    if (kept) assertJournaled(f.dir, first.origid, 'the kept gRPC floor');
  }).catch(async (e: unknown) => {
    await client?.close();
    throw e;
  });
  return {
    client: client!,
    sampler: floor.sampler,
    stop: async () => {
      await client?.close();
      floor.stop();
    },
  };
}

/**
 * The stream floor, loaded like the service's stream mode: same client, same closed-loop levels, same measuring.
 * `kept`: the floor that keeps the service's request log.
 */
async function runFloor(ctx: BenchContext, kept = false): Promise<[number, Run][]> {
  const label = `grpc-sign stream ${kept ? 'kept ' : ''}floor`;
  ctx.progress(`${label}: starting grpc-floor-server`);
  const floor = await startGrpcFloor(ctx, 'stream', kept);
  try {
    const byConcurrency: [number, Run][] = [];
    for (const c of [ctx.connections, STREAM_DEEP]) {
      ctx.progress(`${label}: warm-up ${WARMUP_SEC} s, then ${MEASURE_SEC} s closed loop, ${c} in flight`);
      await closedLoop(floor.client, c, WARMUP_SEC)([]);
      byConcurrency.push([c, await measured(floor.sampler, closedLoop(floor.client, c, MEASURE_SEC))]);
    }
    return byConcurrency;
  } finally {
    await floor.stop();
  }
}

/**
 * The unary floor by the same client: a closed loop at the service's unary level (its server CPU per call is what
 * grpc-js itself costs here), then paced at the service's unary half-load rate (the p99 grpc-js on both sides gives
 * at that rate here, which the unary half-load target, < 2 ms, is read against). Then the kept floor in a closed
 * loop at the same level: its server CPU per call is the least a unary call costs with the record the service
 * journals before each answer.
 */
async function runUnaryFloor(ctx: BenchContext, concurrency: number, rate: number): Promise<{ closed: Run; half: Run; kept: Run }> {
  const label = 'grpc-sign unary floor';
  ctx.progress(`${label}: warm-up ${WARMUP_SEC} s, ${MEASURE_SEC} s closed loop at ${concurrency} in flight, then ${fmtInt(rate)} req/s paced, ${MEASURE_SEC} s; then the kept floor's closed loop`);
  const closedRun = async (floor: Awaited<ReturnType<typeof startGrpcFloor>>) => {
    await closedLoop(floor.client, concurrency, WARMUP_SEC)([]);
    return measured(floor.sampler, closedLoop(floor.client, concurrency, MEASURE_SEC));
  };
  const floor = await startGrpcFloor(ctx, 'unary');
  let closed: Run;
  let half: Run;
  try {
    closed = await closedRun(floor);
    half = await measured(floor.sampler, paced(floor.client, rate, MEASURE_SEC));
  } finally {
    await floor.stop();
  }
  const keptFloor = await startGrpcFloor(ctx, 'unary', true);
  try {
    return { closed, half, kept: await closedRun(keptFloor) };
  } finally {
    await keptFloor.stop();
  }
}

const usPerReq = (cores: number, rps: number) => (rps > 0 ? (cores / rps) * 1e6 : 0);

export const grpcSign: Scenario = {
  name: 'grpc-sign',
  title: 'shakenstack.v1.Signer over loopback with @shakenstack/client: SignStream (batched) and unary Sign, workers 1, and bare grpc-js floors (SignStream with and without the request log, and unary)',
  async run(ctx): Promise<ScenarioReport> {
    const figures: Record<string, Figure> = {};
    const maxRows: string[][] = [];
    const halfRows: string[][] = [];
    const pauseRows: string[][] = [];
    // The floors first: the service's stream figures are read against them (stream.over_floor, stream.over_kept_floor).
    const floorRates: Record<string, number> = {};
    for (const kept of [false, true]) {
      const name = kept ? 'floor_kept' : 'floor';
      const floor = await runFloor(ctx, kept);
      for (const [c, run] of floor) {
        const k = `${name}.stream.c${c}`;
        Object.assign(figures, {
          [`${k}.rps`]: Math.round(run.rps),
          [`${k}.server_cpu_us_per_req`]: Math.round(usPerReq(run.serverCores, run.rps)),
          [`${k}.client_cpu_us_per_req`]: Math.round(usPerReq(run.clientCores, run.rps)),
          [`${k}.other_cores`]: round(run.otherCores, 2),
        });
        maxRows.push([`stream ${kept ? 'kept ' : ''}floor`, String(c), fmtInt(run.rps), fmtMs(run.p50Ms), fmtMs(run.p99Ms), fmtMs(run.maxMs), String(run.errors), run.serverCores.toFixed(2), fmtInt(usPerReq(run.serverCores, run.rps)), fmtInt(usPerReq(run.clientCores, run.rps)), run.otherCores.toFixed(2)]);
      }
      floorRates[name] = Math.max(...floor.map(([, run]) => run.rps));
      figures[`${name}.stream.rps`] = Math.round(floorRates[name]);
    }
    const floorRps = floorRates.floor!;
    const keptFloorRps = floorRates.floor_kept!;
    for (const mode of ['stream', 'unary'] as const) {
      const r = await runMode(ctx, mode);
      for (const [c, run] of r.byConcurrency) {
        const k = `${mode}.c${c}`;
        Object.assign(figures, {
          [`${k}.rps`]: Math.round(run.rps),
          [`${k}.p50_ms`]: round(run.p50Ms, 3),
          [`${k}.p99_ms`]: round(run.p99Ms, 3),
          [`${k}.errors`]: run.errors,
          [`${k}.server_cpu_us_per_req`]: Math.round(usPerReq(run.serverCores, run.rps)),
          [`${k}.client_cpu_us_per_req`]: Math.round(usPerReq(run.clientCores, run.rps)),
          [`${k}.other_cores`]: round(run.otherCores, 2),
        });
        maxRows.push([mode, String(c), fmtInt(run.rps), fmtMs(run.p50Ms), fmtMs(run.p99Ms), fmtMs(run.maxMs), String(run.errors), run.serverCores.toFixed(2), fmtInt(usPerReq(run.serverCores, run.rps)), fmtInt(usPerReq(run.clientCores, run.rps)), run.otherCores.toFixed(2)]);
      }
      figures[`${mode}.rps`] = Math.round(Math.max(...r.byConcurrency.map(([, run]) => run.rps)));
      Object.assign(figures, {
        [`${mode}.half_target_rps`]: r.halfTarget,
        [`${mode}.half_rps`]: Math.round(r.half.rps),
        [`${mode}.half_p50_ms`]: round(r.half.p50Ms, 3),
        [`${mode}.half_p99_ms`]: round(r.half.p99Ms, 3),
        [`${mode}.half_errors`]: r.half.errors,
        [`${mode}.half_other_cores`]: round(r.half.otherCores, 2),
        [`${mode}.half_server_lag_p99_ms`]: round(r.halfServerPauses.lagP99Ms, 2),
        [`${mode}.half_server_lag_max_ms`]: round(r.halfServerPauses.lagMaxMs, 2),
        [`${mode}.half_server_gc_over_1ms`]: r.halfServerPauses.gcOver1Ms,
        [`${mode}.half_server_gc_max_ms_bound`]: r.halfServerPauses.gcMaxMs,
        [`${mode}.half_client_lag_p99_ms`]: round(r.halfClientPauses.lagP99Ms, 2),
        [`${mode}.half_client_lag_max_ms`]: round(r.halfClientPauses.lagMaxMs, 2),
        [`${mode}.half_client_gc_over_1ms`]: r.halfClientPauses.gcOver1Ms,
        [`${mode}.half_client_gc_max_ms`]: round(r.halfClientPauses.gcMaxMs, 2),
      });
      halfRows.push([mode, fmtInt(r.halfTarget), fmtInt(r.half.rps), fmtMs(r.half.p50Ms), fmtMs(r.half.p99Ms), fmtMs(r.half.maxMs), String(r.half.errors), r.half.serverCores.toFixed(2), r.half.clientCores.toFixed(2), r.half.otherCores.toFixed(2)]);
      const s = r.halfServerPauses;
      const c = r.halfClientPauses;
      pauseRows.push([mode, fmtMs(r.half.p99Ms), fmtMs(s.lagP99Ms), fmtMs(s.lagMaxMs), `${s.gcOver1Ms} (≤ ${s.gcMaxMs} ms)`, fmtMs(c.lagP99Ms), fmtMs(c.lagMaxMs), `${c.gcOver1Ms} (max ${fmtMs(c.gcMaxMs)})`]);
      if (mode === 'unary') {
        const [c, service] = r.byConcurrency[0]!;
        const { closed, half: f, kept } = await runUnaryFloor(ctx, c, r.halfTarget);
        Object.assign(figures, {
          [`floor.unary.c${c}.rps`]: Math.round(closed.rps),
          [`floor.unary.c${c}.server_cpu_us_per_req`]: Math.round(usPerReq(closed.serverCores, closed.rps)),
          [`floor.unary.c${c}.client_cpu_us_per_req`]: Math.round(usPerReq(closed.clientCores, closed.rps)),
          [`floor_kept.unary.c${c}.rps`]: Math.round(kept.rps),
          [`floor_kept.unary.c${c}.server_cpu_us_per_req`]: Math.round(usPerReq(kept.serverCores, kept.rps)),
          [`floor_kept.unary.c${c}.client_cpu_us_per_req`]: Math.round(usPerReq(kept.clientCores, kept.rps)),
          'unary.server_cpu_over_floor': round(usPerReq(service.serverCores, service.rps) / usPerReq(closed.serverCores, closed.rps), 2),
          'unary.server_cpu_over_kept_floor': round(usPerReq(service.serverCores, service.rps) / usPerReq(kept.serverCores, kept.rps), 2),
          'unary.half_floor_p99_ms': round(f.p99Ms, 3),
          'unary.half_p99_over_floor': f.p99Ms > 0 ? round(r.half.p99Ms / f.p99Ms, 2) : null,
        });
        for (const [name, run] of [['unary floor', closed], ['unary kept floor', kept]] as const) {
          maxRows.push([name, String(c), fmtInt(run.rps), fmtMs(run.p50Ms), fmtMs(run.p99Ms), fmtMs(run.maxMs), String(run.errors), run.serverCores.toFixed(2), fmtInt(usPerReq(run.serverCores, run.rps)), fmtInt(usPerReq(run.clientCores, run.rps)), run.otherCores.toFixed(2)]);
        }
        halfRows.push(['unary floor', fmtInt(r.halfTarget), fmtInt(f.rps), fmtMs(f.p50Ms), fmtMs(f.p99Ms), fmtMs(f.maxMs), String(f.errors), f.serverCores.toFixed(2), f.clientCores.toFixed(2), f.otherCores.toFixed(2)]);
      }
    }
    figures['stream.over_floor'] = floorRps > 0 ? round((figures['stream.rps'] as number) / floorRps, 2) : null;
    figures['stream.over_kept_floor'] = keptFloorRps > 0 ? round((figures['stream.rps'] as number) / keptFloorRps, 2) : null;
    return {
      figures,
      tables: [
        {
          title: `Maximum throughput (closed loop, ${MEASURE_SEC} s, one channel, latency measured in the client)`,
          columns: ['mode', 'in flight', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'server CPU', 'server µs/req', 'client µs/req', 'other CPU'],
          rows: maxRows,
        },
        {
          title: `Half of the maximum rate (open loop, paced, ${MEASURE_SEC} s)`,
          columns: ['mode', 'target req/s', 'got req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'server CPU', 'client CPU', 'other CPU'],
          rows: halfRows,
        },
        {
          title: 'What the half-load p99 is made of: event-loop delay and GC pauses over 1 ms in each process (ms)',
          columns: ['mode', 'p99', 'server loop p99', 'server loop max', 'server GC > 1 ms', 'client loop p99', 'client loop max', 'client GC > 1 ms'],
          rows: pauseRows,
        },
      ],
      notes: [
        'Each mode signed once and its PASSporT was verified against the certificate at its x5u before loading it.',
        'The client is this process (@shakenstack/client), so "client µs/req" is the load generator\'s cost (less the CPU this process spends sampling the server\'s /proc): compare it with wrk\'s in http-sign.',
        'stream floor: grpc-floor-server.ts, a bare grpc-js server (the service\'s proto and loader options) that checks the API key once per stream and signs each item synchronously with node:crypto, one answer message per request message; no store, policy, log or metrics. Loaded by the same client at the same levels; one of its answers was verified as an ES256 PASSporT signed by its key first. stream.over_floor = stream.rps / floor.stream.rps.',
        "stream kept floor: the same floor writing each item's record through the service's request log, a message's answer leaving once its records are journaled (bench/floor-request-log.ts); stream.over_kept_floor = stream.rps / floor_kept.stream.rps.",
        "unary floor: the same bare server's unary Sign after the service's passes, by the same client, closed loop at the service's unary level (floor.unary.*) and paced at the service's unary half-load rate (unary.half_floor_p99_ms): what grpc-js on both sides costs and gives here. unary kept floor: the same with the request log kept, closed loop only (floor_kept.unary.*).",
        'Targets: stream req/s at least 1.2x http-sign workers=1 req/s; unary p99 under 2 ms at half load.',
        "Server loop delay is prom-client's (10 ms timer resolution, reset by the scrape before the pass); its GC pauses are known only to their histogram bucket. A p99 above both processes' loop delay is time spent waiting for one of the two cores.",
      ],
    };
  },
};
