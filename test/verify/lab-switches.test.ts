import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load.js';
import { parseCertificateChain } from '../../server/core/cert-chain.js';
import { checkFetchUrl, X5uRule } from '../../server/core/verify/url-policy.js';
import type { VerifyResult } from '../../server/core/verify/verify-result.js';
import { createLabPki, issueLeaf, type LabPki } from '../../server/pki/lab-pki.js';
import { createHttpsFetcher } from '../../server/verify-fetch/https-fetcher.js';
import { createConfiguredVerifier } from '../../server/verify-fetch/node-verifier.js';
import { CertServer, crlOf, identityOf, joseJws, shakenClaims, shakenHeader } from './support.js';

/*
 * The two lab switches apart (issue 15): `verify.allowHttpX5u` lifts the x5u scheme rule only,
 * `verify.allowPrivateAddresses` the address rule only; CRL distribution points may be http with neither.
 * Everything runs through the configured verifier (config loader, real fetcher, real core) against
 * certificate repositories on loopback, one https and one plain http.
 */

/** The fetcher's detail; a verification's reasonText is the reason's text, a colon, then this detail. */
const SCHEME_REFUSAL = /^scheme rule: x5u is https only, not http \(verify\.allowHttpX5u admits http in labs\)$/;
const ADDRESS_REFUSAL = /^address rule: .*loopback, private or special-purpose address \(verify\.allowPrivateAddresses admits it in labs\)$/;
/** The same detail at the end of a reasonText. */
const inReason = (detail: RegExp) => new RegExp(`: ${detail.source.slice(1)}`);

describe('URL policy: the scheme rule by kind of URL', () => {
  it('keeps x5u https-only unless allowHttpX5u, and admits http and https CRL distribution points always', () => {
    expect(checkFetchUrl('https://cr.sti.example/chain.pem', 'x5u')).toMatchObject({ ok: true });
    expect(checkFetchUrl('http://cr.sti.example/chain.pem', 'x5u')).toEqual({ ok: false, detail: 'scheme rule: x5u is https only, not http (verify.allowHttpX5u admits http in labs)' });
    expect(checkFetchUrl('http://cr.sti.example/chain.pem', 'x5u', true)).toMatchObject({ ok: true });
    // A public http CRL distribution point, as STI-CAs publish them: no switch needed.
    expect(checkFetchUrl('http://crl.sti-ca.example/intermediate.crl', 'crl')).toMatchObject({ ok: true, url: new URL('http://crl.sti-ca.example/intermediate.crl') });
    expect(checkFetchUrl('HTTP://crl.sti-ca.example/intermediate.crl', 'crl')).toMatchObject({ ok: true });
    expect(checkFetchUrl('https://crl.sti-ca.example/intermediate.crl', 'crl')).toMatchObject({ ok: true });
  });

  it('refuses other schemes whatever the switch, and keeps the other URL rules for http CRLs', () => {
    expect(checkFetchUrl('ftp://cr.sti.example/chain.pem', 'x5u', true)).toEqual({ ok: false, detail: 'scheme rule: x5u is https only, not ftp' });
    expect(checkFetchUrl('ldap://dir.sti-ca.example/cn=CA?certificateRevocationList', 'crl')).toEqual({ ok: false, detail: 'URL has a query' });
    expect(checkFetchUrl('ldap://dir.sti-ca.example/cn=CA', 'crl')).toEqual({ ok: false, detail: 'scheme rule: a CRL distribution point is fetched over http or https, not ldap' });
    expect(checkFetchUrl('file:///etc/passwd', 'crl')).toMatchObject({ ok: false, detail: expect.stringMatching(/^scheme rule: .* not file$/) });
    expect(checkFetchUrl('http://crl.sti-ca.example/a.crl?x=1', 'crl')).toEqual({ ok: false, detail: 'URL has a query' });
    expect(checkFetchUrl('http://crl.sti-ca.example/a.crl#f', 'crl')).toEqual({ ok: false, detail: 'URL has a fragment' });
    expect(checkFetchUrl('http://u:p@crl.sti-ca.example/a.crl', 'crl')).toEqual({ ok: false, detail: 'URL has userinfo' });
  });
});

