import { describe, expect, it } from 'vitest';
import { canonicalTn, numberOf, tnFromAddress } from '../../server/core/tn.js';

describe('TN canonicalisation (RFC 8224 §8.3)', () => {
  it.each([
    ['14045266060', '14045266060'],
    ['+1 404 526 6060', '14045266060'],
    ['+1-404-526-6060', '14045266060'],
    ['(404) 526.6060', '4045266060'],
    ['*67', '*67'],
    ['123#', '123#'],
    ['1', '1'],
    ['123456789012345', '123456789012345'],
  ])('turns %j into %j', (input, expected) => {
    expect(canonicalTn(input, 'orig.tn')).toBe(expected);
  });

  it.each([
    ['', 'empty'],
    ['+', 'empty'],
    ['  - ', 'empty'],
    ['1234567890123456', 'more than 15'],
    ['1404abc6060', 'only digits'],
    ['++14045266060', 'only digits'],
    ['1404+5266060', 'only digits'],
    ['sip:14045266060@example.com', 'only digits'],
    ['١٢٣', 'only digits'],
  ])('refuses %j with a reason', (input, why) => {
    expect(() => canonicalTn(input, 'dest.tn[0]')).toThrow(expect.objectContaining({ code: 'ERR_TN_INVALID', field: 'dest.tn[0]', reason: expect.stringContaining(why) }));
  });

  it('refuses a number given as a JSON number, which would lose leading zeros', () => {
    expect(() => canonicalTn(14045266060, 'orig.tn')).toThrow(expect.objectContaining({ code: 'ERR_TN_INVALID' }));
  });
});

describe('the number of an address', () => {
  it.each([
    ['"Alice" <sip:+1-404-526-6060@pbx.example.net;user=phone>;tag=1', '14045266060'],
    ['<tel:+14045266060;ext=1>', '14045266060'],
    ['sip:14045266060@pbx.example.net;tag=abc', '14045266060'],
    ['+1 404 526 6060', '14045266060'],
    ['14045266060', '14045266060'],
    ['*67', '*67'],
    ['123456789012345', '123456789012345'],
  ])('%s → %s', (address, tn) => {
    expect(tnFromAddress(address, 'from')).toBe(tn);
    expect(numberOf(address)).toBe(tn);
  });

  it('refuses a bare number of 16 digits or none, as canonicalisation does', () => {
    expect(() => tnFromAddress('1234567890123456', 'from')).toThrow(expect.objectContaining({ code: 'ERR_TN_INVALID', field: 'from', reason: expect.stringContaining('more than 15') }));
    expect(() => tnFromAddress('', 'from')).toThrow(expect.objectContaining({ code: 'ERR_TN_INVALID', field: 'from', reason: expect.stringContaining('empty') }));
  });

  it('is no number for a URI without one: an error naming the field, or undefined where that is an answer', () => {
    expect(() => tnFromAddress('<sip:anonymous@anonymous.invalid>', 'pai')).toThrow(expect.objectContaining({ code: 'ERR_TN_INVALID', field: 'pai' }));
    expect(numberOf('<sip:anonymous@anonymous.invalid>')).toBeUndefined();
    expect(numberOf(undefined)).toBeUndefined();
  });
});
