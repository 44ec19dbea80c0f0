import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ShakenError } from '../../server/core/errors.js';
import { canonicalJson } from '../../server/core/rcd/canonical-json.js';
import { shakenRcdClaimsJson } from '../../server/core/rcd/rcd-claims.js';
import { integrityDigest, integrityMatches, jcdDigest, parseIntegrity, resolvePointer } from '../../server/core/rcd/rcd-integrity.js';
import { decideRcd, parseRcdRequest } from '../../server/core/rcd/rcd-policy.js';
import { coversNumber, parseRcdProfileInput, type RcdProfile } from '../../server/core/rcd/rcd-profile.js';

const JCARD = ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Example Bank'], ['org', {}, 'text', 'Example Bank N.A.'], ['tel', { type: 'work' }, 'uri', 'tel:+12025550100']]];

function profile(over: Partial<RcdProfile> = {}): RcdProfile {
  return {
    id: 'rcd_1',
    accountId: 'acc_1',
    rcd: { nam: 'Example Bank', icn: 'https://brand.example.com/logo.png' },
    crn: ['Fraud alert'],
    tns: ['12025550100'],
    prefixes: ['1303555'],
    placement: 'shaken',
    icnDigest: integrityDigest(Buffer.from('logo bytes')),
    jclDigest: null,
    contentCheckedAt: new Date(0),
    createdAt: new Date(0),
    ...over,
  };
}

function refusal(f: () => unknown): ShakenError {
  try {
    f();
  } catch (e) {
    if (e instanceof ShakenError) return e;
    throw e;
  }
  throw new Error('no refusal');
}

describe('RCD claims in RFC 8225 §9 deterministic JSON', () => {
  it('orders members at every level, keeps array order, and leaves no white space', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 'x', y: 'é' }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":"é","z":"x"}]},"b":1}');
  });

  it('places crn, rcd and rcdi among the shaken claims in lexicographic order', () => {
    const json = shakenRcdClaimsJson(
      { attest: 'A', dest: { tn: ['18001234567'] }, iat: 1700000000, orig: { tn: '12025550100' }, origid: '123e4567-e89b-42d3-a456-426614174000' },
      { rcd: { nam: 'Example Bank', icn: 'https://x.example/l.png' }, rcdi: { '/icn': 'sha256-AAAA' }, crn: 'Fraud alert' },
    );
    expect(Object.keys(JSON.parse(json))).toEqual(['attest', 'crn', 'dest', 'iat', 'orig', 'origid', 'rcd', 'rcdi']);
    expect(json).toBe(canonicalJson(JSON.parse(json)));
    expect(json).toContain('"rcd":{"icn":"https://x.example/l.png","nam":"Example Bank"}');
  });
});

describe('rcdi digests (RFC 9795 §6)', () => {
  it('are sha256-<base64> of the bytes, as node:crypto computes them', () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    expect(integrityDigest(bytes)).toBe(`sha256-${createHash('sha256').update(bytes).digest('base64')}`);
    expect(integrityMatches(integrityDigest(bytes), bytes)).toBe(true);
    expect(integrityMatches(integrityDigest(bytes), Buffer.from('other'))).toBe(false);
    expect(integrityMatches(`sha512-${createHash('sha512').update(bytes).digest('base64')}`, bytes)).toBe(true);
  });

  it('digest an inline jCard over its deterministic JSON, whatever the member order it was written in', () => {
    const card = ['vcard', [['version', {}, 'text', '4.0'], ['fn', { type: 'work', a: 'b' }, 'text', 'Bank']]];
    const canonical = '["vcard",[["version",{},"text","4.0"],["fn",{"a":"b","type":"work"},"text","Bank"]]]';
    expect(jcdDigest(card)).toBe(`sha256-${createHash('sha256').update(canonical).digest('base64')}`);
  });

  it('refuses digest strings of an unknown algorithm or the wrong length', () => {
    expect(parseIntegrity('md5-AAAA')).toBeUndefined();
    expect(parseIntegrity('sha256-AAAA')).toBeUndefined();
    expect(parseIntegrity(integrityDigest(Buffer.from('x')))).toMatchObject({ alg: 'sha256' });
  });

  it('resolves RFC 6901 JSON pointers into rcd', () => {
    const rcd = { nam: 'n', icn: 'u', 'a/b': 1, jcd: JCARD };
    expect(resolvePointer(rcd, '/icn')).toBe('u');
    expect(resolvePointer(rcd, '/a~1b')).toBe(1);
    expect(resolvePointer(rcd, '/jcd/1/1/3')).toBe('Example Bank');
    expect(resolvePointer(rcd, '/jcd/01')).toBeUndefined();
    expect(resolvePointer(rcd, '/nope')).toBeUndefined();
  });
});

