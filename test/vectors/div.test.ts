import { describe, expect, it } from 'vitest';
import { judgeDivClaims } from '../../server/core/div/div-claims.js';
import { divClaimsJson, divHeaderJson, divIdentityParams } from '../../server/core/div/div-passport.js';
import { base64url } from '../../server/core/passport.js';
import { DIV_VECTORS } from './div-vectors.js';

describe('golden div PASSporT vectors', () => {
  for (const v of DIV_VECTORS) {
    describe(v.title, () => {
      it('serialises the header and the claims exactly', () => {
        expect(divHeaderJson(v.x5u)).toBe(v.headerJson);
        expect(base64url(divHeaderJson(v.x5u))).toBe(v.headerB64);
        expect(divClaimsJson(v.claims)).toBe(v.payloadJson);
        expect(base64url(divClaimsJson(v.claims))).toBe(v.payloadB64);
      });
      it('writes the Identity parameters info, alg, ppt=div in that order', () => {
        expect(divIdentityParams(v.x5u)).toBe(v.identityParams);
      });
      it('reads back the claims it wrote, with the numbers canonical for linking', () => {
        const j = judgeDivClaims(JSON.parse(v.payloadJson) as Record<string, unknown>);
        expect(j).toMatchObject({ ok: true, value: { claims: v.claims, divTn: v.claims.div && 'tn' in v.claims.div ? v.claims.div.tn : undefined } });
      });
    });
  }

  it.each([
    ['no div', { dest: { tn: ['1'] }, iat: 1, orig: { tn: '2' } }, 'claims_missing'],
    ['div as an array', { dest: { tn: ['1'] }, div: { tn: ['3'] }, iat: 1, orig: { tn: '2' } }, 'claims_invalid'],
    ['dest as a string', { dest: { tn: '1' }, div: { tn: '3' }, iat: 1, orig: { tn: '2' } }, 'claims_invalid'],
    ['iat as a string', { dest: { tn: ['1'] }, div: { tn: '3' }, iat: '1', orig: { tn: '2' } }, 'claims_invalid'],
  ])('refuses claims with %s', (_name, claims, reason) => {
    expect(judgeDivClaims(claims)).toMatchObject({ ok: false, reason });
  });
});