describe('URL policy: the x5u rule a verifier keeps (X5uRule)', () => {
  it("gives checkFetchUrl's verdict for each link, judged once while kept, and the lab switch of its own verifier", () => {
    const strict = new X5uRule(false, 4);
    const lab = new X5uRule(true, 4);
    const https = 'https://cr.sti.example/chain.pem';
    const http = 'http://cr.sti.example/chain.pem';
    expect(strict.judge(https)).toEqual({ ok: true });
    const refused = { ok: false, detail: 'scheme rule: x5u is https only, not http (verify.allowHttpX5u admits http in labs)' };
    const first = strict.judge(http);
    expect(first).toEqual(refused);
    // Kept: the same verdict object, not a second parse.
    expect(strict.judge(http)).toBe(first);
    expect(lab.judge(http)).toEqual({ ok: true });
    expect(strict.judge('https://u:p@cr.sti.example/chain.pem')).toEqual({ ok: false, detail: 'URL has userinfo' });
    // Beyond its bound the oldest verdicts go, and every link is still judged by the rule.
    for (let i = 0; i < 20; i++) expect(strict.judge(`https://cr${i}.sti.example/chain.pem`)).toEqual({ ok: true });
    expect(strict.judge(http)).toEqual(refused);
    expect(strict.judge(`https://cr.sti.example/${'a'.repeat(2100)}`)).toEqual({ ok: false, detail: 'URL longer than 2048 characters' });
  });
});

