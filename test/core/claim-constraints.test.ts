import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';
import { claimConstraintsOfPem, rcdConstraintFailures } from '../../server/core/rcd/claim-constraints.js';
import { createLabPki } from '../../server/pki/lab-pki.js';

const tagged = (tagNumber: number, value: asn1js.AsnType[]) => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber }, value });
const names = (...n: string[]) => n.map((value) => new asn1js.IA5String({ value }));
const seq = (...value: asn1js.AsnType[]) => new asn1js.Sequence({ value });
const der = (v: asn1js.AsnType) => new Uint8Array(v.toBER());

/** RFC 8226 §8 JWTClaimConstraints, module EXPLICIT TAGS: each tag wraps its SEQUENCE. */
const explicitJcc = der(
  seq(
    tagged(0, [seq(...names('rcd'))]),
    tagged(1, [seq(seq(new asn1js.IA5String({ value: 'rcd' }), seq(new asn1js.Utf8String({ value: '{"nam":"Constrained Bank"}' }))))]),
  ),
);
/** RFC 9118 EnhancedJWTClaimConstraints written with implicit tags, and mustExclude [2]. */
const implicitEjcc = der(seq(tagged(1, [seq(new asn1js.IA5String({ value: 'crn' }), seq(new asn1js.Utf8String({ value: 'Fraud alert' })))]), tagged(2, names('rcdi'))));

describe('JWT Claim Constraints of a STIR certificate (RFC 8226 §8, RFC 9118)', () => {
  it('reads both extensions, explicit and implicit tags, from a certificate made with @peculiar/x509', async () => {
    const pki = await createLabPki({
      leafExtensions: [
        { oid: '1.3.6.1.5.5.7.1.27', der: explicitJcc },
        { oid: '1.3.6.1.5.5.7.1.33', der: implicitEjcc },
      ],
    });
    expect(claimConstraintsOfPem(pki.chainPem)).toEqual([
      { extension: 'JWTClaimConstraints', mustInclude: ['rcd'], permittedValues: { rcd: ['{"nam":"Constrained Bank"}'] }, mustExclude: [] },
      { extension: 'EnhancedJWTClaimConstraints', mustInclude: [], permittedValues: { crn: ['Fraud alert'] }, mustExclude: ['rcdi'] },
    ]);
    expect(claimConstraintsOfPem((await createLabPki()).chainPem)).toEqual([]);
  });

  it('names each RCD claim that breaks them; constraints on other claims are left alone', async () => {
    const pki = await createLabPki({ leafExtensions: [{ oid: '1.3.6.1.5.5.7.1.27', der: explicitJcc }, { oid: '1.3.6.1.5.5.7.1.33', der: implicitEjcc }] });
    const list = claimConstraintsOfPem(pki.chainPem);
    expect(rcdConstraintFailures({ rcd: { nam: 'Constrained Bank' }, crn: 'Fraud alert' }, list)).toEqual([]);
    const failed = rcdConstraintFailures({ rcd: { nam: 'Other' }, crn: 'Sales', rcdi: { '/icn': 'sha256-x' } }, list);
    expect(failed.map((f) => f.field)).toEqual(['jcc.rcd', 'jcc.crn', 'jcc.rcdi']);
    expect(failed[0]!.detail).toContain('RFC 8226 JWTClaimConstraints permits rcd only as');
    expect(rcdConstraintFailures({ crn: 'Fraud alert' }, list)).toEqual([{ field: 'jcc.rcd', detail: expect.stringContaining('requires rcd') }]);
    // Member order does not matter: the value is compared as RFC 8225 §9 deterministic JSON.
    const ordered = await createLabPki({ leafExtensions: [{ oid: '1.3.6.1.5.5.7.1.27', der: der(seq(tagged(1, [seq(seq(new asn1js.IA5String({ value: 'rcd' }), seq(new asn1js.Utf8String({ value: '{"icn":"https://a.example/l.png","nam":"B"}' }))))]))) }] });
    expect(rcdConstraintFailures({ rcd: { nam: 'B', icn: 'https://a.example/l.png' } }, claimConstraintsOfPem(ordered.chainPem))).toEqual([]);
  });

  it('refuses an extension that does not decode rather than guess what it allows', async () => {
    const pki = await createLabPki({ leafExtensions: [{ oid: '1.3.6.1.5.5.7.1.27', der: der(seq(new asn1js.Integer({ value: 1 }))) }] });
    expect(() => claimConstraintsOfPem(pki.chainPem)).toThrow(/untagged field/);
  });
});
