import { describe, expect, it } from 'vitest';
import { explainIdentity } from '../../server/core/verify/explain.js';
import { parseIdentityHeader, selectShakenIdentity } from '../../server/core/verify/identity-header.js';
import { createVerifier } from '../../server/core/verify/verify-service.js';
import { emptyTrustAnchors, staticTrustSource } from '../../server/core/verify/trust-anchors.js';
import type { CertificateFetcher } from '../../server/core/verify/verify-ports.js';
import { ecKeyPair, FakeClock, garbage, handJws, identityOf, shakenClaims, shakenHeader } from './support.js';

const X5U = 'https://cert.example.net/sti/cert.pem';

describe('Identity header parsing (RFC 8224 §4.1), tolerant', () => {
  it('reads parameters in any order and case, quoted values, spaces and a field name', () => {
    const p = parseIdentityHeader(`Identity:  a.b.c ; PPT="shaken";Alg=ES256 ;info=< ${X5U} >;x=1;flag`);
    expect(p).toMatchObject({ ok: true, header: { jws: 'a.b.c', ppt: 'shaken', alg: 'ES256', info: X5U, infoBracketed: true, params: { x: '1', flag: '' } } });
  });

  it('treats __proto__ and constructor as ordinary parameters', () => {
    const p = parseIdentityHeader('a.b.c;__proto__=x;constructor=y;info=<https://x.example/c.pem>');
    expect(p.ok && Object.entries(p.header.params)).toEqual([['__proto__', 'x'], ['constructor', 'y'], ['info', '<https://x.example/c.pem>']]);
    expect(p.ok && p.header.info).toBe('https://x.example/c.pem');
  });

  it('keeps the first of a repeated parameter and a ";" inside angle brackets or quotes', () => {
    const p = parseIdentityHeader('a.b.c;info=<https://x.example/a;b.pem>;ppt="sha;ken";ppt=div');
    expect(p).toMatchObject({ ok: true, header: { info: 'https://x.example/a;b.pem', ppt: 'sha;ken' } });
  });

  it('refuses, without throwing, a value with no PASSporT, characters outside base64url, or an overlong value', () => {
    expect(parseIdentityHeader(';info=<x>')).toMatchObject({ ok: false });
    expect(parseIdentityHeader('abc def;info=<x>')).toMatchObject({ ok: false });
    expect(parseIdentityHeader('a'.repeat(9000))).toMatchObject({ ok: false });
    expect(parseIdentityHeader(undefined as unknown as string)).toMatchObject({ ok: false });
  });

  it('picks the shaken header among div and rcd, by parameter or else by the PASSporT header', () => {
    const shakenJws = handJws(ecKeyPair().privateKey, JSON.stringify(shakenHeader(X5U)), '{}');
    const divJws = handJws(ecKeyPair().privateKey, JSON.stringify({ ...shakenHeader(X5U), ppt: 'div' }), '{}');
    expect(selectShakenIdentity([`${divJws};ppt=div`, `${shakenJws};ppt=shaken`])).toMatchObject({ ok: true, header: { jws: shakenJws } });
    expect(selectShakenIdentity([`${divJws};info=<${X5U}>`, `${shakenJws};info=<${X5U}>`])).toMatchObject({ ok: true, header: { jws: shakenJws } });
    expect(selectShakenIdentity(`${divJws};ppt=div`)).toMatchObject({ ok: false, reason: 'no_shaken_identity' });
    expect(selectShakenIdentity('%%%')).toMatchObject({ ok: false, reason: 'identity_malformed' });
  });

  it('explains a header without network: parameters, claims, iat as a time, and visible problems', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const jws = handJws(ecKeyPair().privateKey, JSON.stringify({ ...shakenHeader(X5U), alg: 'RS256' }), JSON.stringify(shakenClaims(now / 1000 - 30, { attest: 'D' })));
    const [e] = explainIdentity(identityOf(jws, 'https://elsewhere.example/c.pem'), now);
    expect(e).toMatchObject({ selected: true, form: 'full', info: 'https://elsewhere.example/c.pem', iat: { time: '2026-03-01T11:59:30.000Z', ageSec: 30 }, signatureBytes: 64 });
    expect(e!.problems.map((p) => p.split(':')[0])).toEqual(['alg_unsupported', 'attest_invalid']);
    const [h] = jws.split('.');
    expect(explainIdentity(`${h}..sig;info=<${X5U}>`, now)[0]).toMatchObject({ form: 'compact' });
  });

  it('explains a signature that can never be ES256 by its length, in the words the verifier uses', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const [h, p] = handJws(ecKeyPair().privateKey, JSON.stringify(shakenHeader(X5U)), JSON.stringify(shakenClaims(now / 1000 - 30))).split('.');
    const [e] = explainIdentity(identityOf(`${h}.${p}.${Buffer.alloc(70, 1).toString('base64url')}`, X5U), now);
    expect(e).toMatchObject({ signatureBytes: 70 });
    expect(e!.problems).toContainEqual(expect.stringMatching(/^signature_invalid.*the signature is 70 bytes; ES256 is 64-byte R\|\|S/));
  });
});

describe('malformed input never crashes or hangs the verifier', () => {
  const noNetwork: CertificateFetcher = { fetch: async () => ({ ok: false, failure: 'unreachable', detail: 'no network in this test' }) };
  const verifier = createVerifier({ fetcher: noNetwork, trust: staticTrustSource(emptyTrustAnchors()), clock: new FakeClock(), options: { maxAgeSec: 60, crlPolicy: 'soft-fail' } });

  it('answers random bytes, random header-like strings and mutated tokens with a failure result', async () => {
    const key = ecKeyPair().privateKey;
    const valid = identityOf(handJws(key, JSON.stringify(shakenHeader(X5U)), JSON.stringify(shakenClaims(Math.floor(Date.now() / 1000)))), X5U);
    const alphabet = 'ABCDEFabcdef0123456789-_.;=<>"\' ,\r\n\t\\:/@%';
    const inputs: (string | string[])[] = [];
    for (let i = 0; i < 400; i++) inputs.push(garbage(1 + (i % 300)));
    for (let i = 0; i < 400; i++) inputs.push(Array.from({ length: 1 + (i % 200) }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join(''));
    for (let i = 0; i < 400; i++) {
      const chars = [...valid];
      for (let k = 0; k < 1 + (i % 5); k++) chars[Math.floor(Math.random() * chars.length)] = alphabet[Math.floor(Math.random() * alphabet.length)]!;
      inputs.push(chars.join(''));
    }
    inputs.push('', ';', '..', 'a..b', '.'.repeat(5000), `${'A'.repeat(8000)}.${'B'.repeat(8000)}.C`, Array(40).fill(valid), [valid, 42 as unknown as string]);
    for (const identity of inputs) {
      const r = await verifier.verify({ identity });
      expect(r.ok).toBe(false);
      if (!r.ok) expect([403, 436, 437, 438]).toContain(r.sip);
    }
  });
});
