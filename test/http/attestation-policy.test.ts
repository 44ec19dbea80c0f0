import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVENTORY, POLICY_CASES, policyCaseBody, policyCaseTitle } from '../cases/policy-cases.js';
import { postJson, startTestService, type TestService } from '../helpers/service.js';

describe('attestation policy over HTTP', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.stop());

  for (const p of POLICY_CASES) {
    it(policyCaseTitle(p), async () => {
      const acct = await svc.provision({ policyMode: p.mode, sourceKind: p.source, defaultAttest: p.max, maxAttest: p.max, nonNumericOrig: p.nonNumeric, inventory: INVENTORY });
      const r = await postJson(`${svc.url}/api/stir-shaken/sign`, policyCaseBody(p), { authorization: `Bearer ${acct.token}` });
      if ('refused' in p.expect) {
        expect(r.status).toBe(403);
        expect(r.json.error).toMatchObject({ code: 'ERR_ATTEST_REFUSED', field: 'orig' });
      } else {
        expect(r.status).toBe(200);
        expect(r.json).toMatchObject({ attest: p.expect.attest, attestReason: p.expect.reason });
        const claims = JSON.parse(Buffer.from(r.json.identity.split('.')[1], 'base64url').toString());
        expect(claims.attest).toBe(p.expect.attest);
      }
    });
  }

  it('sees an inventory change without a restart', async () => {
    const acct = await svc.provision({ policyMode: 'enforce', maxAttest: 'A' });
    const sign = () => postJson(`${svc.url}/api/stir-shaken/sign`, { orig: { tn: '12125550123' }, dest: { tn: ['18001234567'] }, attest: 'A' }, { authorization: `Bearer ${acct.token}` });
    expect((await sign()).json.attest).toBe('B');
    await svc.node.store.addInventory(acct.account.id, [{ kind: 'prefix', prefix: '1212555' }]);
    await expect.poll(async () => (await sign()).json.attest, { timeout: 5000 }).toBe('A');
    await svc.node.store.removeInventory(acct.account.id, [{ kind: 'prefix', prefix: '1212555' }]);
    await expect.poll(async () => (await sign()).json.attest, { timeout: 5000 }).toBe('B');
  });

  it('records the applied level and the reason in the request log', async () => {
    const acct = await svc.provision({ policyMode: 'enforce', maxAttest: 'A', inventory: INVENTORY });
    await postJson(`${svc.url}/api/stir-shaken/sign`, { orig: { tn: '19995550000' }, dest: { tn: ['18001234567'] }, attest: 'A' }, { authorization: `Bearer ${acct.token}` });
    await expect
      .poll(async () => (await svc.node.store.queryRequestLog({ accountId: acct.account.id }))[0], { timeout: 5000 })
      .toMatchObject({ attestRequested: 'A', attestApplied: 'B', attestReason: 'tn-not-in-inventory' });
  });
});
