import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer, type SipReply } from '../helpers/sip-client.js';
import { CertServer } from '../verify/support.js';

const ADMIN = 'admin-token-for-rcd-sip-tests-0123456789ab';
const ORIG = '14045266060';
const LOGO = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const JCARD = JSON.stringify(['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Crédit Exemple']]]);
/** A header as the wire had it: UTF-8 bytes, read back from the latin1 text the test client keeps. */
const h = (r: SipReply, name: string) => r.headers.get(name.toLowerCase())?.map((v) => Buffer.from(v, 'latin1').toString('utf8'));

/**
 * RFC 9796 in the SIP redirect server's verify mode: a signer brands a call (RFC 9795), a node in
 * `sip.mode=verify` judges it from the INVITE and passes on only the RCD that verified, as the display name of
 * the P-Asserted-Identity carrying verstat and one Call-Info.
 */
describe('SIP redirect server (verify mode): Rich Call Data', () => {
  let signer: TestService;
  let verifierNode: TestService;
  let account: Provisioned;
  let content: CertServer;
  let dir: string;
  let uac: UdpPeer;

  async function profile(body: unknown): Promise<string> {
    const res = await fetch(`${signer.url}/api/admin/accounts/${account.account.id}/rcd-profiles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  async function sign(rcd: unknown): Promise<string[]> {
    const r = await postJson(`${signer.url}/api/stir-shaken/sign`, { orig: { tn: ORIG }, dest: { tn: ['18005551234'] }, attest: 'A', rcd }, { authorization: `Bearer ${account.token}` });
    expect(r.status).toBe(200);
    return [r.json.identity, ...(r.json.rcd?.identity ? [r.json.rcd.identity] : [])];
  }

  const invite = (identities: string[]) => uac.request(verifierNode.node.sipPort!, sipRequest({ pai: `<sip:+${ORIG}@pbx.example.net;user=phone>`, extra: identities.map((i) => `Identity: ${i}`) }));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcd-sip-verify-'));
    content = await CertServer.start();
    content.serve('/logo.png', LOGO, { 'content-type': 'image/png' });
    content.serve('/card.json', JCARD, { 'content-type': 'application/json' });
    signer = await startTestService({ tlsCa: content.tlsCaPem, overrides: { adminToken: ADMIN, 'verify.allowPrivateAddresses': true } });
    account = await signer.provision({ defaultAttest: 'A', maxAttest: 'A', pki: {} });
    await writeFile(join(dir, 'root.pem'), account.pki.root.certPem);
    verifierNode = await startTestService({
      tlsCa: content.tlsCaPem,
      overrides: { 'sip.mode': 'verify', 'verify.trustAnchors': join(dir, 'root.pem'), 'verify.allowHttpX5u': true, 'verify.allowPrivateAddresses': true },
    });
    await verifierNode.provision({ sipSource: '127.0.0.1' });
    uac = await UdpPeer.open();
  });
  afterAll(async () => {
    uac.close();
    await Promise.all([signer.stop(), verifierNode.stop(), content.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('passes the verified name, logo, jCard and reason of a shaken PASSporT with RCD as RFC 9796 Call-Info', async () => {
    const id = await profile({ rcd: { nam: 'Crédit "Exemple"', icn: content.url('/logo.png'), jcl: content.url('/card.json') }, crn: ['Fraud alert'], tns: [ORIG] });
    const r = await invite(await sign({ profile: id, crn: 'Fraud alert' }));
    expect(r.status).toBe(302);
    expect(h(r, 'P-Asserted-Identity')).toEqual([`"Crédit \\"Exemple\\"" <tel:+${ORIG};verstat=TN-Validation-Passed>`]);
    expect(h(r, 'Call-Info')).toEqual([`<${content.url('/logo.png')}>;purpose=icon, <${content.url('/card.json')}>;purpose=jcard;call-reason="Fraud alert"`]);
  });

  it('passes the RCD of a separate rcd PASSporT, a reason alone on the null data URI', async () => {
    const id = await profile({ rcd: { nam: 'Plain Brand' }, crn: ['Delivery'], tns: [ORIG], placement: 'rcd' });
    const identities = await sign({ profile: id, crn: 'Delivery' });
    expect(identities).toHaveLength(2);
    const r = await invite(identities);
    expect(h(r, 'P-Asserted-Identity')).toEqual([`"Plain Brand" <tel:+${ORIG};verstat=TN-Validation-Passed>`]);
    expect(h(r, 'Call-Info')).toEqual(['<data:>;purpose=jcard;call-reason="Delivery"']);
  });

  it('drops a logo that no longer matches its digest and keeps the rest', async () => {
    content.serve('/moving.png', LOGO, { 'content-type': 'image/png' });
    const id = await profile({ rcd: { nam: 'Moving Logo Inc', icn: content.url('/moving.png') }, crn: ['Appointment'], tns: [ORIG] });
    const identities = await sign({ profile: id, crn: 'Appointment' });
    content.serve('/moving.png', Buffer.from('another logo'), { 'content-type': 'image/png' });
    const r = await invite(identities);
    expect(h(r, 'P-Asserted-Identity')).toEqual([`"Moving Logo Inc" <tel:+${ORIG};verstat=TN-Validation-Passed>`]);
    expect(h(r, 'Call-Info')).toEqual(['<data:>;purpose=jcard;call-reason="Appointment"']);
  });

  it('passes no RCD for a call that did not verify, nor for a call without RCD', async () => {
    const id = await profile({ rcd: { nam: 'Wrong Caller Co' }, tns: [ORIG] });
    const [shaken] = await sign({ profile: id });
    const other = await uac.request(verifierNode.node.sipPort!, sipRequest({ pai: '<sip:+14045269999@pbx.example.net;user=phone>', extra: [`Identity: ${shaken}`] }));
    expect(h(other, 'P-Asserted-Identity')).toEqual(['<tel:+14045269999;verstat=No-TN-Validation>']);
    expect(h(other, 'Call-Info')).toBeUndefined();
    const plain = await invite(await sign(undefined));
    expect(h(plain, 'P-Asserted-Identity')).toEqual([`<tel:+${ORIG};verstat=TN-Validation-Passed>`]);
    expect(h(plain, 'Call-Info')).toBeUndefined();
  });
});
