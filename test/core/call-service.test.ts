import { beforeEach, describe, expect, it } from 'vitest';
import type { Call, CallPolicy } from '../../server/core/call/call.js';
import type { CallService } from '../../server/core/call/call-service.js';
import { parseTrustAnchors, staticTrustSource } from '../../server/core/verify/trust-anchors.js';
import { createVerifier } from '../../server/core/verify/verify-service.js';
import type { Directory } from '../../server/core/ports.js';
import { fixtureCallService } from '../helpers/call-fixture.js';
import { coreFixture, FakeClock, type CoreFixture } from '../helpers/core-fixture.js';

const POLICY: CallPolicy = { maxDateSkewSec: 60, routeUnsigned: true, routeFailedVerification: true, requireIdentity: false };
const PBX = '192.0.2.10';

/** A call from the account's trunk, PAI → To, as a SIP INVITE would carry it. */
function call(extra: Partial<Call> = {}): Call {
  return {
    token: undefined,
    sourceAddress: PBX,
    transport: 'sip',
    from: '<sip:14045266060@pbx.example.net>;tag=1',
    to: '<sip:18005551234@carrier.example.net>',
    requestUri: 'sip:18005551234@carrier.example.net',
    ...extra,
  };
}

describe('the call service', () => {
  let f: CoreFixture;
  let resolved: number;
  const service = (policy: Partial<CallPolicy> = {}): CallService => fixtureCallService(f, { ...POLICY, ...policy });

  beforeEach(async () => {
    // The test PKI's root and intermediate are valid from the real now on.
    f = await coreFixture({ maxAttest: 'A', defaultAttest: 'A', clock: new FakeClock(Date.now()) });
    (f.dir as Directory).listSipSources = async () => [{ accountId: f.account.id, cidr: `${PBX}/32`, sourceKind: 'customer' }];
    (f.dir as Directory).listRoutingRules = async () => [{ id: 'r1', accountId: f.account.id, prefix: '1800', target: 'sip:tollfree.example.net', priority: 10 }];
    resolved = 0;
    const resolve = f.signing.sources.resolve.bind(f.signing.sources);
    f.signing.sources.resolve = (address, transport) => {
      resolved++;
      return resolve(address, transport);
    };
  });

  describe('signing', () => {
    it('signs PAI → To and routes by the rules, identifying the caller once', async () => {
      const r = await service().signCall(call({ pai: '<tel:+1-404-526-6061>' }));
      expect(r).toMatchObject({ outcome: 'signed', accountId: f.account.id, routes: [{ uri: 'sip:tollfree.example.net', priority: 10 }] });
      if (r.outcome !== 'signed') throw new Error(r.outcome);
      expect(r.signed).toMatchObject({ attest: 'A', dest: { tn: ['18005551234'] } });
      expect(JSON.parse(Buffer.from(r.signed.passport.split('.')[1]!, 'base64url').toString()).orig).toEqual({ tn: '14045266061' });
      expect(resolved).toBe(1);
    });

    it('signs for the Request-URI number when To holds none', async () => {
      const r = await service().signCall(call({ to: '"Sales" <sip:sales@carrier.example.net>', requestUri: 'sip:+18005550199@carrier.example.net;user=phone' }));
      expect(r.outcome === 'signed' && r.signed.dest).toEqual({ tn: ['18005550199'] });
    });

    it('takes iat from the Date and refuses an unreadable Date as ERR_REQ_IAT_INVALID, with the account and its routes', async () => {
      const sec = Math.floor(f.clock.ms / 1000) - 30;
      const dated = await service().signCall(call({ date: { readable: true, sec } }));
      expect(dated.outcome === 'signed' && dated.signed.iat).toBe(sec);
      const r = await service().signCall(call({ date: { readable: false } }));
      expect(r).toMatchObject({ outcome: 'refused', accountId: f.account.id, routes: [{ uri: 'sip:tollfree.example.net' }], error: { code: 'ERR_REQ_IAT_INVALID' } });
      expect(f.dir.log.at(-1)).toMatchObject({ kind: 'sign', outcome: 'error', errorCode: 'ERR_REQ_IAT_INVALID', accountId: f.account.id });
    });

    it('refuses a Date further than maxDateSkewSec as stale, and gives no routes when unsigned calls are not sent on', async () => {
      const r = await service({ routeUnsigned: false }).signCall(call({ date: { readable: true, sec: Math.floor(f.clock.ms / 1000) - 61 } }));
      expect(r).toEqual({ outcome: 'refused', accountId: f.account.id, routes: [], error: expect.objectContaining({ code: 'ERR_REQ_IAT_STALE' }) });
      expect(resolved).toBe(1);
    });

    it('refuses a stranger with no account and no routes, and a disabled account with no routes', async () => {
      const stranger = await service().signCall(call({ sourceAddress: '198.51.100.1' }));
      expect(stranger).toMatchObject({ outcome: 'refused', accountId: undefined, routes: [], error: { code: 'ERR_AUTH_INVALID' } });
      f.dir.accounts.get(f.account.id)!.enabled = false;
      f.signing.invalidate();
      const disabled = await service().signCall(call());
      expect(disabled).toMatchObject({ outcome: 'refused', routes: [], error: { code: 'ERR_AUTH_ACCOUNT_DISABLED' } });
    });

    it('refuses a call with nowhere to go: no rule and a tel: Request-URI', async () => {
      const r = await service().signCall(call({ to: '<sip:12125550100@carrier.example.net>', requestUri: 'tel:+12125550100' }));
      expect(r).toMatchObject({ outcome: 'refused', accountId: f.account.id, routes: [], error: { code: 'ERR_URI_INVALID' } });
    });

    it('refuses a Request-URI that cannot be a Contact before signing, routing by the rules only', async () => {
      const r = await service().signCall(call({ requestUri: 'sip:18005551234@carrier.example.net;x="<evil>"' }));
      expect(r).toMatchObject({ outcome: 'refused', accountId: f.account.id, routes: [{ uri: 'sip:tollfree.example.net' }], error: { code: 'ERR_URI_INVALID', field: 'requestUri' } });
      expect(f.dir.log).toEqual([]);
    });
  });

  describe('verification', () => {
    const identity = async () => (await f.signing.handle({ token: f.token, transport: 'http', input: { orig: { tn: '14045266060' }, dest: { tn: ['18005551234'] } } })).identity;

    it('passes a good header: verstat for the canonical calling number, routes, one identification', async () => {
      const id = await identity();
      resolved = 0;
      const r = await service().verifyCall(call({ identities: [id], pai: '"A" <sip:+1-404-526-6060@pbx.example.net;user=phone>' }));
      expect(r).toMatchObject({ outcome: 'verified', accountId: f.account.id, callingTn: '14045266060', verdict: { verstat: 'TN-Validation-Passed' }, routes: [{ uri: 'sip:tollfree.example.net' }] });
      expect(r.outcome === 'verified' && r.verified.ok).toBe(true);
      expect(resolved).toBe(1);
    });

    it('fails a header for another caller with its SIP code, and stops it when failed calls are not sent on', async () => {
      const id = await identity();
      const r = await service({ routeFailedVerification: false }).verifyCall(call({ identities: [id], from: '<sip:14045269999@pbx.example.net>' }));
      expect(r).toMatchObject({ outcome: 'verify-failed', callingTn: '14045269999', verdict: { verstat: 'No-TN-Validation', failure: { sip: 438, stop: true } }, routes: [] });
    });

    it('cannot validate a callee that is not a number: No-TN-Validation with 438, and the verification is logged', async () => {
      const r = await service().verifyCall(call({ identities: [await identity()], to: '<sip:sales@carrier.example.net>' }));
      expect(r).toMatchObject({ outcome: 'unverifiable', verdict: { verstat: 'No-TN-Validation', failure: { sip: 438, stop: false } }, error: { code: 'ERR_TN_INVALID' } });
      // Routed for the number called now, the Request-URI's (a forwarded call's To still holds the first number).
      expect(r.routes).toEqual([{ uri: 'sip:tollfree.example.net', priority: 10 }]);
      expect(f.dir.log.at(-1)).toMatchObject({ kind: 'verify', errorCode: 'ERR_TN_INVALID', accountId: f.account.id });
    });

    it('without Identity: No-TN-Validation and routed, or identity-required before the caller is even looked at', async () => {
      expect(await service().verifyCall(call())).toMatchObject({ outcome: 'no-identity', verdict: { verstat: 'No-TN-Validation' }, callingTn: '14045266060' });
      resolved = 0;
      expect(await service({ requireIdentity: true }).verifyCall(call({ sourceAddress: '198.51.100.1' }))).toEqual({ outcome: 'identity-required', accountId: undefined, routes: [] });
      expect(resolved).toBe(0);
    });

    it('refuses a stranger whether or not the call carries Identity', async () => {
      const id = await identity();
      for (const identities of [undefined, [id]]) {
        expect(await service().verifyCall(call({ sourceAddress: '198.51.100.1', identities }))).toMatchObject({ outcome: 'refused', accountId: undefined, routes: [], error: { code: 'ERR_AUTH_INVALID' } });
      }
    });
  });
});

