import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase } from '../helpers/postgres.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';

const body = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } };

describe('two nodes on one PostgreSQL database', () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let one: TestService;
  let two: TestService;
  let acct: Provisioned;

  beforeAll(async () => {
    db = await createTempDatabase();
    // One master key for both: the software key store's encrypted keys live in the shared database.
    const shared = { 'store.engine': 'postgres', 'store.url': db.url, masterKey: 'ab'.repeat(32) };
    one = await startTestService({ overrides: shared });
    two = await startTestService({ overrides: shared });
    acct = await one.provision({ maxAttest: 'A' });
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
    await db?.drop();
  });

  const sign = (svc: TestService) => postJson(`${svc.url}/api/stir-shaken/sign`, body, { authorization: `Bearer ${acct.token}` });

  it('signs on either node with an account and key created through the other, each under its own publicUrl', async () => {
    const path = new URL(acct.x5u).pathname;
    const r1 = await sign(one);
    expect(r1.status).toBe(200);
    expect(r1.json.x5u).toBe(one.url + path);
    const r2 = await sign(two);
    expect(r2.status).toBe(200);
    // The credential is hosted: node two names itself, not the node the credential was imported through.
    expect(r2.json.x5u).toBe(two.url + path);
  });

  it('publishes the chain from every node', async () => {
    const path = new URL(acct.x5u).pathname;
    const res = await fetch(`${two.url}${path}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('BEGIN CERTIFICATE');
  });

  it('refuses a key on the other node once it is revoked on one', async () => {
    expect((await sign(two)).status).toBe(200);
    await one.node.store.revokeApiKey(acct.apiKeyId);
    await expect.poll(async () => (await sign(two)).status, { timeout: 5000 }).toBe(403);
  });

  it('keeps the request log of both nodes in the one database', async () => {
    await expect
      .poll(async () => new Set((await one.node.store.queryRequestLog({ accountId: acct.account.id, limit: 1000 })).map((r) => r.outcome)).size, { timeout: 5000 })
      .toBe(2);
    const all = await two.node.store.queryRequestLog({ accountId: acct.account.id, limit: 1000 });
    expect(all.filter((r) => r.outcome === 'ok').length).toBeGreaterThanOrEqual(3);
  });
});
