import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer, type SipReply } from '../helpers/sip-client.js';
import { CertServer } from '../verify/support.js';

const ADMIN = 'admin-token-for-rcd-sip-sign-0123456789abc';
const LOGO = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const h = (r: SipReply, name: string) => r.headers.get(name.toLowerCase())?.map((v) => Buffer.from(v, 'latin1').toString('utf8'));
const claimsOf = (identity: string) => JSON.parse(Buffer.from(identity.split('.')[1]!, 'base64url').toString());

/**
 * RFC 9796 in sign mode: the PBX's INVITE asks for its brand with Call-Info (logo, call reason) and the calling
 * party's display name; the node signs it only as a vetted RCD profile allows, and the 302 carries the PASSporT(s)
 * and the Call-Info of what was signed.
 */
describe('SIP redirect server (sign mode): Rich Call Data from Call-Info', () => {
  let svc: TestService;
  let pbx: Provisioned;
  let content: CertServer;
  let uac: UdpPeer;
  let logo: string;

  /** The client writes latin1 (a byte per char): UTF-8 text goes over as its bytes, as a SIP UA sends it. */
  const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
  const invite = (pai: string, callInfo?: string) =>
    uac.request(svc.node.sipPort!, sipRequest({ pai: wire(pai), via: `127.0.0.1:${uac.port}`, extra: callInfo === undefined ? [] : [`Call-Info: ${wire(callInfo)}`] }));

  beforeAll(async () => {
    content = await CertServer.start();
    logo = content.serve('/logo.png', LOGO, { 'content-type': 'image/png' });
    svc = await startTestService({ sip: true, tlsCa: content.tlsCaPem, overrides: { adminToken: ADMIN, 'verify.allowPrivateAddresses': true } });
    pbx = await svc.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.1' });
    for (const body of [
      { rcd: { nam: 'Crédit Exemple', icn: logo }, crn: ['Fraud alert'], tns: ['14045266060'] },
      { rcd: { nam: 'Plain Brand' }, crn: ['Delivery'], tns: ['14045266061'], placement: 'rcd' },
    ]) {
      const res = await fetch(`${svc.url}/api/admin/accounts/${pbx.account.id}/rcd-profiles`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(201);
    }
    uac = await UdpPeer.open();
  });
  afterAll(async () => {
    uac.close();
    await svc.stop();
    await content.stop();
  });

  it('signs the vetted brand the Call-Info and display name ask for, and echoes its Call-Info in the 302', async () => {
    const r = await invite('"Crédit Exemple" <sip:+14045266060@pbx.example.net;user=phone>', `<${logo}>;purpose=icon;call-reason="Fraud alert"`);
    expect(r.status).toBe(302);
    expect(h(r, 'Identity')).toHaveLength(1);
    expect(claimsOf(h(r, 'Identity')![0]!)).toMatchObject({
      orig: { tn: '14045266060' },
      crn: 'Fraud alert',
      rcd: { nam: 'Crédit Exemple', icn: logo },
      rcdi: { '/icn': `sha256-${createHash('sha256').update(LOGO).digest('base64')}` },
    });
    expect(h(r, 'Call-Info')).toEqual([`<${logo}>;purpose=icon;call-reason="Fraud alert"`]);
  });

  it('adds the rcd PASSporT when the profile asks for one; a reason alone comes on the null data URI', async () => {
    const r = await invite('"Plain Brand" <sip:+14045266061@pbx.example.net;user=phone>', '<data:>;purpose=jcard;call-reason="Delivery"');
    expect(r.status).toBe(302);
    const identities = h(r, 'Identity')!;
    expect(identities.map((i) => i.slice(i.lastIndexOf(';')))).toEqual([';ppt=shaken', ';ppt=rcd']);
    expect(claimsOf(identities[1]!)).toMatchObject({ orig: { tn: '14045266061' }, crn: 'Delivery', rcd: { nam: 'Plain Brand' } });
    expect(h(r, 'Call-Info')).toEqual(['<data:>;purpose=jcard;call-reason="Delivery"']);
  });

  it('refuses a brand no profile vets for the caller (ERR_ATTEST_REFUSED: unsigned, with its Reason), and signs a call without RCD Call-Info as before', async () => {
    const refused = await invite('"Some Other Bank" <sip:+14045266060@pbx.example.net;user=phone>', `<${logo}>;purpose=icon`);
    // sip.onSignFailure=redirect (the default): the call goes on unsigned, the Reason says why.
    expect(refused.status).toBe(302);
    expect(h(refused, 'Identity')).toBeUndefined();
    expect(h(refused, 'Reason')![0]).toContain('ERR_ATTEST_REFUSED');
    const plain = await invite('"Any Name" <sip:+14045266060@pbx.example.net;user=phone>', '<https://pbx.example.net/card.vcf>;purpose=card');
    expect(plain.status).toBe(302);
    expect(claimsOf(h(plain, 'Identity')![0]!).rcd).toBeUndefined();
    expect(h(plain, 'Call-Info')).toBeUndefined();
  });
});
