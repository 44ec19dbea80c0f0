import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import Libsql from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_DB_FILE } from '../../server/store/open-store.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';

/*
 * Issue 12 on the embedded engine: another process holding SQLite's write lock past busy_timeout, and a full
 * disk. Writes fail with ERR_STORE_UNAVAILABLE (503) while it lasts; signing from cache, readiness and the
 * process go on, and writes work again once the lock is released or space is back, without a restart.
 */

const ADMIN = 'admin-token-for-store-outage-tests-0123456789';
const body = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } };

describe('an embedded node through SQLite busy and full-disk errors', () => {
  let svc: TestService;
  let acct: Provisioned;

  beforeAll(async () => {
    svc = await startTestService({ overrides: { adminToken: ADMIN, 'grpc.enabled': false, cacheTtlMs: 100 } });
    acct = await svc.provision({ maxAttest: 'A' });
  }, 30_000);
  afterAll(async () => {
    await svc?.stop();
  });

  const sign = () => postJson(`${svc.url}/api/stir-shaken/sign`, body, { authorization: `Bearer ${acct.token}` });
  const admin = (path: string, method: string, contentType: string, payload: string) =>
    fetch(`${svc.url}/api/admin${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': contentType }, body: payload });
  const patchAccount = async () => {
    const res = await admin(`/accounts/${acct.account.id}`, 'PATCH', 'application/json', JSON.stringify({ nonNumericOrig: 'C' }));
    return { status: res.status, json: (await res.json()) as { error?: { code: string } } };
  };
  const ready = async () => {
    const res = await fetch(`${svc.url}/health/ready`);
    return { status: res.status, body: await res.json() };
  };

  it('answers 503 to writes while another process holds the write lock past busy_timeout, and writes again after', async () => {
    const other = new Libsql(join(svc.config.dataDir, EMBEDDED_DB_FILE));
    try {
      other.pragma('busy_timeout = 0');
      other.exec('BEGIN EXCLUSIVE');
      const refused = await patchAccount();
      expect(refused).toMatchObject({ status: 503, json: { error: { code: 'ERR_STORE_UNAVAILABLE' } } });
      // WAL readers are not blocked by a writer: signing, and the readiness probe (a read), go on.
      expect((await sign()).status, 'signing while locked').toBe(200);
      expect((await ready()).status, 'readiness while locked').toBe(200);
      other.exec('COMMIT');
    } finally {
      other.close();
    }
    expect(await patchAccount(), 'a write after the lock is released').toMatchObject({ status: 200 });
    expect((await sign()).status, 'signing after the lock').toBe(200);
  }, 30_000);

  it('answers 503 to writes on a full disk (SQLITE_FULL), keeps signing, and writes again once there is room', async () => {
    // The node's own connection may not grow the file any more: the disk is full, as far as it can tell. The
    // store's aggregates all share that one connection; the dashboard's queries hold it as a field.
    const db = (svc.node.store.dashboard as unknown as { db: Kysely<unknown> }).db;
    const { rows } = await sql<{ page_count: number }>`PRAGMA page_count`.execute(db);
    await sql.raw(`PRAGMA max_page_count = ${rows[0]!.page_count}`).execute(db);
    const csv = ['kind,value,count', ...Array.from({ length: 20_000 }, (_, i) => `tn,1404${String(5000000 + i)},`)].join('\n') + '\n';
    try {
      const full = await admin(`/accounts/${acct.account.id}/inventory`, 'POST', 'text/csv', csv);
      expect(full.status).toBe(503);
      expect(((await full.json()) as { error: { code: string } }).error.code).toBe('ERR_STORE_UNAVAILABLE');
      expect((await sign()).status).toBe(200);
      expect((await ready()).status).toBe(200);
    } finally {
      await sql.raw('PRAGMA max_page_count = 1073741823').execute(db);
    }
    expect((await admin(`/accounts/${acct.account.id}/inventory`, 'POST', 'text/csv', csv)).status).toBe(200);
    expect((await sign()).status).toBe(200);
  }, 30_000);
});
