import { identityValues, kindOf, parseIdentityHeader } from '../verify/identity-header.js';

/**
 * Whether a call's Identity headers hold a PASSporT of the shaken/div chain (RFC 8588 `shaken`, RFC 8946
 * `div` and `div-o`): a call some provider already signed (or claims to have), which the signer extends instead of
 * signing anew. Headers that cannot be read, or of another ppt only (`rcd`, unknown), leave the call unsigned
 * as far as this is concerned; the chain itself is read and refused by the core's div path
 * (div/div-from-passports.ts), e.g. a div without a shaken.
 */
export function carriesSignedPassport(identities: readonly string[]): boolean {
  return identityValues(identities).some((value) => {
    const parsed = parseIdentityHeader(value);
    if (!parsed.ok) return false;
    const { kind } = kindOf(parsed.header);
    return kind === 'shaken' || kind === 'div' || kind === 'div-o';
  });
}
