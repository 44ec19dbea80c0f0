import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';

const CALL = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' };

/** One table, run through both HTTP shapes: what the core decides is what each transport says. */
const CASES: { title: string; input: (identity: string, now: number) => { identity: string; from: string; to: string; time: number }; ok: boolean; sip?: number; verstat: string; phrase?: string }[] = [
  { title: 'a token matching the call passes', input: (identity, now) => ({ identity, from: '14045266060', to: '18001234567', time: now }), ok: true, verstat: 'TN-Validation-Passed' },
  { title: 'a calling number other than orig is 438 No-TN-Validation', input: (identity, now) => ({ identity, from: '19995550000', to: '18001234567', time: now }), ok: false, sip: 438, verstat: 'No-TN-Validation', phrase: 'Invalid Identity Header' },
  {
    title: 'a tampered signature is 438 TN-Validation-Failed',
    input: (identity, now) => ({ identity: identity.replace(/\.([\w-])([\w-]{85});/, (_m, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest};`), from: '14045266060', to: '18001234567', time: now }),
    ok: false,
    sip: 438,
    verstat: 'TN-Validation-Failed',
    phrase: 'Invalid Identity Header',
  },
  { title: 'a SIP Date two minutes old is 403 Stale Date', input: (identity, now) => ({ identity, from: '14045266060', to: '18001234567', time: now - 120 }), ok: false, sip: 403, verstat: 'No-TN-Validation', phrase: 'Stale Date' },
  { title: 'a header without info is 436 Bad Identity Info', input: (identity, now) => ({ identity: identity.replace(/;info=<[^>]+>/, ''), from: '14045266060', to: '18001234567', time: now }), ok: false, sip: 436, verstat: 'No-TN-Validation', phrase: 'Bad Identity Info' },
];

describe('verification over HTTP: POST /api/stir-shaken/verify and ATIS-1000082 POST /stir/v1/verification', () => {
  let svc: TestService;
  let acct: Provisioned;
  let anchors: string;
  let identity: string;
  const auth = () => ({ authorization: `Bearer ${acct.token}` });
  const nowSec = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    anchors = await mkdtemp(join(tmpdir(), 'shakenstack-anchors-'));
    svc = await startTestService({ overrides: { 'verify.trustAnchors': anchors, 'verify.trustReloadMs': 0, 'verify.allowInsecureX5u': true } });
    acct = await svc.provision();
    const signed = await postJson(`${svc.url}/api/stir-shaken/sign`, CALL, auth());
    expect(signed.status).toBe(200);
    identity = signed.json.identity;
  });
  afterAll(() => svc.stop());

  it('answers 437 cert_untrusted until the account\'s root is in the trust-anchor folder, then passes without a restart', async () => {
    const before = await postJson(`${svc.url}/api/stir-shaken/verify`, { identity }, auth());
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({ ok: false, sip: 437, reason: 'cert_untrusted', verstat: 'TN-Validation-Failed', reasonPhrase: 'Unsupported Credential' });
    await writeFile(join(anchors, 'test-root.pem'), acct.pki.root.certPem);
    const after = await postJson(`${svc.url}/api/stir-shaken/verify`, { identity, from: '+1 404 526 6060', to: ['18001234567'] }, auth());
    expect(after.status).toBe(200);
    expect(after.json).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', attest: 'A', x5u: acct.x5u, cert: { spc: '1234', revocation: expect.any(String) }, checks: { signature: true, orig: true, dest: true } });
    expect(after.json.claims).toMatchObject({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } });
  });

  for (const c of CASES) {
    it(`${c.title} (own API and ATIS shape, both HTTP 200)`, async () => {
      await writeFile(join(anchors, 'test-root.pem'), acct.pki.root.certPem);
      const input = c.input(identity, nowSec());
      const own = await postJson(`${svc.url}/api/stir-shaken/verify`, input, auth());
      expect(own.status).toBe(200);
      expect(own.json).toMatchObject(c.ok ? { ok: true, verstat: c.verstat } : { ok: false, verstat: c.verstat, sip: c.sip, atisReasonCode: c.sip, reasonPhrase: c.phrase });
      const atis = await postJson(`${svc.url}/stir/v1/verification`, { verificationRequest: { from: { tn: input.from }, to: { tn: [input.to] }, time: input.time, identity: input.identity } }, auth());
      expect(atis.status).toBe(200);
      expect(atis.json).toEqual({ verificationResponse: c.ok ? { verstat: c.verstat } : { verstat: c.verstat, reasoncode: c.sip, reasontext: c.phrase } });
    });
  }

  it('needs an API key on both shapes (401; ATIS POL1001)', async () => {
    const own = await postJson(`${svc.url}/api/stir-shaken/verify`, { identity });
    expect(own.status).toBe(401);
    expect(own.json.error.code).toBe('ERR_AUTH_MISSING');
    const atis = await postJson(`${svc.url}/stir/v1/verification`, { verificationRequest: { from: { tn: '1' }, to: { tn: ['2'] }, time: 1, identity } }, { authorization: 'Bearer ssk_nope' });
    expect(atis.status).toBe(401);
    expect(atis.json.requestError.policyException.messageId).toBe('POL1001');
  });

  it('answers a malformed request 4xx, not with a verification result', async () => {
    const missing = await postJson(`${svc.url}/api/stir-shaken/verify`, { from: '14045266060' }, auth());
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatchObject({ code: 'ERR_REQ_FIELD_MISSING', field: 'identity' });
    const badTn = await postJson(`${svc.url}/api/stir-shaken/verify`, { identity, to: 'call me' }, auth());
    expect(badTn.json.error).toMatchObject({ code: 'ERR_TN_INVALID', field: 'to' });
    const noTime = await postJson(`${svc.url}/stir/v1/verification`, { verificationRequest: { from: { tn: '14045266060' }, to: { tn: ['18001234567'] }, identity } }, auth());
    expect(noTime.status).toBe(400);
    expect(noTime.json).toEqual({ requestError: { serviceException: { messageId: 'SVC4001', text: "Missing mandatory parameter '%1'", variables: ['time'] } } });
    const notJson = await postJson(`${svc.url}/stir/v1/verification`, '{"verificationRequest":', auth());
    expect(notJson.status).toBe(400);
    expect(notJson.json.requestError.serviceException.messageId).toBe('SVC4006');
    const badTo = await postJson(`${svc.url}/stir/v1/verification`, { verificationRequest: { from: { tn: '14045266060' }, to: { tn: ['x'] }, time: nowSec(), identity } }, auth());
    expect(badTo.status).toBe(400);
    expect(badTo.json.requestError.serviceException.messageId).toBe('SVC4005');
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await (await fetch(`${svc.url}/openapi.json`)).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/stir-shaken/verify', '/stir/v1/verification']));
  });
});
