import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, ShakenError, type ErrorCode } from '../../server/core/errors.js';
import { HTTP_STATUS } from '../../server/http/errors.js';
import { MS_ERROR_TEXT, MS_RESOURCES, NOT_RAISED_ON_MS_RESOURCES, msError } from '../../server/http/ms-errors.js';
import { expectDescribedAnswer } from '../helpers/ms-openapi.js';
import { postJson, readAnswer, startTestService, type Provisioned, type TestService } from '../helpers/service.js';

/*
 * Issue 15: the 3GPP Ms error table row by row. Each row (an HTTP status and the TS 24.229 text the `error`
 * begins with) is produced by a real request to a running node, except 503 and 500, which a node answers only
 * when its key store or database fails or it has a fault: those are checked through the one mapping function.
 * Every answer is checked against our OpenAPI description, and docs/3gpp-ms.md lists every code with its row.
 */

const SIGNING = '/3gpp/ms/v1/signing';
const VERIFICATION = '/3gpp/ms/v1/verification';
const POSTS = [SIGNING, VERIFICATION] as const;
const RAISED = ERROR_CODES.filter((c) => !NOT_RAISED_ON_MS_RESOURCES.includes(c));
const rowOf = (code: ErrorCode) => `${HTTP_STATUS[code]} ${MS_ERROR_TEXT[code]}`;

