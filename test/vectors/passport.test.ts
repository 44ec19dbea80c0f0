import { describe, expect, it } from 'vitest';
import { base64url, claimsJson, identityParams, protectedHeaderJson, signingInput } from '../../server/core/passport.js';
import { PASSPORT_VECTORS } from './passport-vectors.js';

describe('golden PASSporT vectors', () => {
  for (const v of PASSPORT_VECTORS) {
    describe(v.title, () => {
      it('serialises the protected header exactly', () => {
        expect(protectedHeaderJson(v.x5u)).toBe(v.headerJson);
        expect(base64url(protectedHeaderJson(v.x5u))).toBe(v.headerB64);
      });
      it('serialises the claims exactly', () => {
        expect(claimsJson(v.claims)).toBe(v.payloadJson);
        expect(signingInput(v.headerB64, v.claims)).toBe(`${v.headerB64}.${v.payloadB64}`);
      });
      it('round-trips through a generic JSON parser with the same members', () => {
        const parsed = JSON.parse(v.payloadJson) as Record<string, unknown>;
        expect(Object.keys(parsed)).toEqual(['attest', 'dest', 'iat', 'orig', 'origid']);
        expect(parsed).toEqual(v.claims);
      });
      it('writes the Identity parameters info, alg, ppt in that order', () => {
        expect(identityParams(v.x5u)).toBe(v.identityParams);
      });
      it('uses base64url without padding', () => {
        expect(v.headerB64 + v.payloadB64).not.toMatch(/[=+/]/);
      });
    });
  }

  it('escapes characters in a uri the JSON way, so the payload stays valid JSON', () => {
    const json = claimsJson({ attest: 'B', dest: { uri: ['sip:a"b@example.com'] }, iat: 1, orig: { tn: '1' }, origid: 'x' });
    expect(JSON.parse(json).dest.uri[0]).toBe('sip:a"b@example.com');
  });
});
