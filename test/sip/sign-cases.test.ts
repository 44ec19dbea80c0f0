import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_CASES } from '../cases/sign-cases.js';
import { signCaseInvite } from '../cases/sip-invite.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer, type SipReply } from '../helpers/sip-client.js';

const claims = (r: SipReply) => JSON.parse(Buffer.from(r.headers.get('identity')![0]!.split('.')[1]!, 'base64url').toString());

/** The shared sign cases as INVITEs through a real redirect server (UDP), as test/http and test/grpc run them. */
describe('shared sign cases over SIP', () => {
  it('marks exactly the cases no INVITE can carry as n/a, each with its reason', () => {
    for (const c of SIGN_CASES) {
      expect(signCaseInvite(c.body, c.headerAttest) === undefined, c.title).toBe('na' in c.sip);
      if ('na' in c.sip) expect(c.sip.na.length, c.title).toBeGreaterThan(10);
    }
  });

  for (const setting of ['reject', 'redirect'] as const) {
    describe(`sip.onSignFailure=${setting}`, () => {
      let svc: TestService;
      let uac: UdpPeer;
      beforeAll(async () => {
        svc = await startTestService({ overrides: { 'sip.onSignFailure': setting } });
        await svc.provision({ defaultAttest: 'B', maxAttest: 'B', sipSource: '127.0.0.1' });
        uac = await UdpPeer.open();
      });
      afterAll(async () => {
        uac.close();
        await svc.stop();
      });

      for (const c of SIGN_CASES) {
        if ('na' in c.sip) continue;
        const answer = c.sip;
        it(`${c.title} (SIP ${answer.status}${'cause' in answer ? `, Reason cause ${answer.cause}` : ''})`, async () => {
          const r = await uac.request(svc.node.sipPort!, sipRequest(signCaseInvite(c.body, c.headerAttest)));
          if (c.outcome.ok) {
            expect(r.status).toBe(302);
            expect(claims(r).attest).toBe(c.outcome.attest);
            expect(r.headers.get('reason')).toBeUndefined();
            return;
          }
          if (!('cause' in answer)) throw new Error(`${c.title}: a refusal needs a Reason cause`);
          // Under redirect the refusal still goes on to the Request-URI, without Identity: never silence.
          expect(r.status).toBe(setting === 'reject' ? answer.status : 302);
          expect(r.headers.get('identity')).toBeUndefined();
          expect(r.headers.get('reason')).toEqual([`SIP;cause=${answer.cause};text="${c.outcome.code}"`]);
        });
      }
    });
  }
});