describe('identify, shared by signing and verification', () => {
  it('lets the verifier recall a key that passed instead of checking it again, and logs a refused genuine key against its account', async () => {
    const f = await coreFixture();
    const verifier = createVerifier({
      fetcher: { fetch: async () => ({ ok: false, failure: 'unreachable', detail: 'offline' }) },
      trust: staticTrustSource(parseTrustAnchors([{ name: 'root', text: f.pki.root.certPem }], 1)),
      clock: f.clock,
      authenticator: f.signing.authenticator,
      log: f.dir,
      options: { maxAgeSec: 60, crlPolicy: 'off' },
    });
    let checked = 0;
    const authenticate = f.signing.authenticator.authenticate.bind(f.signing.authenticator);
    f.signing.authenticator.authenticate = (...args) => {
      checked++;
      return authenticate(...args);
    };
    const verify = () => verifier.handle({ token: f.token, transport: 'http', input: { identity: 'garbage' } });
    await verify();
    await verify();
    expect(checked).toBe(1);
    expect(f.dir.log.at(-1)).toMatchObject({ kind: 'verify', accountId: f.account.id, apiKeyId: 'key_00000000000000aa' });
    f.dir.apiKeys.get('key_00000000000000aa')!.revokedAt = new Date();
    f.signing.invalidate();
    await expect(verify()).rejects.toMatchObject({ code: 'ERR_AUTH_REVOKED' });
    expect(f.dir.log.at(-1)).toMatchObject({ kind: 'verify', outcome: 'error', errorCode: 'ERR_AUTH_REVOKED', accountId: f.account.id, apiKeyId: 'key_00000000000000aa' });
  });
});
