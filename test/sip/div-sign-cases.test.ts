import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIV_SIGN_CASES, ORIG_TN, expectSignedDiv, type DivAnswer, type DivCaller, type DivCaseContext } from '../cases/div-sign-cases.js';
import { divCaseInvite } from '../cases/div-sip-invite.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer, type SipReply } from '../helpers/sip-client.js';

const identities = (r: SipReply) => r.headers.get('identity') ?? [];
const claimsOf = (identity: string) => JSON.parse(Buffer.from(identity.split('.')[1]!, 'base64url').toString()) as Omit<DivAnswer, 'identity' | 'x5u'>;

/**
 * The shared div sign rows as a forwarding switch's INVITEs through a real redirect server (UDP), as
 * test/http/sign-div.test.ts and test/grpc/sign-div.test.ts run them.
 */
describe('shared div sign cases over SIP', () => {
  it('marks exactly the rows no INVITE can carry as n/a, each with its reason', async () => {
    // The builder reads the body's shape, never the PASSporTs in it: placeholders stand in for them here.
    const placeholders: DivCaseContext = {
      nowSec: Math.floor(Date.now() / 1000),
      shaken: async (dest) => `h.${dest.join('-')}.s;info=<https://cert.example.net/c.pem>;alg=ES256;ppt=shaken`,
      forwarded: async (_identity, dest) => `h.${dest.join('-')}.s;info=<https://cert.example.net/c.pem>;alg=ES256;ppt=div`,
    };
    for (const c of DIV_SIGN_CASES) {
      expect(divCaseInvite(await c.body(placeholders)) === undefined, c.title).toBe('na' in c.sip);
      if ('na' in c.sip) expect(c.sip.na.length, c.title).toBeGreaterThan(10);
    }
  });

  for (const setting of ['reject', 'redirect'] as const) {
    describe(`sip.onSignFailure=${setting}`, () => {
      let svc: TestService;
      let trust: Provisioned;
      let ctx: DivCaseContext;
      /** One switch per caller, told apart by its source address as the redirect server identifies callers. */
      const switches = {} as Record<DivCaller, UdpPeer>;
      const accounts = {} as Record<Exclude<DivCaller, 'bad-key'>, Provisioned>;

      beforeAll(async () => {
        svc = await startTestService({ overrides: { 'sip.onSignFailure': setting } });
        trust = accounts.trust = await svc.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.1' });
        accounts.enforce = await svc.provision({ policyMode: 'enforce', inventory: [{ kind: 'tn', tn: '18001234567' }], sipSource: '127.0.0.2' });
        accounts['enforce-gateway'] = await svc.provision({ policyMode: 'enforce', sourceKind: 'gateway', sipSource: '127.0.0.3' });
        // 127.0.0.9 belongs to no account: the SIP stranger, as an unknown key is over HTTP and gRPC.
        for (const [caller, address] of [['trust', '127.0.0.1'], ['enforce', '127.0.0.2'], ['enforce-gateway', '127.0.0.3'], ['bad-key', '127.0.0.9']] as const) {
          switches[caller] = await UdpPeer.open(address);
        }
        ctx = {
          nowSec: Math.floor(Date.now() / 1000),
          // Over HTTP on the same node: an INVITE names one called party, and rows need a shaken to two numbers.
          shaken: async (dest) => (await postJson(`${svc.url}/api/stir-shaken/sign`, { orig: { tn: ORIG_TN }, dest: { tn: dest } }, { authorization: `Bearer ${trust.token}` })).json.identity,
          // A first hop over SIP itself: the div the redirect server adds to the call's Identity headers.
          forwarded: async (identity, dest) => {
            const r = await switches.trust.request(svc.node.sipPort!, sipRequest(divCaseInvite({ identity, dest: { tn: dest } })));
            if (r.status !== 302 || identities(r).length !== identity.length + 1) throw new Error(`the first hop was not signed: ${r.status} ${r.headers.get('reason')}`);
            return identities(r).at(-1)!;
          },
        };
      });
      afterAll(async () => {
        for (const peer of Object.values(switches)) peer.close();
        await svc?.stop();
      });

      for (const c of DIV_SIGN_CASES) {
        if ('na' in c.sip) continue;
        const answer = c.sip;
        it(`${c.title} (SIP ${answer.status}${'cause' in answer ? `, Reason cause ${answer.cause}` : ''})`, async () => {
          const body = (await c.body(ctx)) as { identity: string[] };
          const invite = divCaseInvite(body)!;
          const r = await switches[c.caller ?? 'trust'].request(svc.node.sipPort!, sipRequest(invite));
          if (c.outcome.ok) {
            expect(r.status).toBe(302);
            expect(r.headers.get('reason')).toBeUndefined();
            // The call goes on to the number called now, with every Identity it arrived with, as received and in order, then the div.
            expect(r.headers.get('contact')).toEqual([`<${invite.uri}>`]);
            const now = identities(r);
            expect(now.slice(0, -1)).toEqual(body.identity);
            expect(now).toHaveLength(body.identity.length + 1);
            const signer = accounts[c.caller === undefined || c.caller === 'bad-key' ? 'trust' : c.caller];
            // The header's own claims as the answer: the expected x5u is the account's, so the info parameter is checked.
            const div = now.at(-1)!;
            await expectSignedDiv({ identity: div, ...claimsOf(div), x5u: signer.x5u }, signer.pki.leaf.certPem, c.outcome, body);
            return;
          }
          if (!('cause' in answer)) throw new Error(`${c.title}: a refusal needs a Reason cause`);
          // Under redirect the refusal still goes on to the Request-URI, without the div: never silence. A caller
          // the server cannot tell (ERR_AUTH_*) goes nowhere under either setting.
          const goesOn = setting === 'redirect' && !c.outcome.code.startsWith('ERR_AUTH_');
          expect(r.status).toBe(goesOn ? 302 : answer.status);
          expect(r.headers.get('contact')).toEqual(goesOn ? [`<${invite.uri}>`] : undefined);
          expect(r.headers.get('identity')).toBeUndefined();
          expect(r.headers.get('reason')).toEqual([`SIP;cause=${answer.cause};text="${c.outcome.code}"`]);
        });
      }
    });
  }
});