describe('RCD profile input', () => {
  const base = { rcd: { nam: 'Example Bank' }, tns: ['+1 202 555 0100'], prefixes: ['1303555'], crn: ['Fraud alert'] };

  it('is canonicalised: numbers, prefixes, a trimmed name', () => {
    const p = parseRcdProfileInput({ ...base, rcd: { nam: '  Example Bank ', jcd: JCARD }, placement: 'rcd' });
    expect(p).toEqual({ rcd: { nam: 'Example Bank', jcd: JCARD }, crn: ['Fraud alert'], tns: ['12025550100'], prefixes: ['1303555'], placement: 'rcd' });
    expect(coversNumber(p, '13035550199')).toBe(true);
    expect(coversNumber(p, '12025550101')).toBe(false);
    expect(coversNumber(p, undefined)).toBe(false);
  });

  it.each([
    ['a name over 64 characters', { rcd: { nam: 'x'.repeat(65) } }, 'rcd.nam'],
    ['no name', { rcd: { icn: 'https://a.example/l.png' } }, 'rcd.nam'],
    ['a control character in the name', { rcd: { nam: 'Bank\r\nX-Evil: 1' } }, 'rcd.nam'],
    ['an http logo', { rcd: { nam: 'B', icn: 'http://a.example/l.png' } }, 'rcd.icn'],
    ['a logo URL with a query', { rcd: { nam: 'B', icn: 'https://a.example/l.png?x=1' } }, 'rcd.icn'],
    ['a jCard URL that is not a URL', { rcd: { nam: 'B', jcl: 'card.json' } }, 'rcd.jcl'],
    ['both jcd and jcl', { rcd: { nam: 'B', jcd: JCARD, jcl: 'https://a.example/c.json' } }, 'rcd.jcl'],
    ['a jCard linking a web page it would not digest', { rcd: { nam: 'B', jcd: ['vcard', [['tel', {}, 'uri', 'tel:+12025550100'], ['url', {}, 'uri', 'https://a.example/']]] } }, 'rcd.jcd[1][1][3]'],
    ['a jCard linking a sound', { rcd: { nam: 'B', jcd: ['vcard', [['sound', {}, 'uri', 'https://a.example/s.mp3']]] } }, 'rcd.jcd[1][0][3]'],
    ['a jCard photo over plain http', { rcd: { nam: 'B', jcd: ['vcard', [['fn', {}, 'text', 'B'], ['photo', {}, 'uri', 'http://a.example/p.png']]] } }, 'rcd.jcd[1][1][3]'],
    ['something that is not a jCard', { rcd: { nam: 'B', jcd: { fn: 'B' } } }, 'rcd.jcd'],
    ['a call reason over 64 characters', { crn: ['r'.repeat(65)] }, 'crn[0]'],
    ['no numbers', { tns: [], prefixes: [] }, 'tns'],
    ['a bad prefix', { prefixes: ['1-303'] }, 'prefixes[0]'],
    ['an unknown placement', { placement: 'header' }, 'placement'],
  ])('refuses %s', (_title, over, field) => {
    expect(refusal(() => parseRcdProfileInput({ ...base, ...over })).field).toBe(field);
  });
});

