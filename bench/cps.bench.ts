import { spawn, execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabPki } from '../server/pki/lab-pki.js';
import type { Cleanup } from './cleanup.js';
import { findOnPath } from './executable.js';
import { freePort } from './free-port.js';
import { machineBusySeconds, sampleProcesses, TreeSampler } from './process-tree.js';
import { fmtInt, fmtMs, round } from './report.js';
import type { BenchContext, Figure, Scenario, ScenarioReport, Table } from './scenario.js';
import { startShakenstack, type RunningServer } from './shakenstack-server.js';
import { runRequestList, type ListedRequest } from './wrk-request-list.js';

/*
 * The STI-CPS: publishes/s and retrievals/s through 1 node on one Redis, and 3 nodes on a 3-shard Redis Cluster,
 * all on this machine. Every request carries its own signed token (a jti is accepted once), so the tokens and
 * bodies are made before the clock starts and sent in order by wrk (one per node, a closed loop over the
 * `connections` sockets shared among them): a few µs of client CPU per request, so the client is not what limits
 * the nodes. CPU is read from /proc for the nodes, the Redis servers and the wrk processes apart.
 */

const MEASURE_SEC = 5;
/** Publish requests signed per node before the publish phase: more than MEASURE_SEC at 10,000/s per node. */
const PUBLISH_PER_NODE = 50_000;
/** Retrievals signed per stored call: retrieving is faster than publishing, so each call is asked for a few times. */
const RETRIEVALS_PER_CALL = 3;
const AUD = '127.0.0.1';


function jwt(header: object, payload: object, key: KeyObject): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

async function startRedis(cleanup: Cleanup, dir: string, cluster: boolean): Promise<{ port: number; pid: number }> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`);
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  cleanup.trackPid(child.pid!);
  for (let i = 0; i < 100; i++) {
    try {
      if (execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('PONG')) return { port, pid: child.pid! };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on ${port} did not start`);
}

interface Phase {
  requests: number;
  wallSec: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than the phase's expected status (wrk: status >= 400) and socket errors. */
  unexpected: number;
  nodeCpuSec: number;
  redisCpuSec: number;
  clientCpuSec: number;
  /** Cores busy in processes that are none of these (the machine is shared). */
  otherCores: number;
  /** A node's list ran out before the time was up (the figures are then for fewer requests, still valid). */
  exhausted: boolean;
  /** Requests of each node's list that were answered (retrievals ask for exactly these). */
  perNode: number[];
}

/** One phase: a wrk per node sending that node's list, CPU read for the nodes, Redis and the wrk processes. */
async function runPhase(wrk: string, urls: readonly string[], lists: readonly ListedRequest[][], connections: number, nodePids: number[], redisPids: number[], ctx: BenchContext): Promise<Phase> {
  const busy0 = machineBusySeconds();
  const s0 = sampleProcesses(nodePids);
  const r0 = sampleProcesses(redisPids);
  const perNode = Math.max(1, Math.round(connections / urls.length));
  const runs = urls.map((u, i) => runRequestList(wrk, u, lists[i]!, perNode, MEASURE_SEC, ctx.cleanup));
  // wrk's CPU from its own start (list reading included) to its last sample before it exits (100 ms apart).
  const samplers = runs.map((r) => new TreeSampler(r.pid, 100, { descendants: false }));
  const results = await Promise.all(runs.map((r) => r.result)).finally(() => samplers.forEach((x) => x.stop()));
  const s1 = sampleProcesses(nodePids);
  const r1 = sampleProcesses(redisPids);
  const wallSec = (s1.atMs - s0.atMs) / 1000;
  const nodeCpuSec = s1.cpuSeconds - s0.cpuSeconds;
  const redisCpuSec = r1.cpuSeconds - r0.cpuSeconds;
  const clientCpuSec = samplers.reduce((a, x) => a + (x.first && x.last ? x.last.cpuSeconds - x.first.cpuSeconds : 0), 0);
  const requests = results.reduce((a, r) => a + r.requests, 0);
  // wrk's own clock: from its start to its last answer (the list ran out, or the time was up).
  const durationSec = Math.max(...results.map((r) => r.durationUs)) / 1e6;
  return {
    requests,
    wallSec,
    rps: requests / durationSec,
    p50Ms: Math.max(...results.map((r) => r.p50Us)) / 1000,
    p99Ms: Math.max(...results.map((r) => r.p99Us)) / 1000,
    unexpected: results.reduce((a, r) => a + r.status + r.socket, 0),
    nodeCpuSec,
    redisCpuSec,
    clientCpuSec,
    otherCores: Math.max(0, (machineBusySeconds() - busy0 - nodeCpuSec - redisCpuSec - clientCpuSec) / wallSec),
    exhausted: results.some((r) => r.exhausted),
    perNode: results.map((r) => r.requests),
  };
}

