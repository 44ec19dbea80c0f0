import { X509Certificate, verify as cryptoVerify } from 'node:crypto';
import { compactVerify, importX509 } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallerContext } from '../../server/core/types.js';
import { coreFixture, FakeClock, X5U, type CoreFixture } from '../helpers/core-fixture.js';

function caller(f: CoreFixture): CallerContext {
  return { accountId: f.account.id, apiKeyId: 'key_00000000000000aa', sourceKind: 'customer', transport: 'http' };
}

/** Grant the account rph namespaces, as an operator does; the signer's account cache is dropped like after a store change. */
function grant(f: CoreFixture, namespaces: string[]): void {
  f.dir.accounts.set(f.account.id, { ...f.account, rphNamespaces: namespaces });
  f.signing.invalidate();
}

describe('signing an rph PASSporT (RFC 8443)', () => {
  let f: CoreFixture;
  const input = { orig: { tn: '+1 404 526 6060' }, dest: { tn: ['1-202-555-0199'] }, rph: { auth: ['ETS.0', 'wps.1'] } };

  beforeEach(async () => {
    f = await coreFixture({ clock: new FakeClock(Date.now()) });
  });

  it('is refused for an account without the right, and logged as a refused rph sign', async () => {
    await expect(f.signing.signRph(caller(f), input)).rejects.toMatchObject({ code: 'ERR_ATTEST_REFUSED', field: 'rph.auth' });
    expect(f.dir.log.at(-1)).toMatchObject({ kind: 'sign', outcome: 'error', errorCode: 'ERR_ATTEST_REFUSED', passports: 'rph' });
  });

  it('is refused for a namespace the account was not granted', async () => {
    grant(f, ['ets']);
    await expect(f.signing.signRph(caller(f), input)).rejects.toMatchObject({ code: 'ERR_ATTEST_REFUSED', reason: expect.stringContaining('wps') });
  });

  it('emits header ppt rph, sorted canonical claims (r-values lower-cased) and an Identity header with ppt=rph', async () => {
    grant(f, ['ets', 'wps']);
    const r = await f.signing.signRph(caller(f), { ...input, sph: 'psap-callback' });
    const [h, p, s] = r.passport.split('.') as [string, string, string];
    expect(Buffer.from(h, 'base64url').toString()).toBe(`{"alg":"ES256","ppt":"rph","typ":"passport","x5u":"${X5U}"}`);
    const iat = Math.floor(f.clock.ms / 1000);
    expect(Buffer.from(p, 'base64url').toString()).toBe(`{"dest":{"tn":["12025550199"]},"iat":${iat},"orig":{"tn":"14045266060"},"rph":{"auth":["ets.0","wps.1"]},"sph":"psap-callback"}`);
    expect(r.identity).toBe(`${r.passport};info=<${X5U}>;alg=ES256;ppt=rph`);
    // Independent checks: jose, and node:crypto alone over the JWS signing input.
    const { protectedHeader } = await compactVerify(r.passport, await importX509(f.pki.leaf.certPem, 'ES256'));
    expect(protectedHeader.ppt).toBe('rph');
    const key = new X509Certificate(f.pki.leaf.certPem).publicKey;
    expect(cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))).toBe(true);
    expect(f.dir.log.at(-1)).toMatchObject({ kind: 'sign', outcome: 'ok', passports: 'rph', orig: '14045266060', dest: '12025550199' });
  });

  it('signs an esnet call to urn:service:sos (RFC 9027 §3: dest is the dial string or the emergency service URN), and no other URN', async () => {
    grant(f, ['esnet']);
    const r = await f.signing.signRph(caller(f), { orig: { tn: '12155551212' }, dest: { uri: ['URN:service:sos'] }, rph: { auth: ['esnet.1'] } });
    expect(r.claims.dest).toEqual({ uri: ['urn:service:sos'] });
    const both = await f.signing.signRph(caller(f), { orig: { tn: '12155551212' }, dest: { tn: ['911'], uri: ['urn:service:sos.police'] }, rph: { auth: ['esnet.1'] } });
    expect(both.claims.dest).toEqual({ tn: ['911'], uri: ['urn:service:sos.police'] });
    await expect(f.signing.signRph(caller(f), { orig: { tn: '12155551212' }, dest: { uri: ['urn:service:counseling'] }, rph: { auth: ['esnet.1'] } })).rejects.toMatchObject({ code: 'ERR_URI_INVALID', field: 'dest.uri[0]' });
  });

  it.each([
    [{ ...input, rph: undefined }, 'ERR_REQ_FIELD_MISSING', 'rph'],
    [{ ...input, rph: ['ets.0'] }, 'ERR_REQ_FIELD_INVALID', 'rph'],
    [{ ...input, rph: { auth: [] } }, 'ERR_REQ_FIELD_INVALID', 'rph.auth'],
    [{ ...input, rph: { auth: ['ets'] } }, 'ERR_REQ_FIELD_INVALID', 'rph.auth[0]'],
    [{ ...input, rph: { auth: ['ets.0', 'bad value.1'] } }, 'ERR_REQ_FIELD_INVALID', 'rph.auth[1]'],
    [{ ...input, sph: 'urgent' }, 'ERR_REQ_FIELD_INVALID', 'sph'],
  ])('refuses a malformed request (%#)', async (body, code, field) => {
    grant(f, ['ets', 'wps']);
    await expect(f.signing.signRph(caller(f), body)).rejects.toMatchObject({ code, field });
  });
});
