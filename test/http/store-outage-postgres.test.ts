import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignerClient } from '../../clients/node/src/index.js';
import { createApiKey } from '../../server/manage/api-keys.js';
import { DashClient, makeUser } from '../dashboard/support.js';
import { ADMIN_URL, createTempDatabase, execSql } from '../helpers/postgres.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

/*
 * Issue 12: a node on PostgreSQL behind a proxy the test breaks in every way the network can (backends
 * terminated, connections reset, port refused, traffic blackholed) while it signs. The cache TTL is short, so
 * only serving the last good value through the outage (stale-if-error) can explain signing going on.
 */

const body = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } };
const QUERY_TIMEOUT_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a PostgreSQL node through store outages', () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let proxy: TcpProxy;
  let svc: TestService;
  let acct: Provisioned;
  let dash: DashClient;

  beforeAll(async () => {
    db = await createTempDatabase();
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    svc = await startTestService({
      overrides: {
        'store.engine': 'postgres',
        'store.url': proxy.rewrite(db.url),
        'store.poolSize': 4,
        'store.queryTimeoutMs': QUERY_TIMEOUT_MS,
        'store.connectTimeoutMs': QUERY_TIMEOUT_MS,
        'grpc.healthIntervalMs': 50,
        cacheTtlMs: 100,
        changePollMs: 50,
      },
    });
    acct = await svc.provision({ maxAttest: 'A' });
    const admin = await makeUser(svc, 'admin');
    dash = await DashClient.login(svc, admin.username, admin.password);
    expect((await sign()).status).toBe(200);
  }, 30_000);

  afterAll(async () => {
    await proxy?.setMode('pass');
    await svc?.stop();
    await proxy?.close();
    await db?.drop();
  });

  const sign = (token = acct.token) => postJson(`${svc.url}/api/stir-shaken/sign`, body, { authorization: `Bearer ${token}` });
  const ready = async () => {
    const res = await fetch(`${svc.url}/health/ready`);
    return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
  };

  /** Signs in a bounded loop while `fault` runs; returns every status seen. */
  async function signThrough(fault: () => Promise<void>): Promise<number[]> {
    const statuses: number[] = [];
    let done = false;
    const loop = (async () => {
      for (let i = 0; i < 2000 && !done; i++) {
        statuses.push((await sign()).status);
        await sleep(10);
      }
    })();
    try {
      await fault();
    } finally {
      done = true;
      await loop;
    }
    return statuses;
  }

  /** A key that exists but that this node has never seen: during an outage nothing can vouch for it. */
  const unusedKey = async () => (await createApiKey(svc.node.store, acct.account.id, 'unused')).token;

  /** After a fault: readiness shows the store back, and the store answers through the node again. */
  async function recovered(): Promise<void> {
    await expect.poll(async () => (await ready()).body.checks.store, { timeout: 10_000 }).toBe('ok');
    const fresh = await unusedKey();
    await expect.poll(async () => (await sign(fresh)).status, { timeout: 10_000 }).toBe(200);
    expect((await dash.get('/dashboard/api/accounts')).status).toBe(200);
  }

  it('keeps signing when PostgreSQL terminates the node’s backends under load', async () => {
    const statuses = await signThrough(async () => {
      await sleep(200);
      for (let i = 0; i < 3; i++) {
        await execSql(ADMIN_URL, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${new URL(db.url).pathname.slice(1)}' AND pid <> pg_backend_pid()`);
        await sleep(300);
      }
    });
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.every((s) => s === 200), `statuses: ${[...new Set(statuses)]}`).toBe(true);
    await recovered();
  });

  it('keeps signing when every connection is reset', async () => {
    const statuses = await signThrough(async () => {
      await sleep(200);
      await proxy.setMode('reset');
      await sleep(1500);
      await proxy.setMode('pass');
      await sleep(200);
    });
    expect(statuses.every((s) => s === 200), `statuses: ${[...new Set(statuses)]}`).toBe(true);
    await recovered();
  });

  it('signs from cache, refuses unknown keys with 503 and reports the store down while the port refuses', async () => {
    const unusedToken = await unusedKey();
    const grpc = createSignerClient({ address: svc.grpcAddress, apiKey: acct.token });
    const during: { ready: Awaited<ReturnType<typeof ready>>; unknown: number; dashboard: number; grpcHealth: string; grpcSign: string; metrics: string; x5u: number }[] = [];
    const statuses = await signThrough(async () => {
      await sleep(200);
      await proxy.setMode('refuse');
      await sleep(500);
      during.push({
        ready: await ready(),
        unknown: (await sign(unusedToken)).status,
        dashboard: (await dash.get('/dashboard/api/accounts')).status,
        grpcHealth: await grpc.health(),
        grpcSign: (await grpc.sign(body)).attest,
        metrics: await (await fetch(`${svc.url}/metrics`)).text(),
        x5u: (await fetch(acct.x5u)).status,
      });
      await sleep(1500);
      await proxy.setMode('pass');
    });
    expect(statuses.every((s) => s === 200), `statuses: ${[...new Set(statuses)]}`).toBe(true);
    // Still serving from cache: the load balancer keeps the node, the body tells the operator why it is degraded.
    expect(during[0]!.ready).toEqual({ status: 200, body: { status: 'degraded', checks: { store: 'unavailable' } } });
    expect(during[0]!.unknown).toBe(503);
    expect(during[0]!.dashboard).toBe(503);
    expect(during[0]!.grpcHealth).toBe('SERVING');
    // Verifiers fetching this node's certificates during the outage still get them.
    expect(during[0]!.x5u).toBe(200);
    expect(during[0]!.grpcSign).toMatch(/^[ABC]$/);
    // What monitoring sees: /metrics still answers, and says which probe fails.
    expect(during[0]!.metrics).toContain('shakenstack_readiness{probe="store"} 0');
    await grpc.close();
    await recovered();
    expect((await ready()).body.status).toBe('ready');
  });

  it('fails store calls after the query timeout when traffic is blackholed, and recovers when it flows again', async () => {
    const unusedToken = await unusedKey();
    let unknown: { status: number; ms: number } | undefined;
    const statuses = await signThrough(async () => {
      await sleep(200);
      await proxy.setMode('blackhole');
      const t0 = Date.now();
      const r = await sign(unusedToken);
      unknown = { status: r.status, ms: Date.now() - t0 };
      await sleep(QUERY_TIMEOUT_MS * 2);
      // As in the trial: connections reset after the blackhole.
      await proxy.setMode('reset');
      await sleep(200);
      await proxy.setMode('pass');
    });
    expect(statuses.every((s) => s === 200), `statuses: ${[...new Set(statuses)]}`).toBe(true);
    expect(unknown!.status).toBe(503);
    // Failed by the query or connect timeout (1 s here), well before the blackhole would have ended.
    expect(unknown!.ms).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 50);
    expect(unknown!.ms).toBeLessThan(10_000);
    await recovered();
  });

  it('picks up a change made after recovery', async () => {
    await svc.node.store.revokeApiKey(acct.apiKeyId);
    await expect.poll(async () => (await sign()).status, { timeout: 5000 }).toBe(403);
  });
});
