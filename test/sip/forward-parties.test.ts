import { describe, expect, it } from 'vitest';
import { calledNowTn, divertedFromTn } from '../../server/core/call/call-parties.js';
import { isShakenError } from '../../server/core/errors.js';

/** Which number a signed call is called at now, and which it was diverted from (the core's reading of SIP). */
describe('the parties of a forwarded call', () => {
  it('calls a call at the Request-URI number, else To (a retargeting switch rewrites the Request-URI, not To)', () => {
    expect(calledNowTn({ requestUri: 'sip:+18005550101@gw.example.net;user=phone', to: '<sip:18005550100@x>' })).toBe('18005550101');
    expect(calledNowTn({ requestUri: 'sip:%2B18005550101;npdi@gw.example.net', to: undefined })).toBe('18005550101');
    expect(calledNowTn({ requestUri: 'tel:+1-800-555-0101;phone-context=x', to: undefined })).toBe('18005550101');
    // A Request-URI without a user part names a host, not a number: To says.
    expect(calledNowTn({ requestUri: 'sip:127.0.0.1:5060', to: '"Sales" <sip:+18005550100@carrier.example.net>;tag=1' })).toBe('18005550100');
    expect(calledNowTn({ requestUri: 'sip:sales@example.net', to: '<sip:support@example.net>' })).toBeUndefined();
  });

  const C = '18005550300';
  it('History-Info: the entry the current target was mapped from (mp), else the nearest earlier entry of another number', () => {
    const hi = (...entries: string[]) => divertedFromTn({ historyInfo: entries }, C);
    expect(hi('<sip:18005550201@a>;index=1', '<sip:18005550202@a>;index=1.1', `<sip:${C}@a?Reason=SIP%3Bcause%3D302>;index=1.1.1;mp=1`)).toBe('18005550201');
    expect(hi('<sip:18005550201@a>;index=1', '<sip:18005550202@a>;index=1.1', `<sip:${C}@a>;index=1.1.1`)).toBe('18005550202');
    // Entries for the number called now itself (a proxy's own hop) are passed over.
    expect(hi('<sip:18005550201@a>;index=1', `<sip:${C}@a>;index=1.1;mp=1`, `<sip:${C}@b>;index=1.1.1`)).toBe('18005550201');
    // A History-Info that never reaches the number called now does not describe this retargeting.
    expect(hi('<sip:18005550201@a>;index=1', '<sip:18005550202@a>;index=1.1')).toBeUndefined();
  });

  it('Diversion: the top entry; History-Info and Diversion must agree', () => {
    expect(divertedFromTn({ diversion: ['<tel:+18005550202>;reason=unconditional', '<sip:18005550201@a>'] }, C)).toBe('18005550202');
    expect(divertedFromTn({ diversion: ['<sip:voicemail@a>'] }, C)).toBeUndefined();
    expect(divertedFromTn({}, C)).toBeUndefined();
    const both = { historyInfo: ['<sip:18005550201@a>;index=1', `<sip:${C}@a>;index=1.1;mp=1`] };
    expect(divertedFromTn({ ...both, diversion: ['<sip:+18005550201@a>'] }, C)).toBe('18005550201');
    try {
      divertedFromTn({ ...both, diversion: ['<sip:18005550202@a>'] }, C);
      expect.unreachable('History-Info and Diversion disagree');
    } catch (e) {
      expect(isShakenError(e) && [e.code, e.field]).toEqual(['ERR_REQ_FIELD_INVALID', 'div']);
    }
  });
});
