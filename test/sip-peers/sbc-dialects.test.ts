import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compactVerify, importX509 } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addRoutingRule } from '../../server/manage/routing-rules.js';
import { setSipSourceDialect } from '../../server/manage/sip-sources.js';
import type { LabPki } from '../../server/pki/lab-pki.js';
import { missingSipPeers, startKamailio } from '../helpers/kamailio.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { receivedFinalResponses, receivedRequests, runUac, startUas } from '../helpers/sipp.js';
import { uacFailure } from './support.js';

const SBC_CFG = join(dirname(fileURLToPath(import.meta.url)), 'kamailio-sbc-contact-only.cfg');
const CALLER = '14045266060';
const CALLED = '18001234567';
const FORWARDED_TO = '18001234999';

const missing = missingSipPeers();
if (missing) console.warn(`test/sip-peers/sbc-dialects: skipped, ${missing}`);

/** A SIP message as sipp logged it: the status line and each header field in order (name lower case). */
function parse(message: string): { status: string; fields: Array<[string, string]> } {
  const [status = '', ...lines] = message.split(/\r?\n/);
  const fields: Array<[string, string]> = [];
  for (const line of lines) {
    if (line.trim() === '') break;
    const at = line.indexOf(':');
    fields.push([line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()]);
  }
  return { status, fields };
}

const values = (m: ReturnType<typeof parse>, name: string) => m.fields.filter(([n]) => n === name).map(([, v]) => v);

/** The `Identity=` URI headers of a Contact entry `<uri?…>`, %-unescaped (RFC 3261 §19.1.2), in order. */
function contactIdentities(contact: string): { uri: string; identities: string[]; raw: string } {
  const uri = /^<([^>]+)>/.exec(contact)![1]!;
  const [base, headers = ''] = uri.split('?');
  const fields = headers.split('&').filter((h) => h.startsWith('Identity='));
  return { uri: base!, identities: fields.map((h) => decodeURIComponent(h.slice('Identity='.length))), raw: headers };
}

/** An Identity header value checked without shakenstack's code: jose against the lab PKI's leaf certificate. */
async function verifyWithJose(identity: string, pki: LabPki): Promise<{ ppt: string; claims: Record<string, any> }> {
  const m = /^([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+);info=<([^>]+)>;alg=ES256;ppt=(\w+)$/.exec(identity);
  if (!m) throw new Error(`not an Identity header value: ${identity}`);
  const { payload, protectedHeader } = await compactVerify(m[1]!, await importX509(pki.leaf.certPem, 'ES256'));
  expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'passport', ppt: m[3], x5u: m[2] });
  return { ppt: m[3]!, claims: JSON.parse(new TextDecoder().decode(payload)) };
}

/**
 * Issue 15's SBC dialects on the wire, with sipp as the SBC asking and Kamailio as the SBC that follows the
 * 3xx through its Contact alone. Every call comes from 127.0.0.1, the SIP source whose dialect is set.
 */
