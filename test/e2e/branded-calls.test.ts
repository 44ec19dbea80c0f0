import { createHash, createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importX509 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { CertServer } from '../verify/support.js';
import { bearer, callUnary, rawClients } from '../grpc/support.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, status, type Client, type ServiceClientConstructor } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const ADMIN = 'admin-token-for-rcd-tests-0123456789abcdef';
const ORIG = '12025550100';
const CALL = { orig: { tn: ORIG }, dest: { tn: ['18001234567'] }, attest: 'A' };
// A 1x1 PNG is enough: the digest is over whatever bytes are served.
const LOGO = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const JCARD = JSON.stringify(['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Example Bank'], ['tel', { type: 'work' }, 'uri', 'tel:+12025550100']]]);

/** RFC 8225 §9, written here apart from the server's: sorted members at every level, no white space. */
function deterministic(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(deterministic).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${deterministic((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const sri = (bytes: Buffer | string) => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;

/**
 * A checker on node:crypto alone: the ES256 signature over the octets as received with the leaf's key, the header,
 * the claims in RFC 8225 §9 form (the payload is exactly their deterministic JSON), and the Identity parameters.
 */
function checkPassport(identity: string, leafPem: string, ppt: string): Record<string, any> {
  const [jws, ...params] = identity.split(';');
  expect(params).toEqual([expect.stringMatching(/^info=<.+>$/), 'alg=ES256', `ppt=${ppt}`]);
  const [h, p, s] = jws!.split('.') as [string, string, string];
  const key = createPublicKey(new X509Certificate(leafPem).publicKey.export({ type: 'spki', format: 'pem' }));
  expect(cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))).toBe(true);
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  expect(header).toMatchObject({ alg: 'ES256', typ: 'passport', ppt });
  expect(Buffer.from(h, 'base64url').toString()).toBe(deterministic(header));
  const payload = Buffer.from(p, 'base64url').toString();
  const claims = JSON.parse(payload);
  expect(payload).toBe(deterministic(claims));
  return claims;
}

describe('branded calls (RFC 9795 Rich Call Data): vetted profiles, signing, verification', () => {
  let svc: TestService;
  let acct: Provisioned;
  let content: CertServer;
  let anchors: string;
  const auth = () => ({ authorization: `Bearer ${acct.token}` });
  const admin = (path: string, body?: unknown) =>
    fetch(`${svc.url}/api/admin${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const addProfile = async (body: unknown) => {
    const res = await admin(`/accounts/${acct.account.id}/rcd-profiles`, body);
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };
  const sign = (rcd: unknown, orig = ORIG) => postJson(`${svc.url}/api/stir-shaken/sign`, { ...CALL, orig: { tn: orig }, rcd }, auth());
  const verify = (identity: string | string[]) => postJson(`${svc.url}/api/stir-shaken/verify`, { identity, from: ORIG, to: '18001234567' }, auth());

  beforeAll(async () => {
    content = await CertServer.start();
    content.serve('/logo.png', LOGO, { 'content-type': 'image/png' });
    content.serve('/card.json', JCARD, { 'content-type': 'application/json' });
    anchors = await mkdtemp(join(tmpdir(), 'shakenstack-rcd-anchors-'));
    svc = await startTestService({
      tlsCa: content.tlsCaPem,
      overrides: { adminToken: ADMIN, 'verify.trustAnchors': anchors, 'verify.trustReloadMs': 0, 'verify.allowHttpX5u': true, 'verify.allowPrivateAddresses': true, 'verify.fetchTimeoutMs': 2500 },
    });
    acct = await svc.provision();
    await writeFile(join(anchors, 'root.pem'), acct.pki.root.certPem);
  });
  afterAll(async () => {
    await svc.stop();
    await content.stop();
  });

  it('vets a brand: the linked logo and jCard are fetched and digested when the profile is saved', async () => {
    const r = await addProfile({ rcd: { nam: 'Example Bank', icn: content.url('/logo.png'), jcl: content.url('/card.json') }, crn: ['Fraud alert'], tns: [ORIG] });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ id: expect.stringMatching(/^rcd_/), placement: 'shaken', icnDigest: sri(LOGO), jclDigest: sri(JCARD), tns: [ORIG], crn: ['Fraud alert'] });
    const list = await (await admin(`/accounts/${acct.account.id}/rcd-profiles`)).json();
    expect(list.rcdProfiles.map((p: { id: string }) => p.id)).toEqual([r.json.id]);
  });

  it('signs the brand inside the shaken PASSporT; jose and a node:crypto checker agree, digests recomputed from the served bytes', async () => {
    const { json: profile } = await addProfile({ rcd: { nam: 'Example Bank Fraud Desk', icn: content.url('/logo.png') }, crn: ['Fraud alert', 'Card activity'], prefixes: ['1202555'] });
    const signed = await sign({ profile: profile.id, crn: 'Card activity' });
    expect(signed.status).toBe(200);
    expect(signed.json.rcd).toEqual({ profile: profile.id, placement: 'shaken' });
    const claims = checkPassport(signed.json.identity, acct.pki.leaf.certPem, 'shaken');
    expect(claims).toMatchObject({ attest: 'A', orig: { tn: ORIG }, crn: 'Card activity', rcd: { nam: 'Example Bank Fraud Desk', icn: content.url('/logo.png') } });
    expect(claims.rcdi).toEqual({ '/icn': sri(LOGO) });
    const { payload } = await compactVerify(signed.json.identity.split(';')[0], await importX509(acct.pki.leaf.certPem, 'ES256'));
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(claims);

    const verified = await verify(signed.json.identity);
    expect(verified.json).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', rcd: { ok: true, placement: 'shaken', verified: { nam: 'Example Bank Fraud Desk', crn: 'Card activity', icn: content.url('/logo.png') }, failed: [] } });
  });

  it('signs a separate rcd PASSporT where the profile asks, with an inline jCard digested over its deterministic JSON', async () => {
    const jcd = JSON.parse(JCARD);
    const { json: profile, status } = await addProfile({ rcd: { nam: 'Example Bank', jcd, icn: content.url('/logo.png') }, tns: [ORIG], placement: 'rcd' });
    expect(status).toBe(201);
    const signed = await sign({ profile: profile.id });
    expect(signed.json.rcd).toMatchObject({ profile: profile.id, placement: 'rcd', identity: expect.stringContaining(';ppt=rcd') });
    const shaken = checkPassport(signed.json.identity, acct.pki.leaf.certPem, 'shaken');
    expect(shaken.rcd).toBeUndefined();
    const rcd = checkPassport(signed.json.rcd.identity, acct.pki.leaf.certPem, 'rcd');
    expect(Object.keys(rcd)).toEqual(['dest', 'iat', 'orig', 'rcd', 'rcdi']);
    expect(rcd).toMatchObject({ orig: shaken.orig, dest: shaken.dest, iat: shaken.iat });
    expect(rcd.rcdi).toEqual({ '/icn': sri(LOGO), '/jcd': sri(deterministic(jcd)) });

    const verified = await verify([signed.json.identity, signed.json.rcd.identity]);
    expect(verified.json).toMatchObject({ ok: true, rcd: { ok: true, placement: 'rcd', verified: { nam: 'Example Bank', jcd, icn: content.url('/logo.png') } } });
    expect(verified.json.call.passports[1]).toMatchObject({ index: 1, kind: 'rcd', ok: true, rcd: { ok: true } });
  });

  it('takes RCD fields that equal a vetted profile, and refuses what no profile of the account allows', async () => {
    await addProfile({ rcd: { nam: 'Plain Brand' }, tns: [ORIG], crn: ['Delivery'] });
    const fields = await sign({ nam: 'Plain Brand', crn: 'Delivery' });
    expect(fields.status).toBe(200);
    expect(checkPassport(fields.json.identity, acct.pki.leaf.certPem, 'shaken')).toMatchObject({ rcd: { nam: 'Plain Brand' }, crn: 'Delivery' });
    expect(checkPassport(fields.json.identity, acct.pki.leaf.certPem, 'shaken').rcdi).toBeUndefined();

    const cases: [unknown, string, string][] = [
      [{ nam: 'Some Other Bank' }, ORIG, 'rcd.nam'],
      [{ nam: 'Plain Brand', crn: 'You won a cruise' }, ORIG, 'rcd.crn'],
      [{ nam: 'Plain Brand' }, '14045550100', 'rcd.nam'],
    ];
    for (const [rcd, orig, field] of cases) {
      const r = await sign(rcd, orig);
      expect(r.status, JSON.stringify(rcd)).toBe(403);
      expect(r.json.error).toMatchObject({ code: 'ERR_ATTEST_REFUSED', field });
    }
    const { json: profile } = await addProfile({ rcd: { nam: 'Narrow Brand' }, tns: [ORIG] });
    const notCovered = await sign({ profile: profile.id }, '14045550100');
    expect(notCovered.status).toBe(403);
    expect(notCovered.json.error).toMatchObject({ code: 'ERR_ATTEST_REFUSED', field: 'rcd.profile' });
    expect(notCovered.json.error.reason).toContain('does not cover');
    const other = await svc.provision();
    const foreign = await postJson(`${svc.url}/api/stir-shaken/sign`, { ...CALL, rcd: { profile: profile.id } }, { authorization: `Bearer ${other.token}` });
    expect(foreign.status).toBe(403);
    expect(foreign.json.error).toMatchObject({ code: 'ERR_ATTEST_REFUSED', field: 'rcd.profile' });
  });

  it('reports a logo changed after signing as not verified, while the call itself still passes', async () => {
    content.serve('/moving.png', LOGO, { 'content-type': 'image/png' });
    const { json: profile } = await addProfile({ rcd: { nam: 'Moving Logo Inc', icn: content.url('/moving.png') }, tns: [ORIG] });
    const signed = await sign({ profile: profile.id });
    content.serve('/moving.png', Buffer.concat([LOGO, Buffer.from([0])]), { 'content-type': 'image/png' });
    const verified = await verify(signed.json.identity);
    expect(verified.json).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', rcd: { ok: false, verified: { nam: 'Moving Logo Inc' } } });
    expect(verified.json.rcd.verified.icn).toBeUndefined();
    expect(verified.json.rcd.failed).toEqual([{ field: 'rcd.icn', detail: expect.stringContaining('does not match its rcdi digest') }]);

    // The operator refreshes the profile: new calls carry the new digest and verify again.
    const refreshed = await admin(`/accounts/${acct.account.id}/rcd-profiles/${profile.id}/refresh`, {});
    expect(refreshed.status).toBe(200);
    expect((await refreshed.json()).icnDigest).toBe(sri(Buffer.concat([LOGO, Buffer.from([0])])));
    await expect.poll(async () => (await verify((await sign({ profile: profile.id })).json.identity)).json.rcd?.ok, { timeout: 5000 }).toBe(true);
  });

  it('fails an rcd PASSporT whose jCard changed, naming rcd_integrity, without failing the call', async () => {
    content.serve('/card2.json', JCARD, { 'content-type': 'application/vcard+json' });
    const { json: profile } = await addProfile({ rcd: { nam: 'Card Holder', jcl: content.url('/card2.json') }, tns: [ORIG], placement: 'rcd' });
    const signed = await sign({ profile: profile.id });
    content.serve('/card2.json', JCARD.replace('Example Bank', 'Evil Bank'), { 'content-type': 'application/vcard+json' });
    const verified = await verify([signed.json.identity, signed.json.rcd.identity]);
    expect(verified.json).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', rcd: { ok: false, placement: 'rcd', verified: { nam: 'Card Holder' } } });
    expect(verified.json.call.passports[1]).toMatchObject({ kind: 'rcd', ok: false, reason: 'rcd_integrity', rcd: { failed: [{ field: 'rcd.jcl' }] } });
  });

  it('digests a photo nested in an inline jCard under its JSON pointer; changed content fails exactly that pointer', async () => {
    const PHOTO = Buffer.concat([LOGO, Buffer.from('photo')]);
    // no-store: the verifier keeps content no longer than its Cache-Control allows, so a change shows at once.
    content.serve('/photo.png', PHOTO, { 'content-type': 'image/png', 'cache-control': 'no-store' });
    content.serve('/card-logo.png', LOGO, { 'content-type': 'image/png' });
    const jcd = ['vcard', [['fn', {}, 'text', 'Nested Bank'], ['photo', {}, 'uri', content.url('/photo.png')], ['logo', { mediatype: 'image/png' }, 'uri', content.url('/card-logo.png')]]];
    const { json: profile, status } = await addProfile({ rcd: { nam: 'Nested Bank', jcd }, tns: [ORIG], placement: 'rcd' });
    expect(status).toBe(201);
    expect(profile.nestedDigests).toEqual({ '/jcd/1/1/3': sri(PHOTO), '/jcd/1/2/3': sri(LOGO) });
    const signed = await sign({ profile: profile.id });
    const rcd = checkPassport(signed.json.rcd.identity, acct.pki.leaf.certPem, 'rcd');
    // Recomputed here from the served bytes, and each pointer resolved by hand into the signed rcd claim.
    expect(rcd.rcdi).toEqual({ '/jcd': sri(deterministic(jcd)), '/jcd/1/1/3': sri(PHOTO), '/jcd/1/2/3': sri(LOGO) });
    expect(rcd.rcd.jcd[1][1][3]).toBe(content.url('/photo.png'));
    expect(rcd.rcd.jcd[1][2][3]).toBe(content.url('/card-logo.png'));
    const { payload } = await compactVerify(signed.json.rcd.identity.split(';')[0], await importX509(acct.pki.leaf.certPem, 'ES256'));
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(rcd);

    const ok = await verify([signed.json.identity, signed.json.rcd.identity]);
    expect(ok.json.rcd).toMatchObject({ ok: true, verified: { nam: 'Nested Bank', jcd }, failed: [] });

    content.serve('/photo.png', Buffer.concat([PHOTO, Buffer.from([0])]), { 'content-type': 'image/png', 'cache-control': 'no-store' });
    const bad = await verify([signed.json.identity, signed.json.rcd.identity]);
    expect(bad.json).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', rcd: { ok: false, verified: { nam: 'Nested Bank' } } });
    expect(bad.json.rcd.verified.jcd).toBeUndefined();
    expect(bad.json.rcd.failed).toEqual([{ field: 'rcdi./jcd/1/1/3', detail: expect.stringContaining('does not match its rcdi digest') }]);
  });

  it('digests a logo nested in a linked jCard (/jcl/…) and fails exactly that pointer when it changes', async () => {
    const CARD_LOGO = Buffer.concat([LOGO, Buffer.from('jcl logo')]);
    content.serve('/jcl-logo.png', CARD_LOGO, { 'content-type': 'image/png', 'cache-control': 'no-store' });
    const card = JSON.stringify(['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Linked Bank'], ['logo', {}, 'uri', content.url('/jcl-logo.png')]]]);
    content.serve('/card-nested.json', card, { 'content-type': 'application/json' });
    const { json: profile, status } = await addProfile({ rcd: { nam: 'Linked Bank', jcl: content.url('/card-nested.json') }, tns: [ORIG] });
    expect(status).toBe(201);
    const signed = await sign({ profile: profile.id });
    const claims = checkPassport(signed.json.identity, acct.pki.leaf.certPem, 'shaken');
    expect(claims.rcdi).toEqual({ '/jcl': sri(card), '/jcl/1/2/3': sri(CARD_LOGO) });
    expect(JSON.parse(card)[1][2][3]).toBe(content.url('/jcl-logo.png'));
    expect((await verify(signed.json.identity)).json.rcd).toMatchObject({ ok: true, verified: { jcl: content.url('/card-nested.json') } });

    content.serve('/jcl-logo.png', LOGO, { 'content-type': 'image/png', 'cache-control': 'no-store' });
    const bad = (await verify(signed.json.identity)).json.rcd;
    expect(bad).toMatchObject({ ok: false, verified: { nam: 'Linked Bank' } });
    expect(bad.verified.jcl).toBeUndefined();
    expect(bad.failed).toEqual([{ field: 'rcdi./jcl/1/2/3', detail: expect.stringContaining('does not match its rcdi digest') }]);
  });

  it('refuses a linked jCard whose photo cannot be fetched, naming the pointer', async () => {
    content.serve('/card-missing-photo.json', JSON.stringify(['vcard', [['fn', {}, 'text', 'X'], ['photo', {}, 'uri', content.url('/no-such-photo.png')]]]), { 'content-type': 'application/json' });
    content.routes.set('/no-such-photo.png', { status: 404 });
    const r = await addProfile({ rcd: { nam: 'X', jcl: content.url('/card-missing-photo.json') }, tns: [ORIG] });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'rcd.jcl[1][1][3]' });
    expect(r.json.error.reason).toContain('HTTP 404');
  });

  it('holds RCD to the JWT Claim Constraints of the certificate (RFC 8226 §8): the signer refuses, the verifier reports jcc.rcd', async () => {
    // A leaf whose issuer allowed one brand: rcd must be present and be exactly {"nam":"Constrained Bank"}.
    const tagged = (tagNumber: number, value: asn1js.AsnType[]) => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber }, value });
    const jcc = new asn1js.Sequence({
      value: [
        tagged(0, [new asn1js.Sequence({ value: [new asn1js.IA5String({ value: 'rcd' })] })]),
        tagged(1, [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.IA5String({ value: 'rcd' }), new asn1js.Sequence({ value: [new asn1js.Utf8String({ value: '{"nam":"Constrained Bank"}' })] })] })] })]),
      ],
    });
    const b = await svc.provision({ pki: { leafExtensions: [{ oid: '1.3.6.1.5.5.7.1.27', der: new Uint8Array(jcc.toBER()) }] } });
    await writeFile(join(anchors, 'root-b.pem'), b.pki.root.certPem);
    const addB = async (rcd: unknown) => (await admin(`/accounts/${b.account.id}/rcd-profiles`, { rcd, tns: [ORIG] })).json();
    const allowed = await addB({ nam: 'Constrained Bank' });
    const other = await addB({ nam: 'Other Brand' });
    const signB = (profile: string) => postJson(`${svc.url}/api/stir-shaken/sign`, { ...CALL, rcd: { profile } }, { authorization: `Bearer ${b.token}` });

    const ok = await signB(allowed.id);
    expect(ok.status).toBe(200);
    expect((await verify(ok.json.identity)).json.rcd).toMatchObject({ ok: true, verified: { nam: 'Constrained Bank' } });

    const refused = await signB(other.id);
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatchObject({ code: 'ERR_ATTEST_REFUSED', field: 'rcd.profile' });
    expect(refused.json.error.reason).toContain('claim constraints');

    // A PASSporT another signer made with that certificate, outside its constraints: the call passes, its RCD does not.
    const x5u = ok.json.x5u as string;
    const header = deterministic({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u });
    const claims = deterministic({ attest: 'A', dest: CALL.dest, iat: Math.floor(Date.now() / 1000), orig: CALL.orig, origid: '8f0c6e1e-6d3f-4b36-8f2a-0b6f3a1c2d4e', rcd: { nam: 'Other Brand' } });
    const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(claims).toString('base64url')}`;
    const sig = cryptoSign('sha256', Buffer.from(input), { key: createPrivateKey(b.pki.leaf.keyPem), dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const forged = await verify(`${input}.${sig};info=<${x5u}>;alg=ES256;ppt=shaken`);
    expect(forged.json).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', rcd: { ok: false, verified: {} } });
    expect(forged.json.rcd.failed).toEqual([{ field: 'jcc.rcd', detail: expect.stringContaining('permits rcd only as "{\\"nam\\":\\"Constrained Bank\\"}"') }]);
  });

  it.each([
    ['oversized', { body: Buffer.alloc(300_000), headers: { 'content-type': 'image/png' } }, 'limit'],
    ['slow', { hang: true }, 'no complete answer'],
    ['of the wrong type', { body: '<html></html>', headers: { 'content-type': 'text/html' } }, 'content type text/html'],
    ['redirected', { status: 302, headers: { location: '/logo.png' } }, 'redirect'],
    ['missing', { status: 404 }, 'HTTP 404'],
  ])('refuses a profile whose logo is %s', async (_title, route, words) => {
    const path = `/bad-${_title.replace(/ /g, '-')}.png`;
    content.routes.set(path, route);
    const r = await addProfile({ rcd: { nam: 'Bad Logo Co', icn: content.url(path) }, tns: [ORIG] });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'rcd.icn' });
    expect(r.json.error.reason).toContain(words);
  });

  it('signs and verifies a branded call over gRPC, and refuses a number the profile does not cover', async () => {
    const { json: profile } = await addProfile({ rcd: { nam: 'Example Bank gRPC', icn: content.url('/logo.png') }, crn: ['Fraud alert'], tns: [ORIG], placement: 'rcd' });
    const { signer, close } = rawClients(svc.grpcAddress);
    const root = join(dirname(fileURLToPath(import.meta.url)), '../../proto');
    const pkg = protoLoader.loadSync('shakenstack/v1/signer.proto', { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: false, includeDirs: [root] });
    const v1 = (loadPackageDefinition(pkg).shakenstack as Record<string, Record<string, ServiceClientConstructor>>).v1!;
    const verifier: Client = new v1.Verifier!(svc.grpcAddress, credentials.createInsecure());
    try {
      const signed = await callUnary<Record<string, any>>(signer, 'Sign', { ...CALL, rcd: { profile: profile.id, crn: 'Fraud alert' } }, bearer(acct.token));
      expect(signed.error).toBeUndefined();
      expect(signed.value!.rcd).toMatchObject({ profile: profile.id, placement: 'rcd', identity: expect.stringContaining(';ppt=rcd') });
      const rcd = checkPassport(signed.value!.rcd.identity, acct.pki.leaf.certPem, 'rcd');
      expect(rcd).toMatchObject({ crn: 'Fraud alert', rcd: { nam: 'Example Bank gRPC' }, rcdi: { '/icn': sri(LOGO) } });
      const verified = await callUnary<Record<string, any>>(verifier, 'Verify', { identity: [signed.value!.identity, signed.value!.rcd.identity], from: ORIG, to: ['18001234567'] }, bearer(acct.token));
      expect(verified.value).toMatchObject({ ok: true, rcd: { ok: true, placement: 'rcd', verified: { nam: 'Example Bank gRPC', crn: 'Fraud alert', icn: content.url('/logo.png') } } });
      expect(verified.value!.call.passports[1]).toMatchObject({ kind: 'rcd', ok: true, rcd: { ok: true } });

      const refused = await callUnary(signer, 'Sign', { ...CALL, orig: { tn: '14045550100' }, rcd: { profile: profile.id } }, bearer(acct.token));
      expect(refused.error?.code).toBe(status.PERMISSION_DENIED);
      expect(refused.error?.details).toContain('does not cover');
    } finally {
      close();
      verifier.close();
    }
  });

  it('refuses a profile with a non-https logo or an unknown account, and removes a profile', async () => {
    const http = await addProfile({ rcd: { nam: 'B', icn: content.url('/logo.png').replace('https:', 'http:') }, tns: [ORIG] });
    expect(http.json.error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'rcd.icn' });
    expect((await admin('/accounts/nobody/rcd-profiles', { rcd: { nam: 'B' }, tns: [ORIG] })).status).toBe(404);
    const { json: p } = await addProfile({ rcd: { nam: 'Short Lived' }, tns: [ORIG] });
    const del = await fetch(`${svc.url}/api/admin/accounts/${acct.account.id}/rcd-profiles/${p.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(del.status).toBe(200);
    await expect.poll(async () => (await sign({ profile: p.id })).status, { timeout: 5000 }).toBe(403);
  });
});
