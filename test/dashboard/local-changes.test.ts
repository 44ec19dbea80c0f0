import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabPki } from '../../server/pki/lab-pki.js';
import { verifyIdentity } from '../grpc/support.js';
import type { Provisioned, TestService } from '../helpers/service.js';
import { DashClient, makeUser, sign, startDashboardService } from './support.js';

const ADMIN = 'admin-token-for-tests-0123456789abcdef';
const call = { orig: { tn: '12025550100' }, dest: { tn: ['12025550199'] } };

/**
 * The change watcher polls once an hour here and cached lookups live an hour, so only the node's own notice of
 * its writes can explain a change seen by the very next request.
 */
describe('changes made through this node reach its next request', () => {
  let svc: TestService;
  let acct: Provisioned;
  let op: DashClient;

  beforeAll(async () => {
    svc = await startDashboardService('embedded', { overrides: { changePollMs: 3_600_000, cacheTtlMs: 3_600_000, adminToken: ADMIN } });
    acct = await svc.provision({ name: 'local-change' });
    op = await DashClient.login(svc, (await makeUser(svc, 'operator', acct.account.id)).username);
  });
  afterAll(() => svc?.stop());

  it('signs with a credential uploaded through the dashboard from the next request: new x5u, new key', async () => {
    const before = await sign(svc, acct.token, call);
    expect(before.json.x5u).toBe(acct.x5u);
    const pki = await createLabPki({ spc: '761K' });
    const uploaded = await op.post(`/dashboard/api/accounts/${acct.account.id}/credentials`, { certificatePem: pki.chainPem, privateKeyPem: pki.leaf.keyPem });
    expect(uploaded.status).toBe(201);
    const after = await sign(svc, acct.token, call);
    expect(after.status).toBe(200);
    expect(after.json.x5u).toBe(uploaded.json.credential.x5u);
    expect(after.json.x5u).not.toBe(acct.x5u);
    // Verified against the certificate served at the new x5u: the new key made the signature.
    expect(await verifyIdentity(after.json.identity)).toMatchObject({ orig: { tn: '12025550100' } });
  });

  it('refuses an API key revoked through the dashboard from the next request', async () => {
    const created = await op.post(`/dashboard/api/accounts/${acct.account.id}/api-keys`, { name: 'short-lived' });
    expect(created.status).toBe(201);
    expect((await sign(svc, created.json.token, call)).status).toBe(200);
    const revoked = await op.del(`/dashboard/api/accounts/${acct.account.id}/api-keys/${created.json.apiKey.id}`);
    expect(revoked.status).toBeLessThan(300);
    const after = await sign(svc, created.json.token, call);
    expect(after.status).toBe(403);
    expect(after.json.error.code).toBe('ERR_AUTH_REVOKED');
  });

  it('refuses an account disabled through the admin API from the next request', async () => {
    const other = await svc.provision({ name: 'local-change-admin' });
    expect((await sign(svc, other.token, call)).status).toBe(200);
    const patched = await fetch(`${svc.url}/api/admin/accounts/${other.account.name}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    expect(patched.status).toBe(200);
    const after = await sign(svc, other.token, call);
    expect(after.status).toBe(403);
    expect(after.json.error.code).toBe('ERR_AUTH_ACCOUNT_DISABLED');
  });
});
