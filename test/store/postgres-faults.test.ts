import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryEntry } from '../../server/core/tn-inventory.js';
import { openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/store.js';
import { ADMIN_URL, createTempDatabase, execSql } from '../helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

/*
 * The PostgreSQL pool under connection faults, at the store's own level: whatever happens to a connection,
 * the caller gets ERR_STORE_UNAVAILABLE and the next call gets a working connection; the process hears of
 * nothing (vitest fails the run on any unhandled 'error').
 */

let db: Awaited<ReturnType<typeof createTempDatabase>>;
let proxy: TcpProxy;
let store: Store | undefined;

beforeAll(async () => {
  db = await createTempDatabase();
  const target = new URL(db.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
});
afterEach(async () => {
  await proxy.setMode('pass');
  await store?.close();
  store = undefined;
});
afterAll(async () => {
  await proxy?.close();
  await db?.drop();
});

const account = (name: string) => ({ name, defaultAttest: 'B', maxAttest: 'A', tokenTtlSec: 60, policyMode: 'enforce', nonNumericOrig: 'B' }) as const;
const terminateAll = () =>
  execSql(ADMIN_URL, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${new URL(db.url).pathname.slice(1)}' AND pid <> pg_backend_pid()`);

describe('the PostgreSQL pool under connection faults', () => {
  it('fails a transaction whose backend is terminated while its connection is checked out, and serves the next call', async () => {
    store = await openStore({ engine: 'postgres', url: db.url, poolSize: 2 });
    const acct = await store.createAccount(account('held'));
    // A streamed import keeps its transaction's connection checked out, idle, between chunks: the state in
    // which pg used to emit an 'error' nobody listened to (pg-pool removes its listener on checkout).
    let next!: () => void;
    const gate = new Promise<void>((r) => (next = r));
    let started!: () => void;
    const inTransaction = new Promise<void>((r) => (started = r));
    async function* chunks(): AsyncIterable<readonly InventoryEntry[]> {
      yield [{ kind: 'tn', tn: '14045550001' }];
      started();
      await gate;
      yield [{ kind: 'tn', tn: '14045550002' }];
    }
    const importing = store.addInventory(acct.id, chunks());
    await inTransaction;
    await terminateAll();
    // Let the termination notice and the socket's end reach the client before the transaction goes on.
    await new Promise((r) => setTimeout(r, 200));
    next();
    await expect(importing).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    expect(await store.countInventory(acct.id)).toBe(0);
    expect((await store.getAccount(acct.id))?.name).toBe('held');
  });

  it('fails a call on a blackholed connection after the query timeout and replaces that connection', async () => {
    // One connection: were the silent one put back into the pool, the next call would queue behind its lost query.
    store = await openStore({ engine: 'postgres', url: proxy.rewrite(db.url), poolSize: 1, queryTimeoutMs: 500, connectTimeoutMs: 500 });
    const acct = await store.createAccount(account('blackholed'));
    await proxy.setMode('blackhole');
    const t0 = Date.now();
    await expect(store.getAccount(acct.id)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    const ms = Date.now() - t0;
    // statement_timeout 500 ms cannot reach the server; the read timeout (1 s later) ends it, long before the
    // blackhole would (it lasts until the test ends it).
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(10_000);
    await proxy.setMode('pass');
    expect((await store.getAccount(acct.id))?.name).toBe('blackholed');
  });

  it('reports a refused or reset server as ERR_STORE_UNAVAILABLE and reconnects when it is back', async () => {
    store = await openStore({ engine: 'postgres', url: proxy.rewrite(db.url), poolSize: 2, connectTimeoutMs: 1000 });
    const acct = await store.createAccount(account('refused'));
    await proxy.setMode('refuse');
    await expect(store.getAccount(acct.id)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await expect(store.ping()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await proxy.setMode('reset');
    await expect(store.getAccount(acct.id)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await proxy.setMode('pass');
    expect((await store.getAccount(acct.id))?.name).toBe('refused');
  });
});