/** docs/3gpp-ms.md's error table: code → `status text`. */
function docRows(): Map<string, string> {
  const page = readFileSync('docs/3gpp-ms.md', 'utf8');
  expect(page).toContain('<!-- ms-errors:');
  return new Map([...page.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \| `([^`]+)` \|/gm)].map((m) => [m[1]!, `${m[2]} ${m[3]}`]));
}

describe('docs/3gpp-ms.md error table', () => {
  it('lists every code a Ms resource can raise with the status and text the table gives it, and no other', () => {
    const rows = docRows();
    expect([...rows.keys()].sort()).toEqual([...RAISED].sort());
    for (const code of RAISED) expect(rows.get(code), code).toBe(rowOf(code));
  });

  it('uses the spec\'s statuses where TS 24.229 names the case', () => {
    const spec: [ErrorCode, number][] = [['ERR_REQ_BODY_MISSING', 400], ['ERR_REQ_FIELD_MISSING', 400], ['ERR_REQ_FIELD_INVALID', 400], ['ERR_REQ_MALFORMED', 400], ['ERR_REQ_NOT_ACCEPTABLE', 406], ['ERR_REQ_NOT_FOUND', 404], ['ERR_REQ_CONTENT_TYPE', 415], ['ERR_REQ_METHOD_NOT_ALLOWED', 405], ['ERR_INTERNAL', 500]];
    for (const [code, status] of spec) expect(HTTP_STATUS[code], code).toBe(status);
  });
});

describe('the 3GPP Ms error table, row by row, through a running node', () => {
  let svc: TestService;
  let a: Provisioned;
  const produced = new Set<string>();
  const nowSec = () => Math.floor(Date.now() / 1000);
  const signingRequest = (over: Record<string, unknown> = {}) => ({ signingRequest: { attest: 'A', orig: { tn: '12155551212' }, dest: { tn: ['12155551213'] }, iat: nowSec(), ...over } });
  const verificationRequest = (over: Record<string, unknown> = {}) => ({ verificationRequest: { identityHeader: 'a.b.c;info=<https://x.example/c.pem>', from: { tn: '12155551212' }, to: { tn: '12155551213' }, time: nowSec(), ...over } });
  const valid: Record<string, () => unknown> = { [SIGNING]: () => signingRequest(), [VERIFICATION]: () => verificationRequest() };

  /** Checks an error answer: the row's status, `{"error":"<text>…"}`, the description; records the row as produced. */
  function expectMsError(method: string, path: string, r: { status: number; headers: Headers; json: any; text: string }, code: ErrorCode, field?: string): void {
    expect(r.status, r.text).toBe(HTTP_STATUS[code]);
    expectDescribedAnswer(method, path, r);
    if (method === 'HEAD') return;
    expect(Object.keys(r.json)).toEqual(['error']);
    expect(r.json.error).toMatch(new RegExp(`^${MS_ERROR_TEXT[code]}${field === undefined ? '' : ` '${field.replace(/[.[\]]/g, '\\$&')}'`}: `));
    produced.add(rowOf(code));
  }
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => postJson(`${svc.url}${path}`, body, { authorization: `Bearer ${a.token}`, ...headers });

  beforeAll(async () => {
    svc = await startTestService();
    a = await svc.provision({ maxAttest: 'A' });
  });
  afterAll(async () => {
    // Every row the table can answer was produced here, but 503 and 500 (checked through msError below).
    expect([...produced, rowOf('ERR_STORE_UNAVAILABLE'), rowOf('ERR_INTERNAL')].sort()).toEqual([...new Set(RAISED.map(rowOf))].sort());
    await svc.stop();
  });

  for (const path of POSTS) {
    it(`${path}: 400 Missing request body for no body at all, with or without a JSON Content-Type`, async () => {
      expectMsError('POST', path, await readAnswer(await fetch(`${svc.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${a.token}` } })), 'ERR_REQ_BODY_MISSING');
      expectMsError('POST', path, await post(path, ''), 'ERR_REQ_BODY_MISSING');
    });

    it(`${path}: 400 Failed to parse message body for a body that is not a JSON object; 413 when it is too large`, async () => {
      for (const body of ['{', '"a string"', 'null', '[1]']) expectMsError('POST', path, await post(path, body), 'ERR_REQ_MALFORMED');
      expectMsError('POST', path, await post(path, { pad: 'x'.repeat(svc.config.http.bodyLimit) }), 'ERR_REQ_TOO_LARGE');
    });

    it(`${path}: 415 Unsupported request body type for another media type`, async () => {
      const r = await readAnswer(await fetch(`${svc.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/xml' }, body: '<x/>' }));
      expectMsError('POST', path, r, 'ERR_REQ_CONTENT_TYPE');
    });

    it(`${path}: 400 Missing mandatory parameter naming the wrapper, and an invalid one when it is not an object`, async () => {
      const name = path === SIGNING ? 'signingRequest' : 'verificationRequest';
      expectMsError('POST', path, await post(path, {}), 'ERR_REQ_FIELD_MISSING', name);
      expectMsError('POST', path, await post(path, { [name]: ['x'] }), 'ERR_REQ_FIELD_INVALID', name);
    });

    it(`${path}: 405 Method not allowed with Allow: POST for every other method, before the caller is judged`, async () => {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']) {
        const res = await fetch(`${svc.url}${path}?x=1`, { method });
        expect(res.headers.get('allow'), method).toBe('POST');
        expectMsError(method, path, await readAnswer(res), 'ERR_REQ_METHOD_NOT_ALLOWED');
      }
    });

    it(`${path}: 406 for an Accept that admits no JSON; JSON under any name is served`, async () => {
      for (const accept of ['text/xml', 'application/json;q=0', 'text/html, application/xml;q=0.9']) {
        expectMsError('POST', path, await post(path, valid[path]!(), { accept }), 'ERR_REQ_NOT_ACCEPTABLE', 'Accept');
      }
      for (const accept of ['*/*', 'application/*', 'application/json; charset=utf-8', 'text/html, application/json;q=0.1']) {
        const r = await post(path, valid[path]!(), { accept });
        expect(r.status, accept).not.toBe(406);
        expectDescribedAnswer('POST', path, r);
      }
    });

    it(`${path}: 401 Unauthorized with WWW-Authenticate: Bearer without an API key or with an unknown one`, async () => {
      for (const headers of [{}, { authorization: `Bearer ssk_0123456789abcdef_${'x'.repeat(43)}` }] as Record<string, string>[]) {
        const r = await postJson(`${svc.url}${path}`, valid[path]!(), headers);
        expectMsError('POST', path, r, 'authorization' in headers ? 'ERR_AUTH_INVALID' : 'ERR_AUTH_MISSING', 'authorization');
        expect(r.headers.get('www-authenticate')).toBe('Bearer');
      }
    });
  }

  it('404 Requested resource not found for any other path under /3gpp/ms/v1/, such as the per-ppt resources of the 2022 drafts', async () => {
    for (const path of ['/3gpp/ms/v1/divSigning', '/3gpp/ms/v1/rphSigning', '/3gpp/ms/v1/nothing']) {
      expectMsError('POST', path, await readAnswer(await fetch(`${svc.url}${path}`, { method: 'POST' })), 'ERR_REQ_NOT_FOUND');
    }
  });

  it('405 with Allow: GET, HEAD on the description, which any Accept with JSON may read', async () => {
    const path = '/3gpp/ms/v1/openapi.json';
    const res = await fetch(`${svc.url}${path}`, { method: 'POST' });
    expect(res.headers.get('allow')).toBe(MS_RESOURCES[path]);
    expectMsError('POST', path, await readAnswer(res), 'ERR_REQ_METHOD_NOT_ALLOWED');
    expectMsError('GET', path, await readAnswer(await fetch(`${svc.url}${path}`, { headers: { accept: 'text/html' } })), 'ERR_REQ_NOT_ACCEPTABLE', 'Accept');
  });

  it('400 Invalid parameter value for every kind of bad value, naming the parameter', async () => {
    const cases: [unknown, ErrorCode, string][] = [
      [signingRequest({ attest: 'Z' }), 'ERR_ATTEST_INVALID', 'attest'],
      [signingRequest({ orig: { tn: 'call me' } }), 'ERR_TN_INVALID', 'orig.tn'],
      [signingRequest({ dest: { uri: ['http://example.com/'] } }), 'ERR_URI_INVALID', 'dest.uri[0]'],
      [signingRequest({ dest: { tn: [] } }), 'ERR_DEST_EMPTY', 'dest'],
      [signingRequest({ origid: 'not-a-uuid' }), 'ERR_REQ_ORIGID_INVALID', 'origid'],
      [signingRequest({ iat: '1700000000' }), 'ERR_REQ_IAT_INVALID', 'iat'],
      [signingRequest({ iat: nowSec() - 3600 }), 'ERR_REQ_IAT_STALE', 'iat'],
      [signingRequest({ ppt: 'rcd' }), 'ERR_REQ_FIELD_INVALID', 'ppt'],
    ];
    for (const [body, code, field] of cases) expectMsError('POST', SIGNING, await post(SIGNING, body), code, field);
    expectMsError('POST', VERIFICATION, await post(VERIFICATION, verificationRequest({ to: { tn: 'call me' } })), 'ERR_TN_INVALID', 'to.tn');
    expectMsError('POST', VERIFICATION, await post(VERIFICATION, verificationRequest({ dest: { tn: 'x' } })), 'ERR_TN_INVALID', 'dest.tn');
    expectMsError('POST', VERIFICATION, await post(VERIFICATION, verificationRequest({ identityHeaders: 'a.b.c' })), 'ERR_REQ_FIELD_INVALID', 'identityHeaders');
    expectMsError('POST', VERIFICATION, await post(VERIFICATION, verificationRequest({ time: '12:00' })), 'ERR_REQ_FIELD_INVALID', 'time');
  });

  it('400 Missing mandatory parameter for a missing call party or time, naming it', async () => {
    expectMsError('POST', SIGNING, await post(SIGNING, { signingRequest: { dest: { tn: ['12155551213'] } } }), 'ERR_REQ_FIELD_MISSING', 'orig');
    for (const name of ['from', 'to', 'time']) {
      expectMsError('POST', VERIFICATION, await post(VERIFICATION, verificationRequest({ [name]: undefined })), 'ERR_REQ_FIELD_MISSING', name);
    }
  });

  it('403 Forbidden for a revoked API key, a disabled account, and an rph namespace the account was not granted', async () => {
    const c = await svc.provision();
    await svc.node.store.revokeApiKey(c.apiKeyId);
    await expect.poll(async () => (await postJson(`${svc.url}${SIGNING}`, signingRequest(), { authorization: `Bearer ${c.token}` })).status, { timeout: 5000 }).toBe(403);
    expectMsError('POST', VERIFICATION, await postJson(`${svc.url}${VERIFICATION}`, verificationRequest(), { authorization: `Bearer ${c.token}` }), 'ERR_AUTH_REVOKED', 'authorization');
    const d = await svc.provision();
    await svc.node.store.updateAccount(d.account.id, { enabled: false });
    await expect.poll(async () => (await postJson(`${svc.url}${SIGNING}`, signingRequest(), { authorization: `Bearer ${d.token}` })).status, { timeout: 5000 }).toBe(403);
    expectMsError('POST', SIGNING, await postJson(`${svc.url}${SIGNING}`, signingRequest(), { authorization: `Bearer ${d.token}` }), 'ERR_AUTH_ACCOUNT_DISABLED', 'authorization');
    expectMsError('POST', SIGNING, await post(SIGNING, signingRequest({ ppt: 'rph', attest: undefined, rph: { auth: ['ets.0'] } })), 'ERR_ATTEST_REFUSED', 'rph.auth');
  });

  it("409 No usable signing credential once the account's certificate has expired", async () => {
    const c = await svc.provision({ pki: { leafNotBefore: new Date(Date.now() - 86400_000), leafNotAfter: new Date(Date.now() + 1500) } });
    expect((await postJson(`${svc.url}${SIGNING}`, signingRequest(), { authorization: `Bearer ${c.token}` })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2000));
    expectMsError('POST', SIGNING, await postJson(`${svc.url}${SIGNING}`, signingRequest(), { authorization: `Bearer ${c.token}` }), 'ERR_CRED_EXPIRED');
  });

  it('503 and 500 through the one mapping: the table\'s text, Retry-After left to the handler, a fault never explained', () => {
    for (const path of POSTS) {
      for (const code of ['ERR_STORE_UNAVAILABLE', 'ERR_KEYSTORE_UNAVAILABLE', 'ERR_INTERNAL'] as const) {
        const { status, body } = msError(new ShakenError(code, 'secret detail of a fault'));
        expect(status).toBe(HTTP_STATUS[code]);
        expectDescribedAnswer('POST', path, { status, headers: new Headers({ 'content-type': 'application/json' }), json: body, text: JSON.stringify(body) });
        expect(body.error.startsWith(MS_ERROR_TEXT[code])).toBe(true);
      }
    }
    expect(msError(new ShakenError('ERR_INTERNAL', 'secret detail of a fault')).body).toEqual({ error: 'Internal server error' });
  });
});