describe('lab switches against loopback repositories', () => {
  let https: CertServer;
  let plain: CertServer;
  let pki: LabPki;
  let revokedKey: string;
  let anchors: string;
  const paths = { good: '/chains/good.pem', revoked: '/chains/revoked.pem', crl: '/crl/int.crl', bigCrl: '/crl/big.crl', hangCrl: '/crl/hang.crl' };
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    https = await CertServer.start();
    plain = await CertServer.start({ plain: true });
    // The lab STI-CA publishes its CRL over plain http, as real ones do.
    const crlUrl = plain.url(paths.crl);
    pki = await createLabPki({ crlUrl });
    const revoked = await issueLeaf(pki.intermediate, { crlUrl });
    revokedKey = revoked.leaf.keyPem;
    for (const server of [https, plain]) {
      server.serve(paths.good, pki.chainPem);
      server.serve(paths.revoked, revoked.chainPem);
    }
    plain.serve(paths.crl, await crlOf(pki.intermediate, [parseCertificateChain(revoked.chainPem).leaf.serialNumber]), { 'content-type': 'application/pkix-crl' });
    plain.routes.set(paths.bigCrl, { body: Buffer.alloc(5000, 0x30), headers: { 'content-type': 'application/pkix-crl' } });
    plain.routes.set(paths.hangCrl, { hang: true });
    const dir = mkdtempSync(join(tmpdir(), 'lab-switches-'));
    anchors = join(dir, 'root.pem');
    writeFileSync(anchors, pki.root.certPem);
  });
  afterAll(async () => {
    await https.stop();
    await plain.stop();
  });

  /** The verifier `shakenstack serve` builds from this environment: hard-fail, so passing means the CRL was read. */
  function configured(env: Record<string, string>) {
    const config = loadConfig({ env: { SHAKENSTACK_VERIFY_CRL_POLICY: 'hard-fail', ...env } });
    return { config, verifier: createConfiguredVerifier(config, { trustAnchors: anchors, tlsCa: https.tlsCaPem }) };
  }
  async function identity(x5u: string, key = pki.leaf.keyPem): Promise<string> {
    return identityOf(await joseJws(key, shakenHeader(x5u), shakenClaims(now())), x5u);
  }
  function expectRefused(r: VerifyResult, text: RegExp): void {
    expect(r.ok, JSON.stringify(r)).toBe(false);
    if (r.ok) return;
    expect(r).toMatchObject({ reason: 'x5u_refused', sip: 436, verstat: 'No-TN-Validation' });
    expect(r.reasonText).toMatch(text);
  }

  it('a lab with https-only x5u on loopback passes with allowPrivateAddresses alone, its CRL read over http; http x5u stays refused', async () => {
    const { config, verifier } = configured({ SHAKENSTACK_VERIFY_ALLOW_PRIVATE_ADDRESSES: 'true' });
    expect(config.verify).toMatchObject({ allowHttpX5u: false, allowPrivateAddresses: true });
    const crlHits = plain.hitsOf(paths.crl);

    const good = await verifier.verify({ identity: await identity(https.url(paths.good)), origTn: '14045266060', destTn: ['18001234567'] });
    expect(good.ok, JSON.stringify(good)).toBe(true);
    expect(good.ok && good.cert.revocation).toBe('good');
    expect(plain.hitsOf(paths.crl)).toBe(crlHits + 1);
    // The CRL over http is really read: a leaf on it is revoked.
    const revoked = await verifier.verify({ identity: await identity(https.url(paths.revoked), revokedKey) });
    expect(revoked).toMatchObject({ ok: false, reason: 'cert_revoked', sip: 437 });

    const chainHits = plain.hitsOf(paths.good);
    const overHttp = await verifier.verify({ identity: await identity(plain.url(paths.good)) });
    expectRefused(overHttp, inReason(SCHEME_REFUSAL));
    expect(plain.hitsOf(paths.good)).toBe(chainHits);
  });

  it('allowHttpX5u alone admits http x5u but not a private address, literal or resolved, nor a CRL there', async () => {
    const { config, verifier } = configured({ SHAKENSTACK_VERIFY_ALLOW_HTTP_X5U: 'true' });
    expect(config.verify).toMatchObject({ allowHttpX5u: true, allowPrivateAddresses: false });
    const hits = plain.hitsOf(paths.good) + https.hitsOf(paths.good);
    expectRefused(await verifier.verify({ identity: await identity(plain.url(paths.good)) }), /: address rule: 127\.0\.0\.1 is a loopback, private or special-purpose address \(verify\.allowPrivateAddresses admits it in labs\)$/);
    expectRefused(await verifier.verify({ identity: await identity(plain.url(paths.good, 'localhost')) }), /: address rule: localhost resolves to (127\.0\.0\.1|::1), a loopback/);
    expectRefused(await verifier.verify({ identity: await identity(https.url(paths.good)) }), inReason(ADDRESS_REFUSAL));
    expect(plain.hitsOf(paths.good) + https.hitsOf(paths.good)).toBe(hits);

    const fetcher = createHttpsFetcher({ allowHttpX5u: true, timeoutMs: 2000, maxBytes: 65536 });
    expect(await fetcher.fetch(plain.url(paths.crl), 'crl')).toMatchObject({ ok: false, failure: 'refused', detail: expect.stringMatching(ADDRESS_REFUSAL) });
  });

  it('with both switches http x5u on loopback passes', async () => {
    const { verifier } = configured({ SHAKENSTACK_VERIFY_ALLOW_HTTP_X5U: 'true', SHAKENSTACK_VERIFY_ALLOW_PRIVATE_ADDRESSES: 'true' });
    const r = await verifier.verify({ identity: await identity(plain.url(paths.good)) });
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  it('the deprecated allowInsecureX5u turns both on', async () => {
    const { config, verifier } = configured({ SHAKENSTACK_VERIFY_ALLOW_INSECURE_X5U: 'true' });
    expect(config.verify).toMatchObject({ allowInsecureX5u: true, allowHttpX5u: true, allowPrivateAddresses: true });
    const r = await verifier.verify({ identity: await identity(plain.url(paths.good)) });
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  it('without any switch an http CRL is refused for its address, never for its scheme, and nothing connects', async () => {
    const fetcher = createHttpsFetcher({ timeoutMs: 2000, maxBytes: 65536 });
    const hits = plain.hitsOf(paths.crl) + plain.hitsOf(paths.good);
    expect(await fetcher.fetch(plain.url(paths.crl), 'crl')).toMatchObject({ ok: false, failure: 'refused', detail: expect.stringMatching(ADDRESS_REFUSAL) });
    expect(await fetcher.fetch(plain.url(paths.good), 'x5u')).toMatchObject({ ok: false, failure: 'refused', detail: expect.stringMatching(SCHEME_REFUSAL) });
    expect(plain.hitsOf(paths.crl) + plain.hitsOf(paths.good)).toBe(hits);
  });

  // Over plain http a small body arrives in one read: the cap must still refuse it, not hand over an empty body.
  it('an http CRL keeps the size and time limits', async () => {
    const fetcher = createHttpsFetcher({ allowPrivateAddresses: true, timeoutMs: 300, maxBytes: 65536, crlMaxBytes: 4096 });
    expect(await fetcher.fetch(plain.url(paths.bigCrl), 'crl')).toMatchObject({ ok: false, failure: 'unreachable', detail: expect.stringMatching(/4096-byte limit/) });
    expect(await fetcher.fetch(plain.url(paths.hangCrl), 'crl')).toMatchObject({ ok: false, failure: 'unreachable', detail: 'no complete answer within 300 ms' });
    expect(await fetcher.fetch(plain.url(paths.crl), 'crl')).toMatchObject({ ok: true, contentType: 'application/pkix-crl' });
  });
});
