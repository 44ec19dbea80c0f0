import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCallPassports, type CallPassportsRequest } from '../../server/core/div/verify-call-passports.js';
import type { CallPassportsVerdict } from '../../server/core/div/passport-set.js';
import { callVerifyResult } from '../../server/core/verify/call-result.js';
import type { CallerContext } from '../../server/core/types.js';
import { FakeClock, servedSigner, type CoreFixture } from '../helpers/core-fixture.js';
import { CertServer, handJws, identityOf, testVerifier, type TestVerifier } from '../verify/support.js';

const CALLER = '14045266060';
const CALLED = '12025550199';

function as(f: CoreFixture): CallerContext {
  return { accountId: f.account.id, sourceKind: 'customer', transport: 'cli' };
}

/**
 * Real signers (each its own STI-CA root), a real HTTPS certificate repository on loopback and the real verifier:
 * a priority call carries a shaken and an rph PASSporT (RFC 8443), each judged on its own, the rph then against the call.
 */
describe('verifying a priority call: shaken plus rph PASSporT (RFC 8443)', () => {
  let server: CertServer;
  let origin: CoreFixture;
  let other: CoreFixture;
  let tv: TestVerifier;

  beforeAll(async () => {
    server = await CertServer.start();
    const clock = new FakeClock(Date.now());
    const make = (name: string) => servedSigner(server, clock, name, { rphNamespaces: ['ets', 'wps', 'esnet'] });
    origin = await make('origin');
    // Another provider whose root the verifier does not trust.
    other = await make('other');
    tv = testVerifier(server, [origin.pki.root.certPem], { clock: new FakeClock(clock.ms) });
  });
  afterAll(() => server.stop());

  const shaken = async (orig = CALLER, dest = CALLED) => (await origin.signing.signAs(as(origin), { orig: { tn: orig }, dest: { tn: [dest] }, attest: 'A' })).identity;
  const rph = async (auth: string[], by = origin, orig = CALLER, dest: { tn?: string[]; uri?: string[] } = { tn: [CALLED] }, sph?: string) =>
    (await by.signing.signRph(as(by), { orig: { tn: orig }, dest, rph: { auth }, ...(sph ? { sph } : {}) })).identity;
  const check = (identity: string[], extra: Partial<CallPassportsRequest> = {}): Promise<CallPassportsVerdict> =>
    verifyCallPassports(tv.verifier, { identity, calledTn: CALLED, origTn: CALLER, ...extra });

  it('judges the rph on its own and reports its auth values as authorised when it agrees with the shaken PASSporT', async () => {
    const v = await check([await shaken(), await rph(['ETS.0', 'wps.1'])], { resourcePriority: ['ets.0', 'wps.1', 'dsn.flash'] });
    expect(v).toMatchObject({ verstat: 'TN-Validation-Passed', ok: true, chain: [0], problems: [] });
    expect(v.passports[1]).toMatchObject({ kind: 'rph', ppt: 'rph', result: { ok: true, value: { auth: ['ets.0', 'wps.1'] } }, rph: { agreesWithShaken: true, agreesWithCaller: true, authorizes: true } });
    expect(v.priority).toEqual({ authorized: ['ets.0', 'wps.1'], unauthorized: ['dsn.flash'] });
    // The result a transport writes keeps the passports[] entry shape and adds the rph report and the call's priority.
    const r = callVerifyResult(v, true);
    expect(r).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', call: { passports: [{ kind: 'shaken', ok: true }, { kind: 'rph', ok: true, verstat: 'TN-Validation-Passed', rph: { auth: ['ets.0', 'wps.1'], authorizes: true } }], priority: { authorized: ['ets.0', 'wps.1'] } } });
  });

  it('carries sph psap-callback through (RFC 9027 §4) and accepts an rph dest of urn:service:sos for a 911 call', async () => {
    const v = await check([await shaken(CALLER, '911'), await rph(['esnet.1'], origin, CALLER, { uri: ['urn:service:sos'] }, 'psap-callback')], { calledTn: '911' });
    expect(v.passports[1]).toMatchObject({ result: { ok: true }, rph: { agreesWithShaken: true, authorizes: true } });
    expect(v.priority).toEqual({ authorized: ['esnet.1'], sph: 'psap-callback' });
  });

  it('gives no priority for a tampered rph, and leaves the valid shaken call passed (verstat is about the number)', async () => {
    const good = await rph(['wps.4']);
    const [jws, ...params] = good.split(';');
    const [h, p, s] = jws!.split('.') as [string, string, string];
    const raised = Buffer.from(Buffer.from(p, 'base64url').toString().replace('"wps.4"', '"ets.0"')).toString('base64url');
    const v = await check([await shaken(), [`${h}.${raised}.${s}`, ...params].join(';')], { resourcePriority: ['ets.0'] });
    expect(v).toMatchObject({ verstat: 'TN-Validation-Passed', ok: true });
    expect(v.passports[1]).toMatchObject({ kind: 'rph', result: { ok: false, reason: 'signature_invalid' }, rph: { authorizes: false, agreesWithShaken: null } });
    expect(v.priority).toEqual({ authorized: [], unauthorized: ['ets.0'] });
    // The report still names what the failed rph claimed, as received.
    expect(callVerifyResult(v, true).call?.passports[1]).toMatchObject({ ok: false, reason: 'signature_invalid', rph: { auth: ['ets.0'], authorizes: false } });
  });

  it('gives no priority for an rph from a PKI the verifier does not trust', async () => {
    const v = await check([await shaken(), await rph(['ets.0'], other)]);
    expect(v).toMatchObject({ verstat: 'TN-Validation-Passed', passports: [{}, { result: { ok: false, reason: 'cert_untrusted' }, rph: { authorizes: false } }], priority: { authorized: [] } });
  });

  it('gives no priority for a valid rph about another call (orig or dest not the shaken PASSporT\'s), nor for one whose orig is not the caller', async () => {
    const otherCaller = await check([await shaken(), await rph(['ets.0'], origin, '13035550100')]);
    expect(otherCaller.passports[1]).toMatchObject({ result: { ok: true }, rph: { agreesWithShaken: false, agreesWithCaller: false, authorizes: false } });
    expect(otherCaller.priority?.authorized).toEqual([]);
    const otherDest = await check([await shaken(), await rph(['ets.0'], origin, CALLER, { tn: ['13035550199'] })]);
    expect(otherDest.passports[1]).toMatchObject({ rph: { agreesWithShaken: false, agreesWithCaller: true, authorizes: false } });
  });

  it('judges a lone rph against the caller only: the call has no shaken PASSporT (No-TN-Validation) yet its priority is vouched for', async () => {
    const v = await check([await rph(['ets.0'])]);
    expect(v).toMatchObject({ verstat: 'No-TN-Validation', problems: [{ reason: 'no_shaken' }], passports: [{ kind: 'rph', rph: { agreesWithShaken: null, agreesWithCaller: true, authorizes: true } }] });
    expect(v.priority).toEqual({ authorized: ['ets.0'] });
  });

  it('fails an rph whose claims are not RFC 8443\'s: no rph claim, an auth that is not r-values, an sph other than psap-callback', async () => {
    const key = origin.pki.leaf.keyPem;
    const x5u = origin.dir.credentials[0]!.x5u;
    const header = JSON.stringify({ alg: 'ES256', ppt: 'rph', typ: 'passport', x5u });
    const iat = Math.floor(tv.clock.ms / 1000);
    const base = { dest: { tn: [CALLED] }, iat, orig: { tn: CALLER } };
    for (const [claims, reason] of [
      [base, 'claims_missing'],
      [{ ...base, rph: { auth: ['ets'] } }, 'claims_invalid'],
      [{ ...base, rph: { auth: [] } }, 'claims_invalid'],
      [{ ...base, rph: { auth: ['ets.0'] }, sph: 'urgent' }, 'claims_invalid'],
    ] as const) {
      const ident = identityOf(handJws(key, header, JSON.stringify(claims)), x5u, ';alg=ES256;ppt=rph');
      const v = await check([await shaken(), ident]);
      expect(v.passports[1], JSON.stringify(claims)).toMatchObject({ result: { ok: false, reason }, rph: { authorizes: false } });
      expect(v.verstat).toBe('TN-Validation-Passed');
    }
  });
});
