import { startFloorProcess } from './floor-process.js';
import { assertJournaled } from './floor-request-log.js';
import { freePort } from './free-port.js';
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from './executable.js';
import { cpuUsPerRequest, MEASURE_SEC, maxThroughput, measuredLoad, type MeasuredLoad } from './measured-load.js';
import { machineBusySeconds, TreeSampler } from './process-tree.js';
import { checksTable, fmtInt, fmtMs, round, type Check } from './report.js';
import type { BenchContext, Figure, Scenario, ScenarioReport } from './scenario.js';
import { startShakenstack } from './shakenstack-server.js';

const WORKER_VARIANTS = [1, 2];
const VERIFY_PATH = '/api/stir-shaken/verify';
const READY_TIMEOUT_MS = 8_000;
/**
 * Targets: the core on two threads against one core of raw ES256 verify (the verification issue), and HTTP verify
 * with either worker count against secsipidx `/v1/check` (issue 17: at least 1.0 x).
 */
const TARGET_OVER_RAW = 0.8;
const TARGET_OVER_SECSIPIDX = 1.0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A PASSporT built and signed here, ~the size of the service's (the baseline verifies what the server verifies). */
function passport(key: KeyObject, x5u: string): { input: Buffer; signature: Buffer; identity: string } {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u })}.${b64({ attest: 'A', dest: { tn: ['18001234567'] }, iat: Math.floor(Date.now() / 1000), orig: { tn: '14045266060' }, origid: randomUUID() })}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return { input: Buffer.from(input), signature, identity: `${input}.${signature.toString('base64url')};info=<${x5u}>;alg=ES256;ppt=shaken` };
}

/** Raw node:crypto ES256 verify on this thread, synchronous: one core, the baseline of this scenario. */
function rawVerifyRate(ms: number): { perSec: number; cpuUs: number } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p = passport(privateKey, 'https://cert.example.net/sti/cert.pem');
  const run = (limit: number) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < limit) {
      for (let i = 0; i < 32; i++) verify('sha256', p.input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, p.signature);
      n += 32;
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { perSec: n / wallS, cpuUs: (cpu.user + cpu.system) / n };
  };
  run(300);
  return run(ms);
}

/**
 * The verification core with a warm cache in `threads` worker threads at once (the way cluster workers or gRPC
 * and SIP adapters would each run it), in verifications per second summed over the threads.
 */
async function coreVerifyRate(threads: number, ms: number): Promise<number> {
  const { createLabPki } = await import('../server/pki/lab-pki.js');
  const pki = await createLabPki();
  const data = { chainPem: pki.chainPem, rootPem: pki.root.certPem, leafKeyPem: pki.leaf.keyPem, ms };
  const rates = await Promise.all(
    Array.from({ length: threads }, () => {
      const w = new Worker(new URL('./verify-core-worker.js', import.meta.url), { workerData: data });
      return new Promise<number>((resolve, reject) => {
        w.once('message', (rate: number) => resolve(rate));
        w.once('error', reject);
        w.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`core verify worker exited with ${code}`))));
      }).finally(() => void w.terminate());
    }),
  );
  return rates.reduce((a, b) => a + b, 0);
}

async function postJson(url: string, body: unknown, apiKey?: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, json: await res.json() };
}

interface VariantResult {
  max: MeasuredLoad;
  half: MeasuredLoad;
  halfTarget: number;
}

