import { describe, expect, it } from 'vitest';
import { formatKeyRef, hsmKeyOf, parseKeyRef } from '../../hsm/pkcs11/pkcs11-uri.js';

describe('PKCS#11 key references (RFC 7512)', () => {
  it('reads token, key label and id, percent-decoding each', () => {
    expect(parseKeyRef('pkcs11:token=STI%20signer;object=key%2F2026;id=%01%aB')).toEqual({
      token: 'STI signer',
      object: 'key/2026',
      id: Buffer.from([0x01, 0xab]),
    });
  });

  it('writes the canonical form: unreserved characters as they are, everything else and every id byte percent-encoded', () => {
    const ref = formatKeyRef({ token: 'STI signer', object: 'key;2026', id: Buffer.from('0a41', 'hex') });
    expect(ref).toBe('pkcs11:token=STI%20signer;object=key%3B2026;id=%0A%41');
    expect(parseKeyRef(ref)).toEqual({ token: 'STI signer', object: 'key;2026', id: Buffer.from('0a41', 'hex') });
  });

  it('accepts a key named by id alone, and type=private', () => {
    expect(parseKeyRef('pkcs11:token=t;id=%02;type=private')).toEqual({ token: 't', object: undefined, id: Buffer.from([2]) });
  });

  const refusals: [string, RegExp][] = [
    ['soft:abc', /must start with "pkcs11:"/],
    ['pkcs11:object=k', /token=<label> is required/],
    ['pkcs11:token=t', /name the key/],
    ['pkcs11:token=t;object=k?pin-value=1234', /query attributes/],
    ['pkcs11:token=t;object=k;slot-id=0', /attribute "slot-id" is not supported/],
    ['pkcs11:token=t;token=u;object=k', /appears twice/],
    ['pkcs11:token=t;object=k;type=public', /type must be "private"/],
    ['pkcs11:token=t;object=a b', /must be percent-encoded/],
    ['pkcs11:token=t;object', /is not name=value/],
  ];
  for (const [ref, reason] of refusals) {
    it(`refuses ${JSON.stringify(ref)} with ERR_CRED_INVALID on keyRef`, () => {
      expect(() => parseKeyRef(ref)).toThrow(expect.objectContaining({ code: 'ERR_CRED_INVALID', field: 'keyRef', reason: expect.stringMatching(reason) }));
    });
  }

  it('describes HSM-backed references for listings and ignores others', () => {
    expect(hsmKeyOf('pkcs11:token=t;object=k;id=%0A')).toEqual({ token: 't', label: 'k', id: '0a' });
    expect(hsmKeyOf('soft:0011')).toBeUndefined();
  });
});
