import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyIdentity } from '../grpc/support.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer, type SipReply } from '../helpers/sip-client.js';

/** The 302's Identity, verified with jose against the x5u it names: its claims. */
async function signedClaims(r: SipReply): Promise<Record<string, unknown>> {
  expect(r.status).toBe(302);
  const identity = r.headers.get('identity');
  expect(identity).toHaveLength(1);
  return verifyIdentity(identity![0]!);
}

/**
 * Oracle SBCs read `Attestation-Info` / `P-Attestation-Info` and `Origination-ID` / `P-Origination-ID` on the
 * INVITE they have signed (sti-config sti-signaling-attest-info-mandatory): the redirect server in sign mode
 * takes them as the request's attest and origid.
 */
describe('SIP sign mode reads Attestation-Info and Origination-ID', () => {
  for (const setting of ['reject', 'redirect'] as const) {
    describe(`sip.onSignFailure=${setting}`, () => {
      let svc: TestService;
      let uac: UdpPeer;
      const invite = (...extra: string[]) => uac.request(svc.node.sipPort!, sipRequest({ extra }));
      beforeAll(async () => {
        svc = await startTestService({ overrides: { 'sip.onSignFailure': setting } });
        // Trust mode, account maximum B: a request for A is capped, C is kept.
        await svc.provision({ defaultAttest: 'B', maxAttest: 'B', sipSource: '127.0.0.1' });
        uac = await UdpPeer.open();
      });
      afterAll(async () => {
        uac?.close();
        await svc?.stop();
      });

      it('signs at the attestation Attestation-Info asks for, and at its P- form', async () => {
        expect(await signedClaims(await invite('Attestation-Info: C'))).toMatchObject({ attest: 'C' });
        expect(await signedClaims(await invite('P-Attestation-Info: C'))).toMatchObject({ attest: 'C' });
      });

      it('caps Attestation-Info by policy as any request: A becomes the account maximum B', async () => {
        expect(await signedClaims(await invite('Attestation-Info: A'))).toMatchObject({ attest: 'B' });
      });

      it('prefers Attestation-Info to P-Attestation-Info, and X-Attestation to both', async () => {
        expect(await signedClaims(await invite('P-Attestation-Info: B', 'Attestation-Info: C'))).toMatchObject({ attest: 'C' });
        expect(await signedClaims(await invite('Attestation-Info: C', 'X-Attestation: B'))).toMatchObject({ attest: 'B' });
      });

      it('keeps the origid of Origination-ID (or P-Origination-ID), the plain name first', async () => {
        const [a, b] = [randomUUID(), randomUUID()];
        expect(await signedClaims(await invite(`Origination-ID: ${a}`))).toMatchObject({ origid: a });
        expect(await signedClaims(await invite(`P-Origination-ID: ${b}`))).toMatchObject({ origid: b });
        expect(await signedClaims(await invite(`P-Origination-ID: ${b}`, `Origination-ID: ${a}`, 'Attestation-Info: C'))).toMatchObject({ origid: a, attest: 'C' });
      });

      it('refuses an Origination-ID that is not a UUID, and an Attestation-Info that is not A, B or C, with a Reason', async () => {
        for (const [header, code] of [
          ['Origination-ID: 1234-not-a-uuid', 'ERR_REQ_ORIGID_INVALID'],
          ['P-Origination-ID: 00000000-0000-0000-0000-00000000000g', 'ERR_REQ_ORIGID_INVALID'],
          ['Attestation-Info: D', 'ERR_ATTEST_INVALID'],
        ] as const) {
          const r = await invite(header);
          // Under redirect a refusal still goes on to the Request-URI, without Identity: never silence.
          expect(r.status, header).toBe(setting === 'reject' ? 400 : 302);
          expect(r.headers.get('identity'), header).toBeUndefined();
          expect(r.headers.get('reason'), header).toEqual([`SIP;cause=400;text="${code}"`]);
        }
      });
    });
  }
});
