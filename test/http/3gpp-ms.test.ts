import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importX509 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MS_OPENAPI } from '../../server/http/ms-openapi.js';
import { postJson, readAnswer, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { descriptionErrors, expectDescribedAnswer } from '../helpers/ms-openapi.js';

/*
 * Issue 15, the 3GPP Ms reference point (TS 24.229 Annex V): signing (shaken, div with div.hi) and verification
 * through a running node, each answer checked against our OpenAPI description, and each signed Identity header
 * checked independently with jose. rph signing (a granted account) is in 3gpp-ms-rph.test.ts; the error table row
 * by row in 3gpp-ms-errors.test.ts.
 */

const SIGNING = '/3gpp/ms/v1/signing';
const VERIFICATION = '/3gpp/ms/v1/verification';
const ORIGID = '123e4567-e89b-12d3-a456-426655440000';
const CALLER = '12155551212';
const CALLED = '12155551213';
const FORWARDED_TO = '12155551214';

const nowSec = () => Math.floor(Date.now() / 1000);
const claimsOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const jwsOf = (identity: string) => identity.split(';')[0]!;

describe('3GPP Ms signing and verification through a running node', () => {
  let svc: TestService;
  let origin: Provisioned;
  let forwarder: Provisioned;
  let anchors: string;

  /** POSTs to a Ms resource with the account's key and checks the answer against the description. */
  async function ms(path: string, body: unknown, who: Provisioned = origin, headers: Record<string, string> = {}) {
    const r = await postJson(`${svc.url}${path}`, body, { authorization: `Bearer ${who.token}`, ...headers });
    expectDescribedAnswer('POST', path, r);
    return r;
  }
  async function sign(request: Record<string, unknown>, who: Provisioned = origin): Promise<string> {
    const r = await ms(SIGNING, { signingRequest: { iat: nowSec(), ...request } }, who);
    expect(r.status, r.text).toBe(200);
    return r.json.signingResponse.identityHeader as string;
  }

  beforeAll(async () => {
    anchors = await mkdtemp(join(tmpdir(), 'shakenstack-ms-anchors-'));
    svc = await startTestService({ overrides: { 'verify.trustAnchors': anchors, 'verify.trustReloadMs': 0, 'verify.allowHttpX5u': true, 'verify.allowPrivateAddresses': true } });
    origin = await svc.provision({ maxAttest: 'A' });
    forwarder = await svc.provision();
    await writeFile(join(anchors, 'origin.pem'), origin.pki.root.certPem);
    await writeFile(join(anchors, 'forwarder.pem'), forwarder.pki.root.certPem);
  });
  afterAll(async () => {
    await svc.stop();
    await rm(anchors, { recursive: true, force: true });
  });

  it('describes itself in valid OpenAPI 3.0, served beside the resources', async () => {
    expect(await descriptionErrors()).toEqual([]);
    const r = await readAnswer(await fetch(`${svc.url}/3gpp/ms/v1/openapi.json`));
    expectDescribedAnswer('GET', '/3gpp/ms/v1/openapi.json', r);
    expect(r.json).toEqual(JSON.parse(JSON.stringify(MS_OPENAPI)));
  });

  it('signs a shaken PASSporT (no ppt), reflects requestId, and the Identity header verifies with jose', async () => {
    const r = await ms(SIGNING, { signingRequest: { attest: 'A', orig: { tn: CALLER }, dest: { tn: [CALLED] }, iat: nowSec(), origid: ORIGID, requestId: 'req-1', profileId: 'Profile-1234' } });
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.json.signingResponse)).toEqual(['identityHeader', 'requestId']);
    expect(r.json.signingResponse.requestId).toBe('req-1');
    const identity: string = r.json.signingResponse.identityHeader;
    // RFC 8224 §4: ppt is a token; we keep the unquoted form the public examples quote (docs/3gpp-ms.md).
    expect(identity).toMatch(new RegExp(`^[\\w-]+\\.[\\w-]+\\.[\\w-]{86};info=<${origin.x5u.replace(/[.?]/g, '\\$&')}>;alg=ES256;ppt=shaken$`));
    const { payload, protectedHeader } = await compactVerify(jwsOf(identity), await importX509(origin.pki.leaf.certPem, 'ES256'));
    expect(protectedHeader).toEqual({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u: origin.x5u });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ attest: 'A', dest: { tn: [CALLED] }, iat: expect.any(Number), orig: { tn: CALLER }, origid: ORIGID });
  });

  it('signs the shape an Oracle SBC heartbeat sends (ppt "shaken" in the body, attest B) through the same core call', async () => {
    const r = await ms(SIGNING, { signingRequest: { iat: nowSec(), attest: 'B', ppt: 'shaken', dest: { tn: ['7777777777'] }, orig: { tn: '9999999999' }, origid: '00000000-0000-0000-0000-0000000f0abc' } });
    expect(r.status, r.text).toBe(200);
    expect(claimsOf(r.json.signingResponse.identityHeader)).toMatchObject({ attest: 'B', orig: { tn: '9999999999' }, dest: { tn: ['7777777777'] } });
  });

  it('signs a div PASSporT for ppt div; div.hi names the History-Info entry and is not a claim (RFC 8946 §3)', async () => {
    const identity = await sign({ ppt: 'div', orig: { tn: CALLER }, dest: { tn: [FORWARDED_TO] }, div: { tn: CALLED, hi: '1.1' }, origid: ORIGID, attest: 'B' }, forwarder);
    expect(identity).toMatch(/;info=<[^>]+>;alg=ES256;ppt=div$/);
    const { payload, protectedHeader } = await compactVerify(jwsOf(identity), await importX509(forwarder.pki.leaf.certPem, 'ES256'));
    expect(protectedHeader.ppt).toBe('div');
    // attest is not a div claim: a client's attest (Oracle's div heartbeat sends one) is left out.
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ dest: { tn: [FORWARDED_TO] }, div: { tn: CALLED }, iat: expect.any(Number), orig: { tn: CALLER }, origid: ORIGID });
  });

  it('refuses a div.hi that is no History-Info index, a ppt it does not know, and members of another ppt', async () => {
    const div = { ppt: 'div', orig: { tn: CALLER }, dest: { tn: [FORWARDED_TO] }, iat: nowSec() };
    for (const [body, field] of [
      [{ ...div, div: { tn: CALLED, hi: '1.x' } }, 'div.hi'],
      [{ ...div, div: { tn: CALLED, hi: 11 } }, 'div.hi'],
      [{ ...div, ppt: 'div-o', div: { tn: CALLED } }, 'ppt'],
      [{ orig: { tn: CALLER }, dest: { tn: [CALLED] }, div: { tn: CALLED } }, 'div'],
      [{ orig: { tn: CALLER }, dest: { tn: [CALLED] }, rph: { auth: ['ets.0'] } }, 'rph'],
      [{ ...div, div: { tn: CALLED }, sph: 'psap-callback' }, 'sph'],
      [{ orig: { tn: CALLER }, dest: { tn: [CALLED] }, requestId: 7 }, 'requestId'],
    ] as const) {
      const r = await ms(SIGNING, { signingRequest: body }, forwarder);
      expect([r.status, r.json.error], JSON.stringify(body)).toEqual([400, expect.stringMatching(new RegExp(`^Invalid parameter value '${field.replace('.', '\\.')}': `))]);
    }
  });

  it('refuses an rph PASSporT to an account that was not granted the namespace (403 Forbidden, rph.auth)', async () => {
    const r = await ms(SIGNING, { signingRequest: { ppt: 'rph', orig: { tn: CALLER }, dest: { tn: [CALLED] }, iat: nowSec(), rph: { auth: ['ets.0'] } } });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatch(/^Forbidden 'rph\.auth': this account may not sign rph PASSporTs/);
  });

  describe('verification', () => {
    const call = (over: Record<string, unknown> = {}) => ({ from: { tn: CALLER }, to: { tn: CALLED }, time: nowSec(), ...over });

    it('passes a good call: one verifyResult with the verified claims, verstatValue TN-Validation-Passed, requestId and displayName reflected', async () => {
      const identity = await sign({ attest: 'A', orig: { tn: CALLER }, dest: { tn: [CALLED] } });
      const r = await ms(VERIFICATION, { verificationRequest: call({ identityHeader: identity, requestId: 'v-1', displayName: 'James Smith', profileId: 'Profile-5678' }) });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toEqual({
        verificationResponse: {
          requestId: 'v-1',
          displayName: 'James Smith',
          verstatValue: 'TN-Validation-Passed',
          verifyResults: [{ verifyResult: { ppt: 'shaken', status: 'pass', validClaims: claimsOf(identity) } }],
        },
      });
    });

    it('accepts the quoted ppt="shaken" of the public examples and a from given as a SIP URI', async () => {
      const identity = (await sign({ attest: 'A', orig: { tn: CALLER }, dest: { tn: [CALLED] } })).replace(/ppt=shaken$/, 'ppt="shaken"');
      const r = await ms(VERIFICATION, { verificationRequest: call({ identityHeader: identity, from: { uri: `sip:+${CALLER}@example.net;user=phone` }, to: { tn: [CALLED] } }) });
      expect(r.json.verificationResponse).toMatchObject({ verstatValue: 'TN-Validation-Passed', verifyResults: [{ verifyResult: { status: 'pass' } }] });
    });

    it('fails a tampered PASSporT: 438 Invalid Identity Header, TN-Validation-Failed, the failing PASSporT echoed', async () => {
      const identity = await sign({ attest: 'A', orig: { tn: CALLER }, dest: { tn: [CALLED] } });
      const tampered = identity.replace(/\.([\w-])([\w-]{85});/, (_m, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest};`);
      const r = await ms(VERIFICATION, { verificationRequest: call({ identityHeader: tampered }) });
      expect(r.status).toBe(200);
      expect(r.json.verificationResponse).toEqual({
        verstatValue: 'TN-Validation-Failed',
        verifyResults: [{ verifyResult: { ppt: 'shaken', status: 'fail', reasonCode: 438, reasonText: 'Invalid Identity Header', reasonDescription: expect.stringMatching(/signature/), passport: jwsOf(tampered) } }],
      });
    });

    it('fails a call whose SIP Date is two minutes old: 403 Stale Date', async () => {
      const identity = await sign({ attest: 'A', orig: { tn: CALLER }, dest: { tn: [CALLED] } });
      const r = await ms(VERIFICATION, { verificationRequest: call({ identityHeader: identity, time: nowSec() - 120 }) });
      expect(r.json.verificationResponse).toMatchObject({ verstatValue: 'No-TN-Validation', verifyResults: [{ verifyResult: { status: 'fail', reasonCode: 403, reasonText: 'Stale Date' } }] });
    });

    it('passes a forwarded call: shaken plus a div in identityHeaders, one verifyResult each, and divResult for the diverting number', async () => {
      const shaken = await sign({ attest: 'A', orig: { tn: CALLER }, dest: { tn: [CALLED] }, origid: ORIGID });
      const div = await sign({ ppt: 'div', orig: { tn: CALLER }, dest: { tn: [FORWARDED_TO] }, div: { tn: CALLED, hi: '1.1' }, origid: ORIGID }, forwarder);
      const r = await ms(VERIFICATION, { verificationRequest: call({ identityHeader: shaken, identityHeaders: [div], dest: { tn: FORWARDED_TO }, protectedHeaders: ['History-Info: <sip:12155551213@example.net>;index=1.1'] }) });
      expect(r.status, r.text).toBe(200);
      expect(r.json.verificationResponse).toEqual({
        verstatValue: 'TN-Validation-Passed',
        verifyResults: [
          { verifyResult: { ppt: 'shaken', status: 'pass', validClaims: claimsOf(shaken) } },
          { verifyResult: { ppt: 'div', status: 'pass', validClaims: claimsOf(div) } },
        ],
        divResult: [{ div: { tn: CALLED }, verstatValue: 'TN-Validation-Passed' }],
      });
    });

    it('fails a div that is no hop of the chain on that div, and a chain that does not reach dest on the first PASSporT', async () => {
      const shaken = await sign({ attest: 'A', orig: { tn: CALLER }, dest: { tn: [CALLED] }, origid: ORIGID });
      const stray = await sign({ ppt: 'div', orig: { tn: CALLER }, dest: { tn: [FORWARDED_TO] }, div: { tn: '12155550000' }, origid: ORIGID }, forwarder);
      const r = await ms(VERIFICATION, { verificationRequest: call({ identityHeader: shaken, identityHeaders: [stray], dest: { tn: FORWARDED_TO } }) });
      expect(r.json.verificationResponse).toMatchObject({
        verstatValue: 'No-TN-Validation',
        verifyResults: [{ verifyResult: { ppt: 'shaken', status: 'pass' } }, { verifyResult: { ppt: 'div', status: 'fail', reasonCode: 438, passport: jwsOf(stray) } }],
        divResult: [{ div: { tn: '12155550000' }, verstatValue: 'No-TN-Validation' }],
      });

      const div = await sign({ ppt: 'div', orig: { tn: CALLER }, dest: { tn: [FORWARDED_TO] }, div: { tn: CALLED }, origid: ORIGID }, forwarder);
      const elsewhere = await ms(VERIFICATION, { verificationRequest: call({ identityHeader: shaken, identityHeaders: [div], dest: { tn: '12155559999' } }) });
      expect(elsewhere.json.verificationResponse).toMatchObject({
        verstatValue: 'No-TN-Validation',
        verifyResults: [{ verifyResult: { ppt: 'shaken', status: 'fail', reasonCode: 438, reasonDescription: expect.stringMatching(/does not end at the number called now/) } }, { verifyResult: { ppt: 'div', status: 'pass' } }],
      });
    });

    it('answers a request without any Identity header 400 Missing mandatory parameter, naming identityHeader', async () => {
      const r = await ms(VERIFICATION, { verificationRequest: call({ identityHeaders: [] }) });
      expect([r.status, r.json.error]).toEqual([400, expect.stringMatching(/^Missing mandatory parameter 'identityHeader': /)]);
    });
  });
});
