import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../server/store/open-store.js';
import { demoApiKey, startServe, type ServeProcess } from '../helpers/cli.js';
import { createTempDatabase, execSql } from '../helpers/postgres.js';
import { startSignLoad, type SignLoad } from '../helpers/sign-load.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

/*
 * Issue 12's PostgreSQL trial, as a test: a node on PostgreSQL behind a proxy the test controls, under sign
 * load, while its connections are terminated, reset, refused and blackholed. The process must not exit, and
 * once the database is reachable again every answered request must reach the store without a restart.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('request log: a PostgreSQL outage loses no answered request', () => {
  it('survives pg_terminate_backend, reset, refused and blackholed connections; every answered origid is stored once the database is back', { timeout: 150_000 }, async () => {
    const db = await createTempDatabase();
    cleanups.push(() => db.drop());
    const proxy: TcpProxy = await startTcpProxy({ host: new URL(db.url).hostname, port: Number(new URL(db.url).port || 5432) });
    cleanups.push(() => proxy.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-pg-outage-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

    const p: ServeProcess = await startServe({
      SHAKENSTACK_DATA_DIR: dataDir,
      SHAKENSTACK_STORE: 'postgres',
      SHAKENSTACK_DATABASE_URL: proxy.rewrite(db.url),
      SHAKENSTACK_PORT: '0',
      SHAKENSTACK_GRPC: 'false',
      SHAKENSTACK_SIP: 'false',
      SHAKENSTACK_DASHBOARD: 'false',
      SHAKENSTACK_LOG_LEVEL: 'error',
      // A blackholed batch fails after 2 s instead of 30: the thread is replaced with fresh connections.
      SHAKENSTACK_LOG_STORE_TIMEOUT_MS: '2000',
    });
    cleanups.push(async () => {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await p.exited;
    });
    let exited: number | null | undefined;
    void p.exited.then((code) => (exited = code));
    const token = await demoApiKey(p.output);
    const load: SignLoad = startSignLoad({ url: p.url, token, http: 4, pauseMs: 10, maxRequests: 8000, timeoutMs: 3000 });
    cleanups.push(() => load.stop());

    await sleep(1500);
    const dbName = new URL(db.url).pathname.slice(1);
    await execSql(db.url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName}' AND pid <> pg_backend_pid()`);
    await sleep(1500);
    await proxy.setMode('reset');
    await sleep(1000);
    await proxy.setMode('refuse');
    await sleep(8000);
    // Meanwhile the answered requests wait in the journal, and /metrics says how much.
    expect(await metric(p.url, 'shakenstack_request_log_journal_bytes')).toBeGreaterThan(0);
    await proxy.setMode('blackhole');
    await sleep(6000);
    await proxy.setMode('pass');
    await sleep(2000);
    await load.stop();
    expect(exited).toBeUndefined();
    expect(load.answered.size).toBeGreaterThan(100);

    const store = await openStore({ engine: 'postgres', url: db.url });
    cleanups.push(() => store.close());
    const missing = async () => {
      const rows = new Set((await store.queryRequestLog({ limit: 10_000_000 })).map((r) => r.origid));
      return [...load.answered].filter((o) => !rows.has(o)).length;
    };
    await expect.poll(missing, { timeout: 60_000, interval: 500 }).toBe(0);
    await expect.poll(() => metric(p.url, 'shakenstack_request_log_journal_bytes'), { timeout: 10_000, interval: 500 }).toBe(0);
    expect(await metric(p.url, 'shakenstack_request_log_unjournaled_total')).toBe(0);
    // Stored once each, replayed segments and retried batches notwithstanding.
    const origids = (await store.queryRequestLog({ limit: 10_000_000 })).map((r) => r.origid).filter((o) => o !== null);
    expect(new Set(origids).size).toBe(origids.length);
    expect(exited).toBeUndefined();
  });
});

/** One unlabelled metric's value from `GET /metrics`. */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} is not in /metrics`);
  return Number(line.slice(name.length + 1));
}