async function runVariant(ctx: BenchContext, workers: number): Promise<VariantResult> {
  const label = `http-verify workers=${workers}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-verify-'));
  ctx.cleanup.trackDir(dataDir);
  const anchors = join(dataDir, 'anchors');
  mkdirSync(anchors);
  ctx.progress(`${label}: starting shakenstack`);
  const server = await startShakenstack(workers, ctx.cleanup, {
    SHAKENSTACK_DATA_DIR: dataDir,
    SHAKENSTACK_VERIFY_TRUST_ANCHORS: anchors,
    // The demo account publishes its x5u over http on loopback; a production verifier would refuse that.
    SHAKENSTACK_VERIFY_ALLOW_HTTP_X5U: 'true',
    SHAKENSTACK_VERIFY_ALLOW_PRIVATE_ADDRESSES: 'true',
    // The demo CRL URL has no server; a cached CRL costs a set lookup per call, close to not checking.
    SHAKENSTACK_VERIFY_CRL_POLICY: 'off',
  });
  try {
    copyFileSync(join(dataDir, 'demo-pki', 'root.pem'), join(anchors, 'demo-root.pem'));
    const signed = await postJson(`${server.url}/api/stir-shaken/sign`, { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' }, server.apiKey);
    if (signed.status !== 200) throw new Error(`sign answered ${signed.status}: ${JSON.stringify(signed.json)}`);
    const body = { identity: signed.json.identity as string, from: '14045266060', to: '18001234567' };
    // Until every worker has reloaded the anchors and cached the chain, answers may still be 437; wait (bounded).
    const deadline = performance.now() + READY_TIMEOUT_MS;
    let last: unknown;
    for (let ok = 0; ok < 2 * workers && performance.now() < deadline; ) {
      const r = await postJson(server.url + VERIFY_PATH, body, server.apiKey);
      last = r.json;
      if (r.status === 200 && r.json.ok === true) ok++;
      else await sleep(200);
    }
    if ((last as { ok?: boolean })?.ok !== true) throw new Error(`verification does not pass: ${JSON.stringify(last)}`);
    const spec = { url: server.url + VERIFY_PATH, method: 'POST' as const, headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const max = await maxThroughput(ctx, spec, server.sampler, label);
    const halfTarget = Math.max(1, Math.floor(max.rps / 2));
    ctx.progress(`${label}: half load, ${fmtInt(halfTarget)} req/s, ${MEASURE_SEC} s`);
    const half = await measuredLoad(ctx, { ...spec, connections: ctx.connections, durationSec: MEASURE_SEC, rate: halfTarget }, server.sampler);
    // Every answer is HTTP 200, passed or not: check that the token still passes after the load (iat within 60 s).
    const after = await postJson(server.url + VERIFY_PATH, body, server.apiKey);
    if (after.json.ok !== true) throw new Error(`the token no longer passes after the load: ${JSON.stringify(after.json)}`);
    return { max, half, halfTarget };
  } finally {
    await server.stop();
    ctx.cleanup.removeDir(dataDir);
  }
}


/**
 * The Node floor for verification (verify-floor-server.ts) with `workers` processes, given the public key the
 * way secsipidx is: the most a Node verifier can answer here with the service's checks but no x5u, chain, store
 * or framework, checked until each worker passed a token. `kept`: it also writes each verification's record
 * through the service's request log before answering, its store and journal in the floor's own folder, and the
 * check finds the answer's record in the journal.
 */
export async function startVerifyFloor(ctx: BenchContext, workers: number, kept = false): Promise<{ spec: { url: string; method: 'POST'; headers: Record<string, string>; body: string }; sampler: TreeSampler; stop(): void }> {
  const who = `verify floor, workers=${workers}`;
  const x5u = 'https://cert.example.net/sti/cert.pem';
  const apiKey = 'verify-floor-bench-key';
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  let body = '';
  const floor = await startFloorProcess(
    ctx,
    { script: 'verify-floor-server.js', port: freePort, args: (files, port) => [String(port), files.publicKeyPath, x5u, apiKey, String(workers), ...(kept ? ['kept', files.dir] : [])], forks: workers > 1 },
    async (f) => {
      body = JSON.stringify({ identity: passport(f.privateKey, x5u).identity, from: '14045266060', to: '18001234567' });
      const deadline = performance.now() + READY_TIMEOUT_MS;
      // Every worker must be listening before the load; a passing answer from each cannot be told apart, so
      // wait for several in a row.
      for (let ok = 0; ok < 2 * workers; ) {
        let json: { ok?: boolean; origid?: string } | undefined;
        try {
          const res = await fetch(`http://127.0.0.1:${f.port}${VERIFY_PATH}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(1_000) });
          json = res.status === 200 ? ((await res.json()) as typeof json) : undefined;
        } catch {
          // not listening yet
        }
        if (json?.ok === true) ok++;
        else if (json) throw new Error(`the verify floor failed the token: ${JSON.stringify(json)}`);
        else if (performance.now() > deadline) throw new Error(`the verify floor did not answer within ${READY_TIMEOUT_MS} ms`);
        else await sleep(100);
        if (json?.ok === true && kept) assertJournaled(f.dir, json.origid!, `the kept ${who}`);
      }
    },
  );
  return { spec: { url: `http://127.0.0.1:${floor.port}${VERIFY_PATH}`, method: 'POST', headers, body }, sampler: floor.sampler, stop: floor.stop };
}