describe('what an account may assert (decideRcd)', () => {
  const profiles = [profile(), profile({ id: 'rcd_2', rcd: { nam: 'Other Brand' }, icnDigest: null, crn: [], tns: ['12025550111'], prefixes: [], placement: 'rcd' })];

  it('signs a profile named by id with its digests and an allowed call reason', () => {
    const d = decideRcd(parseRcdRequest({ profile: 'rcd_1', crn: 'Fraud alert' })!, profiles, '13035550100');
    expect(d).toEqual({ profileId: 'rcd_1', placement: 'shaken', assertion: { rcd: profiles[0]!.rcd, rcdi: { '/icn': profiles[0]!.icnDigest }, crn: 'Fraud alert' } });
  });

  it('takes RCD fields only when they equal a profile covering the number', () => {
    expect(decideRcd(parseRcdRequest({ nam: 'Other Brand' })!, profiles, '12025550111').profileId).toBe('rcd_2');
    expect(decideRcd(parseRcdRequest({ nam: 'Other Brand' })!, profiles, '12025550111').assertion).toEqual({ rcd: { nam: 'Other Brand' } });
    const e = refusal(() => decideRcd(parseRcdRequest({ nam: 'Example Bank' })!, profiles, '12025550111'));
    expect([e.code, e.field]).toEqual(['ERR_ATTEST_REFUSED', 'rcd.nam']);
  });

  it.each([
    ['a profile of no account of its own', { profile: 'rcd_9' }, '12025550100', 'rcd.profile'],
    ['a number the profile does not cover', { profile: 'rcd_1' }, '14045550100', 'rcd.profile'],
    ['a caller without a number', { profile: 'rcd_1' }, undefined, 'rcd.profile'],
    ['a call reason the profile does not allow', { profile: 'rcd_1', crn: 'Win a cruise' }, '12025550100', 'rcd.crn'],
    ['a name no profile holds', { nam: 'Bank of Elsewhere' }, '12025550100', 'rcd.nam'],
  ])('refuses %s', (_title, raw, origTn, field) => {
    const e = refusal(() => decideRcd(parseRcdRequest(raw)!, profiles, origTn));
    expect([e.code, e.field]).toEqual(['ERR_ATTEST_REFUSED', field]);
  });

  it('refuses a profile whose linked content was never digested rather than sign it without rcdi', () => {
    const e = refusal(() => decideRcd({ profile: 'rcd_1' }, [profile({ icnDigest: null })], '12025550100'));
    expect([e.code, e.field]).toEqual(['ERR_ATTEST_REFUSED', 'rcd.profile']);
  });

  it('refuses a malformed rcd member as a bad request', () => {
    expect(refusal(() => parseRcdRequest('Example Bank')).code).toBe('ERR_REQ_FIELD_INVALID');
    expect(refusal(() => parseRcdRequest({ profile: 'rcd_1', nam: 'X' })).field).toBe('rcd.nam');
    expect(refusal(() => parseRcdRequest({ nam: 'Example Bank', logo: 'https://x.example/l.png' })).field).toBe('rcd.logo');
  });
});

describe('RCD a SIP call asks for (RFC 9796 Call-Info)', () => {
  it('reads the display name, the logo, the jCard URL and the call reason', async () => {
    const { rcdOfCallInfo, displayNameOf } = await import('../../server/core/rcd/call-info.js');
    expect(displayNameOf('"Bank \\"Q\\"" <sip:+1@x>')).toBe('Bank "Q"');
    expect(displayNameOf('Plain Name <sip:+1@x>')).toBe('Plain Name');
    expect(displayNameOf('<sip:+1@x>')).toBeUndefined();
    expect(rcdOfCallInfo(['<https://a.example/l.png>;purpose=icon', '<https://a.example/c.json>;purpose=rcd-jcard;call-reason="Late; \\"really\\""'], '"Bank" <sip:+1@x>')).toEqual({
      nam: 'Bank',
      icn: 'https://a.example/l.png',
      jcl: 'https://a.example/c.json',
      crn: 'Late; "really"',
    });
    expect(rcdOfCallInfo(['<data:>;purpose=jcard;call-reason="Delivery"'], undefined)).toEqual({ crn: 'Delivery' });
  });

  it('asks for nothing without an RCD purpose: a display name or another Call-Info is every call\'s', async () => {
    const { rcdOfCallInfo } = await import('../../server/core/rcd/call-info.js');
    expect(rcdOfCallInfo(undefined, '"Bank" <sip:+1@x>')).toBeUndefined();
    expect(rcdOfCallInfo(['<https://a.example/c.vcf>;purpose=card;call-reason="x"', 'garbage'], '"Bank" <sip:+1@x>')).toBeUndefined();
  });
});