describe.skipIf(missing !== undefined)('SBC dialects of the SIP redirect server (sipp, Kamailio)', () => {
  let plain: TestService;
  let sbc: TestService;
  let verifier: TestService;
  let plainAcct: Provisioned;
  let acct: Provisioned;
  let verifyAcct: Provisioned;
  let dir: string;
  const running: Array<{ stop(): Promise<void> }> = [];

  /** A shaken PASSporT from the SBC node's own HTTP signer, as an originating provider made it. */
  async function shaken(dest = CALLED): Promise<{ jws: string; x5u: string; identity: string }> {
    const r = await postJson(`${sbc.url}/api/stir-shaken/sign`, { orig: { tn: CALLER }, dest: { tn: [dest] }, attest: 'A' }, { authorization: `Bearer ${acct.token}` });
    expect(r.status).toBe(200);
    const identity: string = r.json.identity;
    const m = /^([^;]+);info=<([^>]+)>/.exec(identity)!;
    return { jws: m[1]!, x5u: m[2]!, identity };
  }

  async function ask(port: number, rows: string[][], signed = false) {
    const uac = await runUac(signed ? 'uac-redirect-signed.xml' : 'uac-redirect.xml', `127.0.0.1:${port}`, { dir, rows });
    expect(uac.code, uacFailure(uac)).toBe(0);
    const answers = receivedFinalResponses(uac.messages);
    expect(answers).toHaveLength(rows.length);
    return answers.map(parse);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sbc-dialects-'));
    plain = await startTestService({ sip: true });
    plainAcct = await plain.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.1' });
    sbc = await startTestService({ sip: true });
    acct = await sbc.provision({ defaultAttest: 'A', maxAttest: 'A', sipSource: '127.0.0.1', sipDialect: { identityInContact: true, multipleChoices: true } });
    writeFileSync(join(dir, 'root.pem'), acct.pki.root.certPem);
    verifier = await startTestService({ overrides: { 'sip.mode': 'verify', 'verify.trustAnchors': join(dir, 'root.pem'), 'verify.allowHttpX5u': true, 'verify.allowPrivateAddresses': true } });
    verifyAcct = await verifier.provision({ sipSource: '127.0.0.1', sipDialect: { attestationHeaders: true } });
  }, 60_000);
  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), sbc?.stop(), verifier?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('off by default: a source without a dialect gets the plain 302, Contact without URI headers, no P- headers', async () => {
    const [answer] = await ask(plain.node.sipPort!, [[`+${CALLER}`, CALLED, '']]);
    expect(answer!.status).toBe('SIP/2.0 302 Moved Temporarily');
    expect(values(answer!, 'contact')).toEqual([`<sip:${CALLED}@127.0.0.1:${plain.node.sipPort}>`]);
    const [identity] = values(answer!, 'identity');
    expect((await verifyWithJose(identity!, plainAcct.pki)).claims).toMatchObject({ orig: { tn: CALLER }, dest: { tn: [CALLED] } });
    expect(answer!.fields.map(([n]) => n)).toEqual(['via', 'from', 'to', 'call-id', 'cseq', 'contact', 'identity', 'server', 'content-length']);
  });

  it('answers 300 Multiple Choices with the Identity escaped in the Contact, which unescapes to the Identity header byte for byte', async () => {
    const [answer] = await ask(sbc.node.sipPort!, [[`+${CALLER}`, CALLED, '']]);
    expect(answer!.status).toBe('SIP/2.0 300 Multiple Choices');
    const headers = values(answer!, 'identity');
    expect(headers).toHaveLength(1);
    const [contact] = values(answer!, 'contact');
    const { uri, identities, raw } = contactIdentities(contact!);
    expect(uri).toBe(`sip:${CALLED}@127.0.0.1:${sbc.node.sipPort}`);
    // RFC 3261 §19.1.1: no character of the Identity's own syntax is left bare inside the URI header.
    for (const field of raw.split('&')) expect(field.slice('Identity='.length)).not.toMatch(/[;<>="\s,@&=]/);
    expect(raw).toMatch(/%3Binfo%3D%3Chttp/);
    expect(identities).toEqual(headers);
    const { claims } = await verifyWithJose(identities[0]!, acct.pki);
    expect(claims).toMatchObject({ attest: 'A', orig: { tn: CALLER }, dest: { tn: [CALLED] } });
  });

  it('puts every Identity of a forwarded call (shaken, then this hop\'s div) into the Contact, in order', async () => {
    const { jws, x5u, identity } = await shaken();
    const [answer] = await ask(sbc.node.sipPort!, [[`+${CALLER}`, FORWARDED_TO, CALLED, jws, x5u, 'shaken']], true);
    expect(answer!.status).toBe('SIP/2.0 300 Multiple Choices');
    const headers = values(answer!, 'identity');
    expect(headers).toHaveLength(2);
    expect(headers[0]).toBe(identity);
    const { identities } = contactIdentities(values(answer!, 'contact')[0]!);
    expect(identities).toEqual(headers);
    const div = await verifyWithJose(identities[1]!, acct.pki);
    expect(div).toMatchObject({ ppt: 'div', claims: { div: { tn: CALLED }, dest: { tn: [FORWARDED_TO] }, orig: { tn: CALLER } } });
  });

  it('verify mode: P-Attestation-Indicator and P-Origination-ID of a verified PASSporT, after the verstat', async () => {
    const { jws, x5u } = await shaken();
    const origid = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()).origid;
    const [answer] = await ask(verifier.node.sipPort!, [[`+${CALLER}`, CALLED, CALLED, jws, x5u, 'shaken']], true);
    expect(answer!.status).toBe('SIP/2.0 302 Moved Temporarily');
    const names = answer!.fields.map(([n]) => n);
    expect(names.slice(names.indexOf('p-asserted-identity'))).toEqual(['p-asserted-identity', 'p-attestation-indicator', 'p-origination-id', 'server', 'content-length']);
    expect(values(answer!, 'p-asserted-identity')).toEqual([`<tel:+${CALLER};verstat=TN-Validation-Passed>`]);
    expect(values(answer!, 'p-attestation-indicator')).toEqual(['A']);
    expect(values(answer!, 'p-origination-id')).toEqual([origid]);
  });

  it('verify mode: no P- headers for a PASSporT that does not verify, nor once the source is back to the plain dialect', async () => {
    // Signed for another called number: a mismatch, No-TN-Validation; its attest was never backed.
    const other = await shaken('18009990000');
    const [failed] = await ask(verifier.node.sipPort!, [[`+${CALLER}`, CALLED, CALLED, other.jws, other.x5u, 'shaken']], true);
    expect(values(failed!, 'p-asserted-identity')).toEqual([`<tel:+${CALLER};verstat=No-TN-Validation>`]);
    expect(values(failed!, 'p-attestation-indicator')).toEqual([]);
    expect(values(failed!, 'p-origination-id')).toEqual([]);

    await setSipSourceDialect(verifier.node.store, verifyAcct.account.id, '127.0.0.1', {});
    const good = await shaken();
    await expect
      .poll(async () => {
        const [answer] = await ask(verifier.node.sipPort!, [[`+${CALLER}`, CALLED, CALLED, good.jws, good.x5u, 'shaken']], true);
        return answer!.fields.map(([n]) => n).filter((n) => n.startsWith('p-'));
      }, { timeout: 5000, interval: 200 })
      .toEqual(['p-asserted-identity']);
  });

  it('Kamailio as an SBC that follows the 300 through its Contact alone delivers the INVITE with the Identity restored', async () => {
    const uas = await startUas('uas-expect-identity.xml', { dir });
    running.push(uas.run);
    await addRoutingRule(sbc.node.store, acct.account.id, { prefix: '1800', target: `sip:127.0.0.1:${uas.port}` });
    const kam = await startKamailio({ cfg: SBC_CFG, defines: { REDIRECT_SERVER: `sip:127.0.0.1:${sbc.node.sipPort}` } });
    running.push(kam);
    // The rule must have reached the running node (changePollMs is 50 ms in tests).
    await new Promise((r) => setTimeout(r, 300));

    const uac = await runUac('uac-call.xml', kam.address, { dir, rows: [[`+${CALLER}`, CALLED, '', '']] });
    expect(uac.code, uacFailure(uac, kam.log())).toBe(0);
    expect((await uas.run.done).code).toBe(0);
    expect(kam.log()).toMatch(/sbc: 300 from the redirect server; 1 Identity from the Contact/);

    const [invite] = receivedRequests(uas.messages(), 'INVITE');
    const received = parse(invite!);
    expect(received.status).toBe(`INVITE sip:127.0.0.1:${uas.port} SIP/2.0`);
    const identities = values(received, 'identity');
    expect(identities).toHaveLength(1);
    const { claims } = await verifyWithJose(identities[0]!, acct.pki);
    expect(claims).toMatchObject({ attest: 'A', orig: { tn: CALLER }, dest: { tn: [CALLED] } });
    expect(receivedRequests(uas.messages(), 'BYE')).toHaveLength(1);
  });

  it('Kamailio following the Contact alone delivers a forwarded call with both Identity headers, shaken then div', async () => {
    const uas = await startUas('uas-expect-identity.xml', { dir });
    running.push(uas.run);
    await addRoutingRule(sbc.node.store, acct.account.id, { prefix: FORWARDED_TO, target: `sip:${FORWARDED_TO}@127.0.0.1:${uas.port}` });
    const kam = await startKamailio({ cfg: SBC_CFG, defines: { REDIRECT_SERVER: `sip:127.0.0.1:${sbc.node.sipPort}` } });
    running.push(kam);
    await new Promise((r) => setTimeout(r, 300));
    const { jws, x5u, identity } = await shaken();

    // uac-forwarded-call.xml: Request-URI and To are the number forwarded to; the shaken names CALLED.
    const uac = await runUac('uac-forwarded-call.xml', kam.address, { dir, rows: [[`+${CALLER}`, FORWARDED_TO, jws, x5u]] });
    expect(uac.code, uacFailure(uac, kam.log())).toBe(0);
    expect((await uas.run.done).code).toBe(0);
    expect(kam.log()).toMatch(/sbc: 300 from the redirect server; 2 Identity from the Contact/);

    const received = parse(receivedRequests(uas.messages(), 'INVITE')[0]!);
    expect(received.status).toBe(`INVITE sip:${FORWARDED_TO}@127.0.0.1:${uas.port} SIP/2.0`);
    const identities = values(received, 'identity');
    expect(identities).toHaveLength(2);
    expect(identities[0]).toBe(identity);
    expect(await verifyWithJose(identities[1]!, acct.pki)).toMatchObject({ ppt: 'div', claims: { div: { tn: CALLED }, dest: { tn: [FORWARDED_TO] } } });
  });
});