/** The verify floor (`startVerifyFloor`) at its maximum, loaded with the service's own request body and header. */
async function verifyFloor(ctx: BenchContext, workers: number, kept = false): Promise<MeasuredLoad> {
  const label = `verify-floor workers=${workers}${kept ? ' kept' : ''}`;
  ctx.progress(`${label}: starting`);
  const floor = await startVerifyFloor(ctx, workers, kept);
  try {
    return await maxThroughput(ctx, floor.spec, floor.sampler, label);
  } finally {
    floor.stop();
  }
}

/** secsipidx -http-srv POST /v1/check with the public key given (-fpubkey): signature and expiry only, no fetch, no chain. */
async function secsipidxCheck(ctx: BenchContext): Promise<MeasuredLoad | undefined> {
  const bin = findOnPath('secsipidx');
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-secsipidx-check-'));
  ctx.cleanup.trackDir(dir);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, 'pub.pem'), createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));
  const { identity } = passport(createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })), 'https://cert.example.net/sti/cert.pem');
  const port = await freePort();
  ctx.progress('secsipidx -check: starting');
  const child = spawn(bin, ['-http-srv', `127.0.0.1:${port}`, '-fpubkey', join(dir, 'pub.pem'), '-expire', '3600'], { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] });
  const pid = child.pid!;
  ctx.cleanup.trackPid(pid);
  const sampler = new TreeSampler(pid, 250, { descendants: true, onPid: (p) => ctx.cleanup.trackPid(p) });
  try {
    const url = `http://127.0.0.1:${port}/v1/check`;
    const deadline = performance.now() + READY_TIMEOUT_MS;
    for (;;) {
      try {
        const res = await fetch(url, { method: 'POST', body: identity, signal: AbortSignal.timeout(1_000) });
        if (res.status === 200 && (await res.text()).trim() === 'OK') break;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) throw new Error('secsipidx -check did not accept a valid token');
      await sleep(100);
    }
    return await maxThroughput(ctx, { url, method: 'POST', headers: { 'content-type': 'text/plain' }, body: identity }, sampler, 'secsipidx -check');
  } finally {
    sampler.stop();
    for (const p of sampler.pids) ctx.cleanup.signal(p, 'SIGKILL');
    for (const p of sampler.pids) ctx.cleanup.untrackPid(p);
    ctx.cleanup.removeDir(dir);
  }
}

