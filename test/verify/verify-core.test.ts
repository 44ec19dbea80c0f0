import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificateChain } from '../../server/core/cert-chain.js';
import { parseVerifyInput } from '../../server/core/verify/verify-request.js';
import { checkOnLoop } from '../../server/core/verify/es256.js';
import { SignatureThread } from '../../server/verify-fetch/signature-thread.js';
import type { RequestLogRecord } from '../../server/core/ports.js';
import { coreFixture } from '../helpers/core-fixture.js';
import { VERIFY_REASON_LIST, type VerifyReason, type VerifyResult } from '../../server/core/verify/verify-result.js';
import { createLabPki, issueLeaf, type LabPki } from '../../server/pki/lab-pki.js';
import { CertServer, crlOf, FakeClock, handJws, identityOf, joseJws, rsaLeaf, selfSignedLeaf, shakenClaims, shakenHeader, testVerifier, type Claims } from './support.js';

/** `secsipidx -version` exits 1, so look for the file instead. */
function hasSecsipidx(): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, 'secsipidx')));
}

describe('verification core against a local HTTPS certificate repository', () => {
  let server: CertServer;
  let pki: LabPki;
  let other: LabPki;
  const url: Record<string, string> = {};
  const keys: Record<string, string> = {};
  const seen = new Set<VerifyReason>();

  const now = () => Math.floor(Date.now() / 1000);
  /** Remembers every failure reason, so the last test can check that each one was produced. */
  function expectFailure(r: VerifyResult, reason: VerifyReason, sip: number, verstat = 'No-TN-Validation'): void {
    expect(r.ok, JSON.stringify(r)).toBe(false);
    if (r.ok) return;
    expect(r).toMatchObject({ reason, sip, atisReasonCode: sip, verstat });
    expect(r.reasonText.length).toBeGreaterThan(10);
    seen.add(reason);
  }
  async function token(chain: string, claims: Partial<Claims> = {}, key = keys[chain]!): Promise<string> {
    const jws = await joseJws(key, shakenHeader(url[chain]!), shakenClaims(now(), claims));
    return identityOf(jws, url[chain]!);
  }

  beforeAll(async () => {
    server = await CertServer.start();
    const crlUrl = server.url('/crl/int.crl');
    pki = await createLabPki({ crlUrl });
    other = await createLabPki({ crlUrl });
    const expired = await issueLeaf(pki.intermediate, { crlUrl, leafNotBefore: new Date(Date.now() - 2 * 86_400_000), leafNotAfter: new Date(Date.now() - 86_400_000) });
    const notYet = await issueLeaf(pki.intermediate, { crlUrl, leafNotBefore: new Date(Date.now() + 86_400_000), leafNotAfter: new Date(Date.now() + 2 * 86_400_000) });
    const noTn = await issueLeaf(pki.intermediate, { crlUrl, omitTnAuthList: true });
    const revoked = await issueLeaf(pki.intermediate, { crlUrl });
    const p384 = await issueLeaf(pki.intermediate, { crlUrl, leafKeyCurve: 'P-384' });
    const noCrl = await issueLeaf(pki.intermediate, { crlUrl: server.url('/crl/missing.crl') });
    const self = await selfSignedLeaf();
    const rsa = await rsaLeaf(pki.intermediate);
    const chains: Record<string, { chainPem: string; keyPem: string }> = {
      good: { chainPem: pki.chainPem, keyPem: pki.leaf.keyPem },
      expired: { chainPem: expired.chainPem, keyPem: expired.leaf.keyPem },
      notYet: { chainPem: notYet.chainPem, keyPem: notYet.leaf.keyPem },
      noTn: { chainPem: noTn.chainPem, keyPem: noTn.leaf.keyPem },
      revoked: { chainPem: revoked.chainPem, keyPem: revoked.leaf.keyPem },
      p384: { chainPem: p384.chainPem, keyPem: pki.leaf.keyPem },
      noCrl: { chainPem: noCrl.chainPem, keyPem: noCrl.leaf.keyPem },
      self: { chainPem: self.certPem, keyPem: self.keyPem },
      other: { chainPem: other.chainPem, keyPem: other.leaf.keyPem },
      rsa: { chainPem: rsa.chainPem, keyPem: pki.leaf.keyPem },
    };
    for (const [name, c] of Object.entries(chains)) {
      url[name] = server.serve(`/chains/${name}.pem`, c.chainPem);
      keys[name] = c.keyPem;
    }
    server.serve('/crl/int.crl', await crlOf(pki.intermediate, [parseCertificateChain(revoked.chainPem).leaf.serialNumber]), { 'content-type': 'application/pkix-crl' });
    url.garbage = server.serve('/chains/garbage.pem', 'this is not a certificate');
    url.missing = server.url('/chains/missing.pem');
  });
  afterAll(() => server.stop());

  it('passes a jose-signed PASSporT whose chain leads to the configured STI-CA root, with cert facts and every check', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    const r = await verifier.verify({ identity: await token('good'), origTn: '14045266060', destTn: ['18001234567'] });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r).toMatchObject({ verstat: 'TN-Validation-Passed', attest: 'A', x5u: url.good, warnings: [] });
    expect(r.cert).toMatchObject({ spc: '1234', subject: 'CN=SHAKEN 1234, O=shakenstack test, C=US', fromCache: false, revocation: 'good' });
    expect(Object.values(r.checks).every((v) => v === true)).toBe(true);
  });

  it.runIf(hasSecsipidx())('passes a PASSporT signed by Debian\'s secsipidx (an independent signer)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secsipidx-'));
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, createPrivateKey(pki.leaf.keyPem).export({ type: 'sec1', format: 'pem' }));
    const identity = execFileSync('secsipidx', ['-sign-full', '-orig-tn', '14045266060', '-dest-tn', '18001234567', '-attest', 'B', '-x5u', url.good!, '-k', keyFile], { encoding: 'utf8' }).trim();
    const { verifier } = testVerifier(server, [pki.root.certPem], { clock: new FakeClock(Date.now()) });
    const r = await verifier.verify({ identity, origTn: '14045266060', destTn: ['18001234567'] });
    expect(r).toMatchObject({ ok: true, attest: 'B' });
  });

  it('verifies the octets as received: header members in another order and with white space still verify', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    const jws = handJws(pki.leaf.keyPem, `{ "x5u": "${url.good}", "typ": "passport", "ppt": "shaken", "alg": "ES256" }`, JSON.stringify(shakenClaims(now())));
    expect(await verifier.verify({ identity: identityOf(jws, url.good!) })).toMatchObject({ ok: true });
  });

  it('accepts the Identity parameters in any order, quoted ppt, any case, folded, and picks the shaken header among div and rcd', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    const jws = await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(now()));
    const div = 'eyJhbGciOiJFUzI1NiIsInBwdCI6ImRpdiJ9.e30.AAAA;info=<https://div.example/x.pem>;ppt=div';
    for (const identity of [
      `${jws};PPT="shaken";ALG=ES256;INFO=<${url.good}>`,
      `${jws} ;\r\n  info=<${url.good}> ; ppt = "Shaken"`,
      `Identity: ${jws};info=<${url.good}>`,
    ]) {
      expect(await verifier.verify({ identity }), identity).toMatchObject({ ok: true });
    }
    // Several headers are judged as one call (RFC 8946): a broken rcd fails on its own, not the call; the broken div fails it.
    expect(await verifier.verify({ identity: [`${jws};info=<${url.good}>;ppt=shaken`, 'garbage;ppt=rcd'] })).toMatchObject({ ok: true, call: { passports: [{ kind: 'shaken', ok: true }, { kind: 'rcd', ok: false, reason: 'passport_malformed' }], chain: [0] } });
    for (const identity of [[div, `${jws};info=<${url.good}>;ppt=shaken`, 'garbage;ppt=rcd'], `${div}, ${jws};info=<${url.good}>;ppt=shaken`]) {
      const r = await verifier.verify({ identity });
      // This div's header ({"alg":"ES256","ppt":"div"}) has no typ and no x5u: missing, not wrong (E9, 436).
      expectFailure(r, 'header_member_missing', 436);
      expect(r).toMatchObject({ reasonText: /^Identity header 1 \(div\): .*: no typ$/ });
      expect(!r.ok && r.call?.passports.slice(0, 2)).toMatchObject([{ kind: 'div', ok: false }, { kind: 'shaken', ok: true }]);
    }
  });

  it('judges Rich Call Data (RFC 9795): rcdi digests against the content served now, in the shaken and in an rcd PASSporT', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    const logo = Buffer.from('a logo, as bytes');
    const icn = server.serve('/rcd/logo.png', logo, { 'content-type': 'image/png' });
    const digest = `sha256-${createHash('sha256').update(logo).digest('base64')}`;
    const branded = await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(now(), { rcd: { nam: 'Example Bank', icn }, rcdi: { '/icn': digest }, crn: 'Fraud alert' }));
    expect(await verifier.verify({ identity: identityOf(branded, url.good!) })).toMatchObject({ ok: true, rcd: { ok: true, placement: 'shaken', verified: { nam: 'Example Bank', icn, crn: 'Fraud alert' }, failed: [] } });
    const undigested = await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(now(), { rcd: { nam: 'Example Bank', icn } }));
    expect(await verifier.verify({ identity: identityOf(undigested, url.good!) })).toMatchObject({ ok: true, rcd: { ok: false, verified: { nam: 'Example Bank' }, failed: [{ field: 'rcd.icn', detail: expect.stringContaining('no rcdi') }] } });

    const shaken = identityOf(await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(now())), url.good!);
    const rcdClaims = (d: string) => ({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, iat: now(), rcd: { nam: 'Example Bank', icn }, rcdi: { '/icn': d } });
    const rcdOf = async (d: string) => identityOf(await joseJws(pki.leaf.keyPem, { ...shakenHeader(url.good!), ppt: 'rcd' }, rcdClaims(d)), url.good!, ';alg=ES256;ppt=rcd');
    expect(await verifier.verify({ identity: [shaken, await rcdOf(digest)] })).toMatchObject({ ok: true, rcd: { ok: true, placement: 'rcd' }, call: { passports: [{ kind: 'shaken', ok: true }, { kind: 'rcd', ok: true, rcd: { ok: true } }] } });
    const wrong = `sha256-${createHash('sha256').update('other bytes').digest('base64')}`;
    const r = await verifier.verify({ identity: [shaken, await rcdOf(wrong)] });
    // The call passes on its shaken PASSporT; the rcd one fails on its own with rcd_integrity.
    expect(r).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', rcd: { ok: false, failed: [{ field: 'rcd.icn' }] } });
    const entry = r.call!.passports[1]!;
    expect(entry).toMatchObject({ kind: 'rcd', ok: false, reason: 'rcd_integrity', sip: 438, verstat: 'No-TN-Validation' });
    seen.add(entry.reason!);
  });

  it('never trusts the header alg: none, HS256 and RS256 are 437, whatever the signature', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    const claims = JSON.stringify(shakenClaims(now()));
    for (const alg of ['none', 'HS256', 'RS256', 'ES384']) {
      const jws = handJws(pki.leaf.keyPem, JSON.stringify({ ...shakenHeader(url.good!), alg }), claims);
      expectFailure(await verifier.verify({ identity: identityOf(jws, url.good!, '') }), 'alg_unsupported', 437);
    }
    const unsigned = `${Buffer.from(JSON.stringify({ ...shakenHeader(url.good!), alg: 'none' })).toString('base64url')}.${Buffer.from(claims).toString('base64url')}.`;
    expectFailure(await verifier.verify({ identity: identityOf(unsigned, url.good!, '') }), 'alg_unsupported', 437);
    const good = await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(now()));
    expectFailure(await verifier.verify({ identity: identityOf(good, url.good!, ';alg=RS256;ppt=shaken') }), 'alg_unsupported', 437);
  });

  it('refuses a wrong typ (437), a ppt it does not judge (438), the compact form and undecodable PASSporTs (438)', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    const claims = JSON.stringify(shakenClaims(now()));
    const withHeader = (h: object) => identityOf(handJws(pki.leaf.keyPem, JSON.stringify(h), claims), url.good!);
    expectFailure(await verifier.verify({ identity: withHeader({ ...shakenHeader(url.good!), typ: 'JWT' }) }), 'typ_unsupported', 437);
    expectFailure(await verifier.verify({ identity: withHeader({ ...shakenHeader(url.good!), ppt: 'div' }) }), 'ppt_unsupported', 438);
    expectFailure(await verifier.verify({ identity: withHeader({ ...shakenHeader(url.good!), ppt: 'rph' }) }), 'ppt_unsupported', 438);
    expectFailure(await verifier.verify({ identity: withHeader({ ...shakenHeader(url.good!), crit: ['foo'] }) }), 'passport_malformed', 438);
    const full = await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(now()));
    const [h, , s] = full.split('.');
    expectFailure(await verifier.verify({ identity: identityOf(`${h}..${s}`, url.good!) }), 'compact_form', 438);
    expectFailure(await verifier.verify({ identity: identityOf(`${h}.${s}`, url.good!) }), 'passport_malformed', 438);
    expectFailure(await verifier.verify({ identity: identityOf(`${h}.bm90IGpzb24.${s}`, url.good!) }), 'passport_malformed', 438);
    expectFailure(await verifier.verify({ identity: 'no-semicolon-at-all-but-not-a-jws%%' }), 'identity_malformed', 438);
    // A call judged as a chain: the div's own failure comes before the missing shaken.
    expectFailure(await verifier.verify({ identity: ['a.b.c;ppt=div', 'd.e.f;ppt=rcd'] }), 'passport_malformed', 438);
    expectFailure(await verifier.verify({ identity: [] }), 'no_shaken_identity', 438);
  });

  it('refuses missing or malformed claims and a bad attest (438)', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    const sign = async (c: Claims) => identityOf(await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), c), url.good!);
    const { origid: _o, ...noOrigid } = shakenClaims(now());
    expectFailure(await verifier.verify({ identity: await sign(noOrigid) }), 'claims_missing', 438);
    expectFailure(await verifier.verify({ identity: await sign(shakenClaims(now(), { attest: 'D' })) }), 'attest_invalid', 438);
    expectFailure(await verifier.verify({ identity: await sign(shakenClaims(now(), { iat: String(now()) })) }), 'claims_invalid', 438);
    expectFailure(await verifier.verify({ identity: await sign(shakenClaims(now(), { dest: { tn: '18001234567' } })) }), 'claims_invalid', 438);
    expectFailure(await verifier.verify({ identity: await sign(shakenClaims(now(), { orig: { tn: '1404abc' } })) }), 'claims_invalid', 438);
  });

  it('refuses a missing, unbracketed or different info, and a missing x5u (436)', async () => {
    const { verifier, fetcher } = testVerifier(server, [pki.root.certPem]);
    const jws = await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(now()));
    expectFailure(await verifier.verify({ identity: `${jws};alg=ES256;ppt=shaken` }), 'info_missing', 436);
    expectFailure(await verifier.verify({ identity: `${jws};info=${url.good};ppt=shaken` }), 'info_invalid', 436);
    expectFailure(await verifier.verify({ identity: identityOf(jws, url.other!) }), 'x5u_mismatch', 436);
    const { x5u: _x, ...noX5u } = shakenHeader(url.good!);
    expectFailure(await verifier.verify({ identity: identityOf(await joseJws(pki.leaf.keyPem, noX5u, shakenClaims(now())), url.good!) }), 'x5u_missing', 436);
    // ATIS-1000082 E9: a header that lacks alg, typ or ppt is 436 too, checked before any value is judged.
    for (const member of ['alg', 'typ', 'ppt'] as const) {
      // alg none beside the missing member: missing is judged before wrong.
      const header: Record<string, unknown> = { ...shakenHeader(url.good!), alg: 'none' };
      const { [member]: _m, ...lacking } = header;
      const r = await verifier.verify({ identity: identityOf(handJws(pki.leaf.keyPem, JSON.stringify(lacking), JSON.stringify(shakenClaims(now()))), url.good!) });
      expectFailure(r, 'header_member_missing', 436);
      expect(r).toMatchObject({ reasonText: expect.stringMatching(new RegExp(`: no ${member}$`)) });
    }
    expect(fetcher.calls.size).toBe(0);
  });

  it('takes iat and the SIP Date exactly maxAgeSec away either way, and answers 403 Stale Date one second further', async () => {
    const clock = new FakeClock(Date.now());
    const { verifier } = testVerifier(server, [pki.root.certPem], { clock });
    const t = Math.floor(clock.ms / 1000);
    clock.ms = t * 1000;
    const at = async (iat: number) => identityOf(await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(iat)), url.good!);
    expect(await verifier.verify({ identity: await at(t - 60) })).toMatchObject({ ok: true });
    expect(await verifier.verify({ identity: await at(t + 60) })).toMatchObject({ ok: true });
    expectFailure(await verifier.verify({ identity: await at(t - 61) }), 'iat_stale', 403);
    expectFailure(await verifier.verify({ identity: await at(t + 61) }), 'iat_stale', 403);
    const fresh = await at(t);
    expect(await verifier.verify({ identity: fresh, dateSec: t - 60 })).toMatchObject({ ok: true });
    expect(await verifier.verify({ identity: fresh, dateSec: t + 60 })).toMatchObject({ ok: true });
    expectFailure(await verifier.verify({ identity: fresh, dateSec: t - 61 }), 'date_stale', 403);
    expectFailure(await verifier.verify({ identity: fresh, dateSec: t + 61 }), 'date_stale', 403);
    // Far beyond what a Date can hold: still a plain answer, not an exception.
    expectFailure(await verifier.verify({ identity: await at(Number.MAX_SAFE_INTEGER) }), 'iat_stale', 403);
    expectFailure(await verifier.verify({ identity: fresh, dateSec: Number.MAX_SAFE_INTEGER }), 'date_stale', 403);
  });

  it('compares orig with P-Asserted-Identity before From, and dest with To, in canonical form', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    const identity = await token('good');
    const call = (input: Record<string, unknown>) => verifier.verify(parseVerifyInput({ identity, ...input }));
    expect(await call({ pai: 'sip:+1-404-526-6060@pai.example;user=phone', from: '19995550000' })).toMatchObject({ ok: true, checks: { orig: true } });
    expect(await call({ from: '"Alice" <sip:+14045266060@from.example>', to: 'tel:+1-800-123-4567' })).toMatchObject({ ok: true, checks: { orig: true, dest: true } });
    expectFailure(await call({ pai: '19995550000', from: '14045266060' }), 'orig_mismatch', 438);
    expectFailure(await call({ to: ['18001234567', '18009999999'] }), 'dest_mismatch', 438);
    expect(await call({})).toMatchObject({ ok: true, checks: { orig: null, dest: null } });
  });

  it('fails the chain (TN-Validation-Failed, 437): expired, not yet valid, self-signed, another root, no TNAuthList, revoked, RSA or P-384 key', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    expectFailure(await verifier.verify({ identity: await token('expired') }), 'cert_expired', 437, 'TN-Validation-Failed');
    expectFailure(await verifier.verify({ identity: await token('notYet') }), 'cert_not_yet_valid', 437, 'TN-Validation-Failed');
    expectFailure(await verifier.verify({ identity: await token('self') }), 'cert_untrusted', 437, 'TN-Validation-Failed');
    expectFailure(await verifier.verify({ identity: await token('other') }), 'cert_untrusted', 437, 'TN-Validation-Failed');
    expectFailure(await verifier.verify({ identity: await token('noTn') }), 'cert_no_tnauthlist', 437, 'TN-Validation-Failed');
    expectFailure(await verifier.verify({ identity: await token('revoked') }), 'cert_revoked', 437, 'TN-Validation-Failed');
    expectFailure(await verifier.verify({ identity: await token('rsa') }), 'cert_key_unsupported', 437, 'TN-Validation-Failed');
    expectFailure(await verifier.verify({ identity: await token('p384') }), 'cert_key_unsupported', 437, 'TN-Validation-Failed');
  });

  it('fails the signature (TN-Validation-Failed, 438) for a token signed with another key, and for a non-64-byte signature without fetching', async () => {
    const { verifier, fetcher } = testVerifier(server, [pki.root.certPem]);
    expectFailure(await verifier.verify({ identity: await token('good', {}, other.leaf.keyPem) }), 'signature_invalid', 438, 'TN-Validation-Failed');
    const [h, p] = (await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(now()))).split('.');
    const der = Buffer.alloc(70, 1).toString('base64url');
    const before = fetcher.calls.get(url.good!) ?? 0;
    const r = await verifier.verify({ identity: identityOf(`${h}.${p}.${der}`, url.good!) });
    expectFailure(r, 'signature_invalid', 438, 'TN-Validation-Failed');
    expect(fetcher.calls.get(url.good!) ?? 0).toBe(before);
  });

  it('gives the same signature verdicts when it checks on the event loop as on the signature thread', async () => {
    const thread = new SignatureThread();
    for (const [where, signatures] of [['thread', thread], ['loop', checkOnLoop]] as const) {
      const { verifier } = testVerifier(server, [pki.root.certPem], { deps: { signatures } });
      const good = await verifier.verify({ identity: await token('good') });
      expect(good, `${where}: ${JSON.stringify(good)}`).toMatchObject({ ok: true, checks: { signature: true } });
      expectFailure(await verifier.verify({ identity: await token('good', {}, other.leaf.keyPem) }), 'signature_invalid', 438, 'TN-Validation-Failed');
      // A signature of the right length whose bytes were changed: the curve check itself says no.
      const [h, p, sig] = (await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(now()))).split('.');
      const bytes = Buffer.from(sig!, 'base64url');
      bytes[40]! ^= 1;
      expectFailure(await verifier.verify({ identity: identityOf(`${h}.${p}.${bytes.toString('base64url')}`, url.good!) }), 'signature_invalid', 438, 'TN-Validation-Failed');
    }
    await thread.close();
  });

  it('answers 436 when the certificate cannot be fetched or is not a certificate, and reads DER with an intermediate as anchor', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    const k = pki.leaf.keyPem;
    const at = async (u: string) => identityOf(await joseJws(k, shakenHeader(u), shakenClaims(now())), u);
    expectFailure(await verifier.verify({ identity: await at(url.missing!) }), 'x5u_unreachable', 436);
    expectFailure(await verifier.verify({ identity: await at(url.garbage!) }), 'x5u_content_invalid', 436);
    const derUrl = server.serve('/chains/leaf.der', parseDer(pki.leaf.certPem), { 'content-type': 'application/pkix-cert' });
    const viaIntermediate = testVerifier(server, [pki.intermediate.certPem]);
    expect(await viaIntermediate.verifier.verify({ identity: await at(derUrl) })).toMatchObject({ ok: true });
    expectFailure(await verifier.verify({ identity: await at(derUrl) }), 'cert_untrusted', 437, 'TN-Validation-Failed');
  });

  it('with CRL policy soft-fail passes when the CRL cannot be read and says so; hard-fail answers 437; off never fetches it', async () => {
    const soft = testVerifier(server, [pki.root.certPem]);
    const r = await soft.verifier.verify({ identity: await token('noCrl') });
    expect(r).toMatchObject({ ok: true, cert: { revocation: 'unavailable' }, checks: { notRevoked: null } });
    expect(r.ok && r.warnings[0]).toMatch(/^crl_unavailable: CRL https:\/\/127\.0\.0\.1:\d+\/crl\/missing\.crl: HTTP 404/);
    const hard = testVerifier(server, [pki.root.certPem], { crlPolicy: 'hard-fail' });
    expectFailure(await hard.verifier.verify({ identity: await token('noCrl') }), 'crl_unavailable', 437);
    expect(await hard.verifier.verify({ identity: await token('good') })).toMatchObject({ ok: true, cert: { revocation: 'good' } });
    const off = testVerifier(server, [pki.root.certPem], { crlPolicy: 'off' });
    expect(await off.verifier.verify({ identity: await token('revoked') })).toMatchObject({ ok: true, cert: { revocation: 'not-checked' } });
    expect([...off.fetcher.calls.keys()].some((u) => u.includes('/crl/'))).toBe(false);
  });

  it('treats a CRL past its nextUpdate, or signed by someone else, as unavailable', async () => {
    const crlUrl = server.url('/crl/stale.crl');
    const leaf = await issueLeaf(pki.intermediate, { crlUrl });
    const u = server.serve('/chains/stale-crl.pem', leaf.chainPem);
    server.serve('/crl/stale.crl', await crlOf(pki.intermediate, [], new Date(Date.now() - 1000)), { 'content-type': 'application/pkix-crl' });
    const { verifier } = testVerifier(server, [pki.root.certPem], { crlPolicy: 'hard-fail' });
    const at = async () => identityOf(await joseJws(leaf.leaf.keyPem, shakenHeader(u), shakenClaims(now())), u);
    expectFailure(await verifier.verify({ identity: await at() }), 'crl_unavailable', 437);
    server.serve('/crl/stale.crl', await crlOf(other.intermediate, []), { 'content-type': 'application/pkix-crl' });
    const fresh = testVerifier(server, [pki.root.certPem], { crlPolicy: 'hard-fail' });
    const r = await fresh.verifier.verify({ identity: await at() });
    expectFailure(r, 'crl_unavailable', 437);
    expect(!r.ok && r.reasonText).toMatch(/not signed by a certificate of the path/);
  });

  it('fetches a chain once for many verifications, and once for concurrent misses', async () => {
    const { verifier, fetcher } = testVerifier(server, [pki.root.certPem]);
    const results = await Promise.all(Array.from({ length: 25 }, async () => verifier.verify({ identity: await token('good') })));
    expect(results.every((r) => r.ok)).toBe(true);
    for (let i = 0; i < 10; i++) expect(await verifier.verify({ identity: await token('good') })).toMatchObject({ ok: true, cert: { fromCache: true } });
    expect(fetcher.calls.get(url.good!)).toBe(1);
    expect(fetcher.calls.get(server.url('/crl/int.crl'))).toBe(1);
  });

  it('refetches after Cache-Control max-age or Expires runs out, never keeps a chain past the leaf notAfter, and does not keep no-store', async () => {
    const clock = new FakeClock(Date.now());
    const { verifier, fetcher } = testVerifier(server, [pki.root.certPem], { clock });
    const at = async (u: string, key = pki.leaf.keyPem) => identityOf(await joseJws(key, shakenHeader(u), shakenClaims(Math.floor(clock.ms / 1000))), u);
    const maxAge = server.serve('/cache/max-age.pem', pki.chainPem, { 'cache-control': 'public, max-age=120' });
    await verifier.verify({ identity: await at(maxAge) });
    clock.advance(119_000);
    await verifier.verify({ identity: await at(maxAge) });
    expect(fetcher.calls.get(maxAge)).toBe(1);
    clock.advance(2_000);
    expect(await verifier.verify({ identity: await at(maxAge) })).toMatchObject({ ok: true, cert: { fromCache: false } });
    expect(fetcher.calls.get(maxAge)).toBe(2);

    const expires = server.serve('/cache/expires.pem', pki.chainPem, { expires: new Date(clock.ms + 30_000).toUTCString(), date: new Date(clock.ms).toUTCString() });
    await verifier.verify({ identity: await at(expires) });
    clock.advance(31_000);
    await verifier.verify({ identity: await at(expires) });
    expect(fetcher.calls.get(expires)).toBe(2);

    const noStore = server.serve('/cache/no-store.pem', pki.chainPem, { 'cache-control': 'no-store' });
    await verifier.verify({ identity: await at(noStore) });
    await verifier.verify({ identity: await at(noStore) });
    expect(fetcher.calls.get(noStore)).toBe(2);

    const shortLived = await issueLeaf(pki.intermediate, { crlUrl: server.url('/crl/int.crl'), leafNotAfter: new Date(clock.ms + 50_000) });
    const shortUrl = server.serve('/cache/short-leaf.pem', shortLived.chainPem, { 'cache-control': 'max-age=3600' });
    expect(await verifier.verify({ identity: await at(shortUrl, shortLived.leaf.keyPem) })).toMatchObject({ ok: true });
    clock.advance(51_000);
    expectFailure(await verifier.verify({ identity: await at(shortUrl, shortLived.leaf.keyPem) }), 'cert_expired', 437, 'TN-Validation-Failed');
    expect(fetcher.calls.get(shortUrl)).toBe(2);
  });

  it('refuses x5u URLs outside the rules before any connection (436): http, userinfo, query, fragment', async () => {
    const strict = testVerifier(server, [pki.root.certPem], { allowInsecureX5u: false });
    for (const u of ['http://sti.example.net/cert.pem', 'https://user:pw@sti.example.net/cert.pem', 'https://sti.example.net/cert.pem?x=1', 'https://sti.example.net/cert.pem#f']) {
      const identity = identityOf(await joseJws(pki.leaf.keyPem, shakenHeader(u), shakenClaims(now())), u);
      expectFailure(await strict.verifier.verify({ identity }), 'x5u_refused', 436);
    }
    expect(strict.fetcher.calls.size).toBe(0);
  });

  it('refuses loopback without the relax switch, after resolving the name (436 x5u_refused)', async () => {
    const strict = testVerifier(server, [pki.root.certPem], { allowInsecureX5u: false });
    server.serve('/chains/strict.pem', pki.chainPem);
    for (const host of ['127.0.0.1', 'localhost']) {
      const u = server.url('/chains/strict.pem', host);
      const identity = identityOf(await joseJws(pki.leaf.keyPem, shakenHeader(u), shakenClaims(now())), u);
      const r = await strict.verifier.verify({ identity });
      expectFailure(r, 'x5u_refused', 436);
      expect(!r.ok && r.reasonText).toMatch(/loopback, private or special-purpose/);
    }
    expect(server.hitsOf('/chains/strict.pem')).toBe(0);
  });

  it('judges a call with div PASSporTs as one chain (RFC 8946 §4): every chain problem is its own 438 reason', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    const N = ['18001230000', '18001230001', '18001230002'];
    const shaken = (dest = N[0]!) => token('good', { dest: { tn: [dest] } });
    const div = (from: string, to: string, orig = '14045266060') =>
      identityOf(handJws(pki.leaf.keyPem, JSON.stringify({ ...shakenHeader(url.good!), ppt: 'div' }), JSON.stringify({ dest: { tn: [to] }, div: { tn: from }, iat: now(), orig: { tn: orig } })), url.good!, ';alg=ES256;ppt=div');
    const call = (identity: string[], ruri: string, to = N[0]!) => verifier.verify({ identity, origTn: '14045266060', destTn: [to], ruri });
    const s = await shaken();
    const ab = div(N[0]!, N[1]!);

    // Forwarded: To is still the first number; the chain ends at the number called now.
    const passed = await call([ab, s], N[1]!);
    expect(passed, JSON.stringify(passed)).toMatchObject({ ok: true, verstat: 'TN-Validation-Passed', attest: 'A', checks: { orig: true, dest: true }, call: { chain: [1, 0], problems: [], passports: [{ kind: 'div', hop: 1, ok: true }, { kind: 'shaken', ok: true }] } });
    // A div alone (no shaken), or a div whose call never reached it, is judged too.
    expectFailure(await call([div(N[0]!, N[1]!)], N[1]!), 'no_shaken_identity', 438);
    expectFailure(await call([s, await shaken(), ab], N[1]!), 'several_shaken', 438);
    expectFailure(await call([s, ab, ab], N[1]!), 'div_duplicate', 438);
    expectFailure(await call([s, ab, div(N[0]!, N[2]!)], N[1]!), 'div_branch', 438);
    expectFailure(await call([s, ab, div(N[1]!, N[0]!)], N[0]!), 'div_loop', 438);
    expectFailure(await call([s, div('18009990000', N[1]!)], N[1]!), 'div_unlinked', 438);
    expectFailure(await call([s, div(N[0]!, N[1]!, '14045269999')], N[1]!), 'div_orig_mismatch', 438);
    const off = await call([s, ab], N[2]!);
    expectFailure(off, 'not_connected', 438);
    expect(off).toMatchObject({ checks: { dest: false }, call: { problems: [{ reason: 'not_connected' }] } });
    const flood = Array.from({ length: 16 }, () => 'e30.e30.AAAA;info=<https://x.example/c.pem>;ppt=rcd');
    expectFailure(await call([s, ...flood], N[0]!), 'too_many', 438);
    // The div's own failure is the call's: a signature by another key fails the call (TN-Validation-Failed).
    const forged = identityOf(handJws(other.leaf.keyPem, JSON.stringify({ ...shakenHeader(url.good!), ppt: 'div' }), JSON.stringify({ dest: { tn: [N[1]] }, div: { tn: N[0] }, iat: now(), orig: { tn: '14045266060' } })), url.good!, ';alg=ES256;ppt=div');
    const bad = await call([s, forged], N[1]!);
    expectFailure(bad, 'signature_invalid', 438, 'TN-Validation-Failed');
    expect(bad).toMatchObject({ reasonText: /^Identity header 2 \(div, hop 1\): /, call: { chain: [0, 1], passports: [{ ok: true }, { kind: 'div', hop: 1, ok: false, reason: 'signature_invalid', verstat: 'TN-Validation-Failed', sip: 438 }] } });
    // With neither ruri nor to, where the chain ends is not compared.
    expect(await verifier.verify({ identity: [s, ab] })).toMatchObject({ ok: true, checks: { dest: null } });
  });

  it('keeps the single-shaken answer as it was: no call member, To compared with dest', async () => {
    const { verifier } = testVerifier(server, [pki.root.certPem]);
    const r = await verifier.verify({ identity: [await token('good')], origTn: '14045266060', destTn: ['18001234567'], ruri: '18009999999' });
    expect(r).toMatchObject({ ok: true, checks: { dest: true } });
    expect(r).not.toHaveProperty('call');
    expectFailure(await verifier.verify({ identity: await token('good'), destTn: ['18009999999'] }), 'dest_mismatch', 438);
  });

  it('records a branded call in the request log: whether its RCD verified, and nothing for a call without RCD', async () => {
    const f = await coreFixture();
    const { verifier } = testVerifier(server, [pki.root.certPem], { deps: { authenticator: f.signing.authenticator, log: f.dir } });
    const logo = Buffer.from('a logo for the log');
    const icn = server.serve('/rcd/log-logo.png', logo, { 'content-type': 'image/png' });
    const digest = `sha256-${createHash('sha256').update(logo).digest('base64')}`;
    const wrong = `sha256-${createHash('sha256').update('other bytes').digest('base64')}`;
    const branded = (d: string) => joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(now(), { rcd: { nam: 'Example Bank', icn }, rcdi: { '/icn': d } }));
    const handle = async (jws: string) => verifier.handle({ token: f.token, transport: 'http', input: { identity: identityOf(jws, url.good!) } });
    expect(await handle(await branded(digest))).toMatchObject({ ok: true, rcd: { ok: true } });
    expect(await handle(await branded(wrong))).toMatchObject({ ok: true, rcd: { ok: false } });
    expect(await handle(await joseJws(pki.leaf.keyPem, shakenHeader(url.good!), shakenClaims(now())))).toMatchObject({ ok: true });
    expect(f.dir.log.map((l) => [l.kind, l.outcome, l.rcdVerified, l.rcdProfile])).toEqual([
      ['verify', 'ok', true, null],
      ['verify', 'ok', false, null],
      ['verify', 'ok', null, null],
    ]);
  });

  it('answers an identified SBC heartbeat without identity as nothing to verify (identity_absent, 428), and no one else', async () => {
    const f = await coreFixture();
    const beats: RequestLogRecord[] = [];
    const heartbeats = { numbers: { orig: '9999999999', dest: '7777777777', div: '3333333333' }, sink: { heartbeat: (r: RequestLogRecord) => beats.push(r) } };
    const { verifier } = testVerifier(server, [pki.root.certPem], { deps: { authenticator: f.signing.authenticator, log: f.dir, heartbeats } });
    const body = { from: { tn: '9999999999' }, to: { tn: ['7777777777'] }, time: now() };
    const r = await verifier.handle({ token: f.token, transport: 'http', input: body });
    expectFailure(r, 'identity_absent', 428);
    expect(r).toMatchObject({ atisReasonCode: 428, checks: { identityHeader: false, signature: null } });
    expect(beats.map((b) => [b.kind, b.outcome, b.orig, b.dest, b.errorCode])).toEqual([['verify', 'error', '9999999999', '7777777777', 'VERIFY_428_identity_absent']]);
    // Not a heartbeat, or no caller: the body is malformed as before, and logged as any request.
    await expect(verifier.handle({ token: f.token, transport: 'http', input: { ...body, to: '12025550100' } })).rejects.toMatchObject({ code: 'ERR_REQ_FIELD_MISSING', field: 'identity' });
    await expect(verifier.handle({ token: undefined, transport: 'http', input: body })).rejects.toMatchObject({ code: 'ERR_AUTH_MISSING' });
    expect(f.dir.log.map((l) => l.errorCode)).toEqual(['ERR_REQ_FIELD_MISSING', 'ERR_AUTH_MISSING']);
    expect(beats).toHaveLength(1);
  });

  it('produced every verification reason in the cases above', () => {
    const missing = VERIFY_REASON_LIST.filter((r) => !seen.has(r));
    expect(missing).toEqual([]);
  });
});

function parseDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64');
}
