import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATIS_ANSWERABLE_IDS, ATIS_MESSAGE, ATIS_RESOURCES, NOT_RAISED_ON_ATIS_RESOURCES } from '../../server/http/atis-errors.js';
import { HTTP_STATUS } from '../../server/http/errors.js';
import type { ErrorCode } from '../../server/core/errors.js';
import { handJws, identityOf, shakenClaims, shakenHeader } from '../verify/support.js';
import { postJson, readAnswer, startTestService, type Provisioned, type TestService } from '../helpers/service.js';

/*
 * Issue 15, "ATIS-1000082 exactly": the ATIS error table row by row. Every message id the two resources can
 * answer is produced here by a real request to a running node (POL5000 by the key store outage of
 * test/hsm/hsm-http.test.ts, the one real way to make a node fail), and README.md's list names exactly those ids
 * with their HTTP statuses.
 */

const README_MARKER = '<!-- atis-errors:';

/** The README rows under the marker: messageId → the HTTP statuses it names. */
function readmeRows(): Map<string, number[]> {
  const lines = readFileSync('README.md', 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith(README_MARKER));
  expect(start, 'README.md has the ATIS error list').toBeGreaterThan(0);
  const rows = new Map<string, number[]>();
  for (const line of lines.slice(start + 3)) {
    if (!line.startsWith('|')) break;
    const [, id, http] = line.split('|').map((c) => c.trim());
    rows.set(id!.replace(/`/g, ''), http!.split(',').map((s) => Number(s.trim())));
  }
  return rows;
}

/** What the table says each id is answered with: the HTTP statuses of the codes that map to it. */
function tableStatuses(id: string): number[] {
  const codes = (Object.keys(ATIS_MESSAGE) as ErrorCode[]).filter((c) => ATIS_MESSAGE[c].id === id && !NOT_RAISED_ON_ATIS_RESOURCES.includes(c));
  return [...new Set(codes.map((c) => HTTP_STATUS[c]))].sort();
}

describe("README.md's ATIS-1000082 error list", () => {
  it('names exactly the message ids the resources can answer, each with its HTTP statuses', () => {
    const rows = readmeRows();
    expect([...rows.keys()].sort()).toEqual([...ATIS_ANSWERABLE_IDS].sort());
    for (const id of ATIS_ANSWERABLE_IDS) expect(rows.get(id)!.sort(), id).toEqual(tableStatuses(id));
  });

  it('leaves out the ids only the dashboard and management raise', () => {
    expect(ATIS_ANSWERABLE_IDS).not.toContain('POL1004');
    expect(ATIS_ANSWERABLE_IDS).not.toContain('POL1005');
  });
});

describe('the ATIS-1000082 error table, row by row, through a running node', () => {
  let svc: TestService;
  let a: Provisioned;
  const produced = new Set<string>();
  const signing = `/stir/v1/signing`;
  const verification = `/stir/v1/verification`;
  const nowSec = () => Math.floor(Date.now() / 1000);
  const signingRequest = () => ({ attest: 'A', dest: { tn: ['12155551213'] }, iat: nowSec(), orig: { tn: '12155551212' }, origid: '123e4567-e89b-12d3-a456-426655440000' });
  const verificationRequest = (identity: string) => ({ from: { tn: '14045266060' }, to: { tn: ['18001234567'] }, time: nowSec(), identity });
  const bodies: Record<string, () => unknown> = { [signing]: () => ({ signingRequest: signingRequest() }), [verification]: () => ({ verificationRequest: verificationRequest('a.b.c;info=<https://x.example/c.pem>') }) };

  /** Checks the standard's error body and records its id as produced. */
  function expectAtisError(r: { status: number; json: any }, status: number, id: string): void {
    const kind = id.startsWith('SVC') ? 'serviceException' : 'policyException';
    expect(r.status, JSON.stringify(r.json)).toBe(status);
    expect(Object.keys(r.json)).toEqual(['requestError']);
    expect(Object.keys(r.json.requestError)).toEqual([kind]);
    expect(r.json.requestError[kind]).toMatchObject({ messageId: id, text: expect.any(String), variables: expect.any(Array) });
    produced.add(id);
  }
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => postJson(`${svc.url}${path}`, body, { authorization: `Bearer ${a.token}`, ...headers });

  beforeAll(async () => {
    svc = await startTestService();
    a = await svc.provision({ maxAttest: 'A' });
  });
  afterAll(async () => {
    // Every id the table can answer has been produced: here, or POL5000 in test/hsm/hsm-http.test.ts.
    expect([...produced, 'POL5000'].sort()).toEqual([...ATIS_ANSWERABLE_IDS].sort());
    await svc.stop();
  });

  for (const path of Object.keys(ATIS_RESOURCES)) {
    it(`${path}: SVC4000 for no body at all, with or without a JSON Content-Type`, async () => {
      const bare = await readAnswer(await fetch(`${svc.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${a.token}` } }));
      expectAtisError(bare, 400, 'SVC4000');
      expect(bare.json.requestError.serviceException).toEqual({ messageId: 'SVC4000', text: 'Missing request body', variables: [] });
      expectAtisError(await post(path, ''), 400, 'SVC4000');
    });

    it(`${path}: SVC4006 for a body that does not parse or is not an object, and when it is too large (413)`, async () => {
      expectAtisError(await post(path, '{'), 400, 'SVC4006');
      expectAtisError(await post(path, '"a string"'), 400, 'SVC4006');
      expectAtisError(await post(path, 'null'), 400, 'SVC4006');
      expectAtisError(await post(path, { pad: 'x'.repeat(svc.config.http.bodyLimit) }), 413, 'SVC4006');
    });

    it(`${path}: SVC4004 for another media type, naming the one expected`, async () => {
      const r = await readAnswer(await fetch(`${svc.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/xml' }, body: '<x/>' }));
      expectAtisError(r, 415, 'SVC4004');
      expect(r.json.requestError.serviceException.variables).toEqual(['application/json']);
    });

    it(`${path}: SVC4001 for a missing parameter, naming it`, async () => {
      const r = await post(path, {});
      expectAtisError(r, 400, 'SVC4001');
      expect(r.json.requestError.serviceException.variables).toEqual([path === signing ? 'signingRequest' : 'verificationRequest']);
    });

    it(`${path}: POL4050 with Allow: POST for every other method (RFC 9110 §15.5.6)`, async () => {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const res = await fetch(`${svc.url}${path}?x=1`, { method, headers: { authorization: `Bearer ${a.token}` } });
        expect(res.headers.get('allow'), method).toBe('POST');
        const r = await readAnswer(res);
        expectAtisError(r, 405, 'POL4050');
        expect(r.json.requestError.policyException).toEqual({ messageId: 'POL4050', text: 'Method not allowed', variables: [] });
      }
      const head = await fetch(`${svc.url}${path}`, { method: 'HEAD' });
      expect([head.status, head.headers.get('allow')]).toEqual([405, 'POST']);
      // The method is judged before the caller: no API key, still 405.
      expectAtisError(await readAnswer(await fetch(`${svc.url}${path}`, { method: 'GET' })), 405, 'POL4050');
    });

    it(`${path}: POL1001 without an API key or with an unknown one`, async () => {
      expectAtisError(await postJson(`${svc.url}${path}`, bodies[path]!()), 401, 'POL1001');
      expectAtisError(await postJson(`${svc.url}${path}`, bodies[path]!(), { authorization: 'Bearer ssk_0123456789abcdef_' + 'x'.repeat(43) }), 401, 'POL1001');
    });
  }

  it('SVC4003 for any other path under /stir/v1/, while our own API keeps its own 404', async () => {
    const r = await readAnswer(await fetch(`${svc.url}/stir/v1/nothing`, { method: 'POST' }));
    expectAtisError(r, 404, 'SVC4003');
    const ours = await readAnswer(await fetch(`${svc.url}/api/nothing`));
    expect([ours.status, ours.json.error.code]).toEqual([404, 'ERR_REQ_NOT_FOUND']);
    // Our own resources are not ATIS ones: a wrong method there is still our 404.
    const own = await readAnswer(await fetch(`${svc.url}/api/stir-shaken/sign`));
    expect([own.status, own.json.error.code]).toEqual([404, 'ERR_REQ_NOT_FOUND']);
  });

  it('SVC4005 for an invalid value, naming the parameter', async () => {
    const r = await post(signing, { signingRequest: { ...signingRequest(), attest: 'Z' } });
    expectAtisError(r, 400, 'SVC4005');
    expect(r.json.requestError.serviceException.variables).toEqual(['attest', expect.any(String)]);
    expectAtisError(await post(verification, { verificationRequest: { ...verificationRequest('a.b.c'), to: { tn: ['x'] } } }), 400, 'SVC4005');
  });

  it('POL1002 for a revoked API key and for a disabled account', async () => {
    const c = await svc.provision();
    await svc.node.store.revokeApiKey(c.apiKeyId);
    await expect.poll(async () => (await postJson(`${svc.url}${signing}`, bodies[signing]!(), { authorization: `Bearer ${c.token}` })).status, { timeout: 5000 }).toBe(403);
    expectAtisError(await postJson(`${svc.url}${verification}`, bodies[verification]!(), { authorization: `Bearer ${c.token}` }), 403, 'POL1002');
    const d = await svc.provision();
    await svc.node.store.updateAccount(d.account.id, { enabled: false });
    await expect.poll(async () => (await postJson(`${svc.url}${signing}`, bodies[signing]!(), { authorization: `Bearer ${d.token}` })).status, { timeout: 5000 }).toBe(403);
    expectAtisError(await postJson(`${svc.url}${signing}`, bodies[signing]!(), { authorization: `Bearer ${d.token}` }), 403, 'POL1002');
  });

  it('POL1003 once the account\'s certificate has expired', async () => {
    const c = await svc.provision({ pki: { leafNotBefore: new Date(Date.now() - 86400_000), leafNotAfter: new Date(Date.now() + 1500) } });
    expect((await postJson(`${svc.url}${signing}`, bodies[signing]!(), { authorization: `Bearer ${c.token}` })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2000));
    expectAtisError(await postJson(`${svc.url}${signing}`, bodies[signing]!(), { authorization: `Bearer ${c.token}` }), 409, 'POL1003');
  });

  it('answers a PASSporT header that lacks a member 436 (E9), a wrong alg or typ 437 (E11, E12), an unsupported ppt 438 (E13)', async () => {
    const claims = JSON.stringify(shakenClaims(nowSec()));
    const x5u = 'https://certs.example/sti.pem';
    const verify = async (header: Record<string, unknown>) => {
      const r = await post(verification, { verificationRequest: verificationRequest(identityOf(handJws(a.pki.leaf.keyPem, JSON.stringify(header), claims), x5u)) });
      expect(r.status).toBe(200);
      return r.json.verificationResponse;
    };
    const { typ: _t, ...noTyp } = shakenHeader(x5u);
    const { x5u: _x, ...noX5u } = shakenHeader(x5u);
    expect(await verify(noTyp)).toEqual({ verstat: 'No-TN-Validation', reasoncode: 436, reasontext: 'Bad Identity Info' });
    expect(await verify(noX5u)).toEqual({ verstat: 'No-TN-Validation', reasoncode: 436, reasontext: 'Bad Identity Info' });
    expect(await verify({ ...shakenHeader(x5u), alg: 'RS256' })).toEqual({ verstat: 'No-TN-Validation', reasoncode: 437, reasontext: 'Unsupported Credential' });
    expect(await verify({ ...shakenHeader(x5u), typ: 'JWT' })).toEqual({ verstat: 'No-TN-Validation', reasoncode: 437, reasontext: 'Unsupported Credential' });
    expect(await verify({ ...shakenHeader(x5u), ppt: 'rph' })).toEqual({ verstat: 'No-TN-Validation', reasoncode: 438, reasontext: 'Invalid Identity Header' });
  });
});