export const httpVerify: Scenario = {
  name: 'http-verify',
  title: `POST ${VERIFY_PATH} (warm cache) on the real service, workers ${WORKER_VARIANTS.join(' and ')}; raw node:crypto ES256 verify, the Node floor and secsipidx /v1/check in the same run`,
  async run(ctx): Promise<ScenarioReport> {
    ctx.progress('http-verify: raw ES256 verify, 3 s');
    const busy0 = machineBusySeconds();
    const t0 = performance.now();
    const raw = rawVerifyRate(3_000);
    const rawOtherCores = Math.max(0, (machineBusySeconds() - busy0) / ((performance.now() - t0) / 1000) - 1);
    const figures: Record<string, Figure> = {
      loadgen: ctx.loadGenerator.name,
      connections: ctx.connections,
      raw_verify_per_s: Math.round(raw.perSec),
      raw_verify_cpu_us: round(raw.cpuUs, 1),
      raw_other_cores: round(rawOtherCores, 2),
    };
    const rows: string[][] = [['raw verify (1 core, sync)', fmtInt(raw.perSec), '-', '-', '-', '-', '-', '1.00', fmtInt(raw.cpuUs), '-']];
    ctx.progress('http-verify: verification core, warm cache, 1 and 2 threads, 3 s each');
    const core1 = await coreVerifyRate(1, 3_000);
    const core2 = await coreVerifyRate(2, 3_000);
    Object.assign(figures, { 'core.t1_per_s': Math.round(core1), 'core.t2_per_s': Math.round(core2) });
    rows.push(['core verify, 1 thread', fmtInt(core1), '-', '-', '-', '-', '-', '-', '-', '-'], ['core verify, 2 threads', fmtInt(core2), '-', '-', '-', '-', '-', '-', '-', '-']);
    const results = new Map<number, VariantResult>();
    const floors = new Map<number, MeasuredLoad>();
    const keptFloors = new Map<number, MeasuredLoad>();
    for (const workers of WORKER_VARIANTS) {
      // The floors with as many workers just before the service: the three share the VM's minute.
      for (const kept of [false, true]) {
        const floor = await verifyFloor(ctx, workers, kept);
        (kept ? keptFloors : floors).set(workers, floor);
        const k = `${kept ? 'floor_kept' : 'floor'}.w${workers}`;
        Object.assign(figures, {
          [`${k}.rps`]: Math.round(floor.rps),
          [`${k}.p99_ms`]: round(floor.p99Ms, 3),
          [`${k}.server_cpu_us_per_req`]: Math.round(cpuUsPerRequest(floor.serverCores, floor.rps)),
          [`${k}.other_cores`]: round(floor.otherCores, 2),
        });
        rows.push([`Node ${kept ? 'kept ' : ''}floor workers=${workers}`, fmtInt(floor.rps), fmtMs(floor.p50Ms), fmtMs(floor.p99Ms), '-', String(floor.non2xx), String(floor.socketErrors), floor.serverCores.toFixed(2), fmtInt(cpuUsPerRequest(floor.serverCores, floor.rps)), floor.otherCores.toFixed(2)]);
      }
      const r = await runVariant(ctx, workers);
      results.set(workers, r);
      const k = `w${workers}`;
      Object.assign(figures, {
        [`${k}.rps`]: Math.round(r.max.rps),
        [`${k}.p50_ms`]: round(r.max.p50Ms, 3),
        [`${k}.p99_ms`]: round(r.max.p99Ms, 3),
        [`${k}.non2xx`]: r.max.non2xx + r.half.non2xx,
        [`${k}.server_cores`]: round(r.max.serverCores, 2),
        [`${k}.server_cpu_us_per_req`]: Math.round(cpuUsPerRequest(r.max.serverCores, r.max.rps)),
        [`${k}.other_cores`]: round(r.max.otherCores, 2),
        [`${k}.half_rps`]: Math.round(r.half.rps),
        [`${k}.half_p50_ms`]: round(r.half.p50Ms, 3),
        [`${k}.half_p99_ms`]: round(r.half.p99Ms, 3),
        [`${k}.rps_over_raw`]: round(r.max.rps / raw.perSec, 3),
      });
      rows.push([`shakenstack workers=${workers}`, fmtInt(r.max.rps), fmtMs(r.max.p50Ms), fmtMs(r.max.p99Ms), fmtMs(r.half.p99Ms), String(r.max.non2xx + r.half.non2xx), String(r.max.socketErrors), r.max.serverCores.toFixed(2), fmtInt(cpuUsPerRequest(r.max.serverCores, r.max.rps)), r.max.otherCores.toFixed(2)]);
    }
    const ref = await secsipidxCheck(ctx);
    if (ref) {
      Object.assign(figures, { 'secsipidx.rps': Math.round(ref.rps), 'secsipidx.p99_ms': round(ref.p99Ms, 3), 'secsipidx.server_cores': round(ref.serverCores, 2) });
      rows.push(['secsipidx /v1/check (-fpubkey)', fmtInt(ref.rps), fmtMs(ref.p50Ms), fmtMs(ref.p99Ms), '-', String(ref.non2xx), String(ref.socketErrors), ref.serverCores.toFixed(2), fmtInt(cpuUsPerRequest(ref.serverCores, ref.rps)), ref.otherCores.toFixed(2)]);
    } else {
      figures['secsipidx.skipped'] = 'secsipidx not on PATH';
    }
    const checks: Check[] = [
      { id: 'core.t1_over_raw', name: 'core verify, 1 thread ÷ raw 1-core verify/s', value: core1 / raw.perSec, unit: 'x', op: 'info' },
      { id: 'core.t2_over_raw', name: 'core verify, 2 threads ÷ raw 1-core verify/s', value: core2 / raw.perSec, unit: 'x', op: '>=', bound: TARGET_OVER_RAW },
    ];
    for (const [w, floor] of floors) {
      checks.push({ id: `floor.w${w}_over_secsipidx`, name: `Node floor, workers=${w}: verify/s ÷ secsipidx check/s`, value: ref ? floor.rps / ref.rps : undefined, unit: 'x', op: 'info' });
      const kept = keptFloors.get(w)!;
      checks.push({ id: `floor_kept.w${w}_over_secsipidx`, name: `Node floor keeping the request log, workers=${w}: verify/s ÷ secsipidx check/s`, value: ref ? kept.rps / ref.rps : undefined, unit: 'x', op: 'info' });
    }
    for (const [w, r] of results) {
      checks.push({ id: `w${w}.verify_over_floor`, name: `workers=${w}: HTTP verify/s ÷ the Node floor's with as many workers`, value: r.max.rps / floors.get(w)!.rps, unit: 'x', op: 'info' });
      checks.push({ id: `w${w}.verify_over_kept_floor`, name: `workers=${w}: HTTP verify/s ÷ the kept Node floor's with as many workers`, value: r.max.rps / keptFloors.get(w)!.rps, unit: 'x', op: 'info' });
      checks.push({ id: `w${w}.verify_over_raw`, name: `workers=${w}: HTTP verify/s ÷ raw 1-core verify/s`, value: r.max.rps / raw.perSec, unit: 'x', op: 'info' });
      checks.push({ id: `w${w}.verify_over_secsipidx`, name: `workers=${w}: HTTP verify/s ÷ secsipidx check/s`, value: ref ? r.max.rps / ref.rps : undefined, unit: 'x', op: '>=', bound: TARGET_OVER_SECSIPIDX });
    }
    for (const c of checks) if (c.value !== undefined) figures[c.id] = round(c.value, 3);
    const gen = `${ctx.loadGenerator.name}, ${ctx.connections} connections, ${MEASURE_SEC} s`;
    return {
      figures,
      tables: [
        { title: `Verification (closed loop at max; half-load p99 paced; ${gen})`, columns: ['verifier', 'verify/s', 'p50 ms', 'p99 ms', 'half p99 ms', 'non-2xx', 'sock err', 'server CPU', 'CPU µs/req', 'other CPU'], rows },
        checksTable(checks),
      ],
      notes: [
        'Each variant signed one PASSporT with the demo account, trusted the demo root, and checked that it passes before and after the load (every verification answers HTTP 200, passed or not).',
        'Warm cache: the chain, its key and its path verdict come from memory; the signature is verified on every request. CRL checks are off (the demo CRL URL has no server).',
        'secsipidx is given the public key (-fpubkey): it checks signature and expiry only, no x5u fetch, no chain, no claims against the call.',
        "The Node floor (verify-floor-server.ts) is given the key too: bare node:http with the Identity parameters, header, iat, TN and signature checks, the signature checked where and as the service checks it (its signature thread with fewer workers than cores, the loop otherwise), under node:cluster with 2 workers. The kept floor is the same floor answering each verification once the service's request log has journaled its record (bench/floor-request-log.ts). Each floor ran just before the service with as many workers.",
        rawOtherCores > 0.3 ? `note: other processes kept ${rawOtherCores.toFixed(2)} cores busy during the raw baseline; ratios are noisy.` : 'The raw baseline ran on an otherwise quiet core.',
      ],
    };
  },
};
