import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../server/store/open-store.js';
import { demoApiKey, startServe, type ServeProcess } from '../helpers/cli.js';
import { childPids, killIfStillRunning, processRef, startSignLoad, stillRunning, type ProcessRef, type SignLoad } from '../helpers/sign-load.js';

/*
 * "Answered means recorded" (issue 12) with real processes: sign load with unique origids, kill -9 in the
 * middle of it, start again, and every origid that was answered must have its request-log row.
 */

let dirs: string[] = [];
let procs: ServeProcess[] = [];
let loads: SignLoad[] = [];
/** Processes a test killed or orphaned, as refs: the pid alone may belong to another test's process by cleanup time. */
const killed: ProcessRef[] = [];

afterEach(async () => {
  await Promise.all(loads.map((l) => l.stop()));
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  for (const ref of killed) killIfStillRunning(ref);
  await Promise.all(procs.map((p) => p.exited));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
  procs = [];
  loads = [];
  killed.length = 0;
});

async function serve(dataDir: string, extra: Record<string, string> = {}): Promise<ServeProcess> {
  const p = await startServe({
    SHAKENSTACK_DATA_DIR: dataDir,
    SHAKENSTACK_PORT: '0',
    SHAKENSTACK_GRPC_PORT: '0',
    SHAKENSTACK_SIP_PORT: '0',
    SHAKENSTACK_LOG_LEVEL: 'error',
    SHAKENSTACK_DASHBOARD: 'false',
    // Ship once a second and never early: at the kill, up to a second of answered requests is in the journal
    // only, so the test sees replay at work rather than records the dead process had already stored.
    SHAKENSTACK_LOG_FLUSH_MS: '1000',
    SHAKENSTACK_LOG_MAX_BATCH: '100000',
    ...extra,
  });
  procs.push(p);
  return p;
}

/** origids of `answered` that have no request-log row yet. */
async function missing(dataDir: string, answered: Set<string>): Promise<string[]> {
  const store = await openStore({ engine: 'embedded', dataDir });
  try {
    const rows = new Set((await store.queryRequestLog({ limit: 10_000_000 })).map((r) => r.origid));
    return [...answered].filter((o) => !rows.has(o));
  } finally {
    await store.close();
  }
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

async function freshDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'shakenstack-crash-'));
  dirs.push(d);
  return d;
}

describe('request log: answered means recorded, across kill -9', { timeout: 90_000 }, () => {
  it('single process: every request answered over HTTP, gRPC and SIP before kill -9 is in the store after the next start', async () => {
    const dataDir = await freshDir();
    const first = await serve(dataDir);
    const out = first.output();
    const grpcAddress = /gRPC \(shakenstack\.v1\) on (\S+)/.exec(out)![1]!;
    const sipPort = Number(/SIP redirect server on udp\+tcp 127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const load = startSignLoad({ url: first.url, token: await demoApiKey(() => out), http: 8, grpcAddress, sipPort, maxRequests: 4000 });
    loads.push(load);
    await until(() => load.answered.size >= 600, 15_000);
    first.child.kill('SIGKILL');
    await first.exited;
    await load.stop();
    expect(load.answered.size).toBeGreaterThanOrEqual(600);

    const second = await serve(dataDir, { SHAKENSTACK_DEMO: 'false' });
    await expect.poll(() => missing(dataDir, load.answered), { timeout: 20_000, interval: 250 }).toEqual([]);
    // The dead process's segments were replayed and deleted.
    const pid = String(first.child.pid);
    expect(readdirSync(join(dataDir, 'journal')).filter((f) => f.startsWith(`${pid}-`))).toEqual([]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('cluster: kill -9 of one worker; its replacement replays what the dead worker answered, no restart needed', async () => {
    const dataDir = await freshDir();
    const primary = await serve(dataDir, { SHAKENSTACK_WORKERS: '2', SHAKENSTACK_SIP: 'false', SHAKENSTACK_GRPC: 'false' });
    const load = startSignLoad({ url: primary.url, token: await demoApiKey(primary.output), http: 8, maxRequests: 4000 });
    loads.push(load);
    await until(() => load.answered.size >= 600, 15_000);
    const [victim] = childPids(primary.child.pid!);
    const ref = processRef(victim!);
    killed.push(ref);
    killIfStillRunning(ref);
    await until(() => load.sent >= 4000 || load.answered.size >= 1500, 10_000);
    await load.stop();
    await expect.poll(() => missing(dataDir, load.answered), { timeout: 20_000, interval: 250 }).toEqual([]);
    expect(readdirSync(join(dataDir, 'journal')).filter((f) => f.startsWith(`${victim}-`))).toEqual([]);
    expect(primary.child.exitCode).toBeNull();
    primary.child.kill('SIGTERM');
    expect(await primary.exited).toBe(0);
  });

  it('cluster: kill -9 of the primary (then of any worker left); after the next start every answered request is in the store', async () => {
    const dataDir = await freshDir();
    const primary = await serve(dataDir, { SHAKENSTACK_WORKERS: '2', SHAKENSTACK_SIP: 'false', SHAKENSTACK_GRPC: 'false' });
    const workers = childPids(primary.child.pid!).map(processRef);
    expect(workers).toHaveLength(2);
    killed.push(...workers);
    const load = startSignLoad({ url: primary.url, token: await demoApiKey(primary.output), http: 8, maxRequests: 4000 });
    loads.push(load);
    await until(() => load.answered.size >= 600, 15_000);
    primary.child.kill('SIGKILL');
    await primary.exited;
    // Workers notice the primary is gone and shut down; any still running after a moment is killed too.
    await until(() => workers.every((w) => !stillRunning(w)), 3000);
    for (const w of workers) killIfStillRunning(w);
    await until(() => workers.every((w) => !stillRunning(w)), 5000);
    await load.stop();
    expect(load.answered.size).toBeGreaterThanOrEqual(600);

    const again = await serve(dataDir, { SHAKENSTACK_WORKERS: '2', SHAKENSTACK_SIP: 'false', SHAKENSTACK_GRPC: 'false', SHAKENSTACK_DEMO: 'false' });
    await expect.poll(() => missing(dataDir, load.answered), { timeout: 20_000, interval: 250 }).toEqual([]);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });
});