export const cps: Scenario = {
  name: 'cps',
  title: 'STI-CPS publish and retrieve: 1 node on Redis, 3 nodes on a 3-shard Redis Cluster',
  async run(ctx: BenchContext): Promise<ScenarioReport> {
    if (!findOnPath('redis-server') || !findOnPath('redis-cli')) return { figures: { skipped: 'redis-server not on PATH' }, tables: [], notes: ['skipped: install Debian package redis-server'] };
    const dir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-cps-'));
    ctx.cleanup.trackDir(dir);
    const pki = await createLabPki({ spc: '1234' });
    writeFileSync(join(dir, 'root.pem'), pki.root.certPem);
    const chainServer = createServer((_q, s) => s.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(pki.chainPem));
    await new Promise<void>((r) => chainServer.listen(0, '127.0.0.1', () => r()));
    const x5u = `http://127.0.0.1:${(chainServer.address() as { port: number }).port}/chain.pem`;
    // Parsed once: a PEM per signature would cost more than the signature.
    const key = createPrivateKey(pki.leaf.keyPem);

    const figures: Record<string, Figure> = {};
    const rows: string[][] = [];
    try {
      for (const setup of [
        { label: '1 node, 1 Redis', nodes: 1, shards: 1 },
        { label: '3 nodes, 3-shard Redis Cluster', nodes: 3, shards: 3 },
      ]) {
        ctx.progress(`cps: ${setup.label}: starting`);
        const redis: { port: number; pid: number }[] = [];
        for (let i = 0; i < setup.shards; i++) redis.push(await startRedis(ctx.cleanup, dir, setup.shards > 1));
        const redisEnv: Record<string, string> =
          setup.shards > 1 ? { SHAKENSTACK_CPS_REDIS_CLUSTER_NODES: redis.map((r) => `127.0.0.1:${r.port}`).join(',') } : { SHAKENSTACK_CPS_REDIS_URL: `redis://127.0.0.1:${redis[0]!.port}` };
        if (setup.shards > 1) execFileSync('redis-cli', ['--cluster', 'create', ...redis.map((r) => `127.0.0.1:${r.port}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
        if (setup.shards > 1) await new Promise((r) => setTimeout(r, 1500));
        const servers: RunningServer[] = [];
        try {
          for (let i = 0; i < setup.nodes; i++) {
            servers.push(
              await startShakenstack(1, ctx.cleanup, {
                SHAKENSTACK_GRPC: 'false',
                SHAKENSTACK_SIP: 'false',
                SHAKENSTACK_CPS: 'true',
                SHAKENSTACK_CPS_AUDIENCE: AUD,
                SHAKENSTACK_CPS_TTL_SEC: '60',
                SHAKENSTACK_CPS_PUBLISH_RATE_PER_SEC: '0',
                SHAKENSTACK_CPS_RETRIEVE_RATE_PER_SEC: '0',
                SHAKENSTACK_VERIFY_TRUST_ANCHORS: join(dir, 'root.pem'),
                SHAKENSTACK_VERIFY_ALLOW_HTTP_X5U: 'true',
                SHAKENSTACK_VERIFY_ALLOW_PRIVATE_ADDRESSES: 'true',
                SHAKENSTACK_VERIFY_CRL_POLICY: 'off',
                // Tokens are signed before the clock starts, up to a minute or so ahead of their use on a busy machine.
                SHAKENSTACK_VERIFY_MAX_AGE_SEC: '300',
                ...redisEnv,
              }),
            );
          }
          const urls = servers.map((s) => s.url);
          const nodePids = servers.flatMap((s) => s.sampler.pids);
          const redisPids = redis.map((r) => r.pid);
          const now = () => Math.floor(Date.now() / 1000);
          const callOf = (node: number, i: number) => ({ orig: `14${node}${String(i).padStart(8, '0')}`, dest: '12025550100' });
          const claims = (action: string, c: { orig: string; dest: string }) => ({ action, aud: AUD, dest: { tn: [c.dest] }, iat: now(), iss: '1234', jti: randomUUID(), orig: { tn: c.orig }, spc: '1234' });
          const publish = (c: { orig: string; dest: string }): ListedRequest => {
            const passports = [jwt({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u }, { attest: 'A', dest: { tn: [c.dest] }, iat: now(), orig: { tn: c.orig }, origid: randomUUID() }, key)];
            const digest = `sha256-${createHash('sha256').update(JSON.stringify(passports)).digest('base64')}`;
            return { method: 'POST', path: `/cps/passports/${c.dest}/${c.orig}`, authorization: `Bearer ${jwt({ alg: 'ES256', x5u }, { ...claims('publish', c), passports: digest }, key)}`, body: JSON.stringify({ passports }) };
          };
          const retrieve = (c: { orig: string; dest: string }): ListedRequest => ({ method: 'GET', path: `/cps/passports/${c.dest}/${c.orig}`, authorization: `Bearer ${jwt({ alg: 'ES256', x5u }, claims('retrieve', c), key)}` });
          const wrkPath = findOnPath('wrk')!;

          // A few requests per node first (not measured): each node fetches the chain once and caches its path verdict.
          const warm = urls.map((_, node) => Array.from({ length: 8 }, (_, i) => callOf(node, PUBLISH_PER_NODE + i)));
          await runPhase(wrkPath, urls, warm.map((cs) => cs.map(publish)), urls.length, nodePids, redisPids, ctx);
          await runPhase(wrkPath, urls, warm.map((cs) => cs.map(retrieve)), urls.length, nodePids, redisPids, ctx);

          // Enough for MEASURE_SEC at well above what this machine reaches (a list that runs out ends the phase early).
          ctx.progress(`cps: ${setup.label}: signing ${PUBLISH_PER_NODE} publish requests per node`);
          const publishes = urls.map((_, node) => Array.from({ length: PUBLISH_PER_NODE }, (_, i) => publish(callOf(node, i))));
          ctx.progress(`cps: ${setup.label}: publish for ${MEASURE_SEC} s`);
          const pub = await runPhase(wrkPath, urls, publishes, ctx.connections, nodePids, redisPids, ctx);
          // Retrieve only calls whose publish was answered (less the requests that were in flight when wrk stopped,
          // which may have been refused unanswered): every retrieval should find its call. Each call is retrieved
          // RETRIEVALS_PER_CALL times at most, each time with its own token.
          const inFlight = Math.ceil(ctx.connections / urls.length);
          const stored = pub.perNode.map((n) => Math.max(0, n - inFlight));
          ctx.progress(`cps: ${setup.label}: signing retrieve requests for ${stored.join('+')} stored calls`);
          const retrievals = stored.map((n, node) => Array.from({ length: n * RETRIEVALS_PER_CALL }, (_, i) => retrieve(callOf(node, i % n))));
          ctx.progress(`cps: ${setup.label}: retrieve for ${MEASURE_SEC} s`);
          const ret = await runPhase(wrkPath, urls, retrievals, ctx.connections, nodePids, redisPids, ctx);

          for (const [phase, r] of [['publish', pub], ['retrieve', ret]] as const) {
            const key = `${setup.nodes}n.${phase}`;
            const us = (cpuSec: number) => (r.requests > 0 ? (cpuSec / r.requests) * 1e6 : 0);
            const perCore = (cpuSec: number) => (cpuSec > 0 ? r.requests / cpuSec : 0);
            const durationSec = r.requests / Math.max(r.rps, 1e-9);
            Object.assign(figures, {
              [`${key}.rps`]: Math.round(r.rps),
              [`${key}.requests`]: r.requests,
              [`${key}.p50_ms`]: round(r.p50Ms, 3),
              [`${key}.p99_ms`]: round(r.p99Ms, 3),
              [`${key}.unexpected`]: r.unexpected,
              [`${key}.list_ran_out`]: r.exhausted,
              [`${key}.node_cores`]: round(r.nodeCpuSec / durationSec, 2),
              [`${key}.redis_cores`]: round(r.redisCpuSec / durationSec, 2),
              [`${key}.client_cores`]: round(r.clientCpuSec / durationSec, 2),
              [`${key}.other_cores`]: round(r.otherCores, 2),
              [`${key}.node_cpu_us_per_req`]: Math.round(us(r.nodeCpuSec)),
              [`${key}.redis_cpu_us_per_req`]: Math.round(us(r.redisCpuSec)),
              [`${key}.client_cpu_us_per_req`]: Math.round(us(r.clientCpuSec)),
              [`${key}.per_node_core`]: Math.round(perCore(r.nodeCpuSec)),
              [`${key}.per_redis_core`]: Math.round(perCore(r.redisCpuSec)),
              [`${key}.per_core_all`]: Math.round(perCore(r.nodeCpuSec + r.redisCpuSec)),
            });
            rows.push([
              setup.label,
              phase,
              fmtInt(r.rps),
              fmtMs(r.p50Ms),
              fmtMs(r.p99Ms),
              String(r.unexpected),
              fmtInt(us(r.nodeCpuSec)),
              fmtInt(us(r.redisCpuSec)),
              fmtInt(us(r.clientCpuSec)),
              fmtInt(perCore(r.nodeCpuSec)),
              fmtInt(perCore(r.redisCpuSec)),
              fmtInt(perCore(r.nodeCpuSec + r.redisCpuSec)),
              r.otherCores.toFixed(2),
            ]);
          }
        } finally {
          await Promise.all(servers.map((s) => s.stop()));
          for (const r of redis) {
            ctx.cleanup.signal(r.pid, 'SIGKILL');
            ctx.cleanup.untrackPid(r.pid);
          }
        }
      }
    } finally {
      chainServer.close();
      ctx.cleanup.removeDir(dir);
    }
    const table: Table = {
      title: `STI-CPS closed loop (wrk, ${ctx.connections} connections shared by the nodes, ${MEASURE_SEC} s per phase, every request with its own signed token)`,
      columns: ['setup', 'phase', 'req/s', 'p50 ms', 'p99 ms', 'unexpected', 'node µs/req', 'redis µs/req', 'client µs/req', 'req/s per node core', 'req/s per redis core', 'req/s per core (nodes+redis)', 'other CPU'],
      rows,
    };
    return {
      figures,
      tables: [table],
      notes: [
        'Client (wrk), CPS nodes and Redis share this machine: CPU is read for each apart, so the per-core columns are the figures to scale from.',
        '"other CPU": cores busy in other processes during the phase; well above 0 means the figures are low.',
      ],
    };
  },
};
