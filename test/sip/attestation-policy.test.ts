import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVENTORY, POLICY_CASES, policyCaseInvite, policyCaseTitle } from '../cases/policy-cases.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer } from '../helpers/sip-client.js';

/**
 * The attestation policy rows as INVITEs: each row's account owns its own loopback source address (an account
 * is told by where a call comes from), and its SIP source has the row's source kind.
 */
describe('attestation policy over SIP', () => {
  let svc: TestService;
  const peers: UdpPeer[] = [];
  beforeAll(async () => {
    svc = await startTestService({ overrides: { 'sip.onSignFailure': 'reject' } });
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await svc.stop();
  });

  POLICY_CASES.forEach((p, i) => {
    it(`${policyCaseTitle(p)} (SIP ${p.sip.status})`, async () => {
      const address = `127.0.1.${10 + i}`;
      const acct = await svc.provision({ policyMode: p.mode, sourceKind: p.source, defaultAttest: p.max, maxAttest: p.max, nonNumericOrig: p.nonNumeric, inventory: INVENTORY, sipSource: address });
      const uac = await UdpPeer.open(address);
      peers.push(uac);
      const r = await uac.request(svc.node.sipPort!, sipRequest(policyCaseInvite(p)));
      expect(r.status).toBe(p.sip.status);
      if ('cause' in p.sip) {
        expect(r.headers.get('identity')).toBeUndefined();
        expect(r.headers.get('reason')).toEqual([`SIP;cause=${p.sip.cause};text="ERR_ATTEST_REFUSED"`]);
        return;
      }
      if ('refused' in p.expect) throw new Error('a refused case answers with a Reason');
      const claims = JSON.parse(Buffer.from(r.headers.get('identity')![0]!.split('.')[1]!, 'base64url').toString());
      expect(claims.attest).toBe(p.expect.attest);
      // The reason is not on the wire: the request log has it, as for every transport.
      await expect
        .poll(async () => (await svc.node.store.queryRequestLog({ accountId: acct.account.id, transport: 'sip' }))[0], { timeout: 5000 })
        .toMatchObject({ attestApplied: p.expect.attest, attestReason: p.expect.reason });
    });
  });
});
