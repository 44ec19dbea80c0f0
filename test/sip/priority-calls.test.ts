import { verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { compactVerify, importX509 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer, type SipReply } from '../helpers/sip-client.js';

const identities = (r: SipReply) => r.headers.get('identity') ?? [];
const part = (identity: string, i: 0 | 1) => JSON.parse(Buffer.from(identity.split(';')[0]!.split('.')[i]!, 'base64url').toString()) as Record<string, unknown>;

/**
 * A priority call through the SIP redirect server in sign mode (RFC 8443 §5): an INVITE with Resource-Priority in
 * namespaces the account was granted gets a 302 with the shaken Identity and, beside it, an rph Identity.
 */
describe('SIP sign mode: priority calls (Resource-Priority → rph Identity)', () => {
  let svc: TestService;
  let granted: Provisioned;
  let plain: Provisioned;
  let grantedPbx: UdpPeer;
  let plainPbx: UdpPeer;

  beforeAll(async () => {
    svc = await startTestService({ sip: true });
    granted = await svc.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.1', rphNamespaces: ['ets', 'esnet'] });
    plain = await svc.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.2' });
    grantedPbx = await UdpPeer.open('127.0.0.1');
    plainPbx = await UdpPeer.open('127.0.0.2');
  });
  afterAll(async () => {
    grantedPbx?.close();
    plainPbx?.close();
    await svc?.stop();
  });

  it('answers 302 with the shaken Identity and an rph Identity for the granted Resource-Priority values, both verifiable on their own', async () => {
    const r = await grantedPbx.request(svc.node.sipPort!, sipRequest({ extra: ['Resource-Priority: ETS.0'] }));
    expect(r.status).toBe(302);
    const [shaken, rph, ...more] = identities(r);
    expect(more).toEqual([]);
    expect(shaken).toMatch(/;ppt=shaken$/);
    expect(rph).toMatch(new RegExp(`;info=<${granted.x5u.replace(/[.?]/g, '\\$&')}>;alg=ES256;ppt=rph$`));
    expect(part(rph!, 0)).toEqual({ alg: 'ES256', ppt: 'rph', typ: 'passport', x5u: granted.x5u });
    const s = part(shaken!, 1);
    const claims = part(rph!, 1);
    // RFC 8443 §3: the rph claims the call's parties and time, as the shaken one does, and the priority asked for.
    expect(claims).toEqual({ dest: s.dest, iat: s.iat, orig: s.orig, rph: { auth: ['ets.0'] } });
    expect(Object.keys(claims)).toEqual(['dest', 'iat', 'orig', 'rph']);
    const jws = rph!.split(';')[0]!;
    const { protectedHeader } = await compactVerify(jws, await importX509(granted.pki.leaf.certPem, 'ES256'));
    expect(protectedHeader.ppt).toBe('rph');
    const [h, p, sig] = jws.split('.') as [string, string, string];
    expect(cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key: new X509Certificate(granted.pki.leaf.certPem).publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'))).toBe(true);
  });

  it('signs sph psap-callback for a PSAP call-back (Priority: psap-callback, RFC 9027 §4) and every value of a repeated Resource-Priority', async () => {
    const r = await grantedPbx.request(svc.node.sipPort!, sipRequest({ extra: ['Resource-Priority: esnet.0', 'Resource-Priority: ets.1', 'Priority: psap-callback'] }));
    expect(r.status).toBe(302);
    expect(identities(r)).toHaveLength(2);
    expect(part(identities(r)[1]!, 1)).toMatchObject({ rph: { auth: ['esnet.0', 'ets.1'] }, sph: 'psap-callback' });
  });

  it('still signs and routes the call, without an rph, when a namespace was not granted, and logs the refused rph', async () => {
    for (const [pbx, acct, value] of [[grantedPbx, granted, 'ets.0, wps.0'], [plainPbx, plain, 'ets.0']] as const) {
      const r = await pbx.request(svc.node.sipPort!, sipRequest({ extra: [`Resource-Priority: ${value}`] }));
      expect(r.status).toBe(302);
      expect(identities(r)).toHaveLength(1);
      expect(identities(r)[0]).toMatch(/;ppt=shaken$/);
      await expect
        .poll(async () => (await svc.node.store.queryRequestLog({ accountId: acct.account.id, passport: 'rph', outcome: 'error' })).map((x) => `${x.transport}:${x.errorCode}`), { timeout: 5000 })
        .toContain('sip:ERR_ATTEST_REFUSED');
    }
  });

  it('leaves a call without Resource-Priority as it was: one shaken Identity', async () => {
    const r = await grantedPbx.request(svc.node.sipPort!, sipRequest());
    expect(r.status).toBe(302);
    expect(identities(r)).toHaveLength(1);
    expect(r.headers.get('resource-priority')).toBeUndefined();
  });
});
