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
import { coresBetween, sampleProcesses } from './process-tree.js';
import { fmtInt, fmtMs, round } from './report.js';
import type { BenchContext, Figure, Scenario, ScenarioReport, Table } from './scenario.js';
import { startShakenstack, type RunningServer } from './shakenstack-server.js';

/*
 * The STI-CPS: publishes/s and retrievals/s through 1 node on one Redis, and 3 nodes on a 3-shard Redis Cluster,
 * all on this machine. Every request carries its own signed token (a jti is accepted once), so the tokens and
 * bodies are made before the clock starts; the client is a closed loop of `connections` fetches.
 */

const MEASURE_SEC = 5;
const AUD = '127.0.0.1';

interface Prepared {
  path: string;
  token: string;
  body?: string;
}

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

/** Closed loop: `connections` workers, each sending its next prepared request as the previous one is answered. */
async function drive(urls: readonly string[], reqs: Prepared[], connections: number, durationSec: number, expect: number) {
  const latencies: number[] = [];
  let next = 0;
  let bad = 0;
  const until = performance.now() + durationSec * 1000;
  const worker = async (w: number) => {
    while (performance.now() < until && next < reqs.length) {
      const r = reqs[next++]!;
      const t = performance.now();
      const res = await fetch(urls[w % urls.length]! + r.path, {
        method: r.body ? 'POST' : 'GET',
        headers: r.body ? { authorization: `Bearer ${r.token}`, 'content-type': 'application/json' } : { authorization: `Bearer ${r.token}` },
        body: r.body,
      });
      await res.arrayBuffer();
      latencies.push(performance.now() - t);
      if (res.status !== expect) bad++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, (_, w) => worker(w)));
  const wall = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { rps: latencies.length / wall, p50: q(0.5), p99: q(0.99), bad, done: latencies.length };
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
                ...redisEnv,
              }),
            );
          }
          const urls = servers.map((s) => s.url);
          // Enough for MEASURE_SEC at a rate well above what one machine reaches; made before the clock starts.
          const n = 30_000 * setup.nodes;
          ctx.progress(`cps: ${setup.label}: signing ${n} publish and ${n} retrieve requests`);
          const calls = Array.from({ length: n }, (_, i) => ({ orig: `1404${String(i).padStart(7, '0')}`, dest: '12025550100' }));
          const now = () => Math.floor(Date.now() / 1000);
          const claims = (action: string, c: { orig: string; dest: string }) => ({ action, aud: AUD, dest: { tn: [c.dest] }, iat: now(), iss: '1234', jti: randomUUID(), orig: { tn: c.orig }, spc: '1234' });
          const publishes: Prepared[] = calls.map((c) => {
            const passports = [jwt({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u }, { attest: 'A', dest: { tn: [c.dest] }, iat: now(), orig: { tn: c.orig }, origid: randomUUID() }, key)];
            const digest = `sha256-${createHash('sha256').update(JSON.stringify(passports)).digest('base64')}`;
            return { path: `/cps/passports/${c.dest}/${c.orig}`, token: jwt({ alg: 'ES256', x5u }, { ...claims('publish', c), passports: digest }, key), body: JSON.stringify({ passports }) };
          });
          const retrievals: Prepared[] = calls.map((c) => ({ path: `/cps/passports/${c.dest}/${c.orig}`, token: jwt({ alg: 'ES256', x5u }, claims('retrieve', c), key) }));
          // A few requests per node first: each fetches the chain once and caches its path verdict, outside the measurement.
          const warm = 4 * setup.nodes;
          await drive(urls, publishes.slice(0, warm), setup.nodes, MEASURE_SEC, 201);
          await drive(urls, retrievals.slice(0, warm), setup.nodes, MEASURE_SEC, 200);
          let published = 0;
          for (const [phase, all, expect] of [['publish', publishes.slice(warm), 201], ['retrieve', retrievals.slice(warm), 200]] as const) {
            // Only what was published is retrieved (in the same order), so every retrieval should find its call.
            const reqs = phase === 'retrieve' ? all.slice(0, published) : all;
            ctx.progress(`cps: ${setup.label}: ${phase} for ${MEASURE_SEC} s`);
            const serverPids = servers.flatMap((s) => s.sampler.pids);
            const redisPids = redis.map((r) => r.pid);
            const a = { s: sampleProcesses(serverPids), r: sampleProcesses(redisPids), c: sampleProcesses([process.pid]) };
            const r = await drive(urls, reqs, ctx.connections, MEASURE_SEC, expect);
            if (phase === 'publish') published = r.done;
            const b = { s: sampleProcesses(serverPids), r: sampleProcesses(redisPids), c: sampleProcesses([process.pid]) };
            const nodeCores = coresBetween(a.s, b.s);
            const redisCores = coresBetween(a.r, b.r);
            const clientCores = coresBetween(a.c, b.c);
            const key = `${setup.nodes}n.${phase}`;
            Object.assign(figures, {
              [`${key}.rps`]: Math.round(r.rps),
              [`${key}.p50_ms`]: round(r.p50, 3),
              [`${key}.p99_ms`]: round(r.p99, 3),
              [`${key}.unexpected`]: r.bad,
              [`${key}.node_cores`]: round(nodeCores, 2),
              [`${key}.redis_cores`]: round(redisCores, 2),
              [`${key}.client_cores`]: round(clientCores, 2),
              [`${key}.per_node_core`]: Math.round(r.rps / Math.max(nodeCores, 0.01)),
              [`${key}.per_core_all`]: Math.round(r.rps / Math.max(nodeCores + redisCores, 0.01)),
            });
            rows.push([setup.label, phase, fmtInt(r.rps), fmtMs(r.p50), fmtMs(r.p99), String(r.bad), nodeCores.toFixed(2), redisCores.toFixed(2), clientCores.toFixed(2), fmtInt(r.rps / Math.max(nodeCores, 0.01)), fmtInt(r.rps / Math.max(nodeCores + redisCores, 0.01))]);
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
      title: `STI-CPS closed loop (${ctx.connections} concurrent fetches from this process, ${MEASURE_SEC} s per phase, every request with its own signed token)`,
      columns: ['setup', 'phase', 'req/s', 'p50 ms', 'p99 ms', 'unexpected', 'node CPU', 'redis CPU', 'client CPU', 'req/s per node core', 'req/s per core (nodes+redis)'],
      rows,
    };
    return { figures, tables: [table], notes: ['Client, CPS nodes and Redis share this machine: the per-core columns are the figures to scale from.'] };
  },
};
