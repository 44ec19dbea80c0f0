import { ShakenError } from './errors.js';

// RFC 8224 §8.3: visual separators are dropped before signing; what remains must be a TN.
const VISUAL_SEPARATORS = /[\s\-.()\/]/g;
const CANONICAL_TN = /^[0-9*#]{1,15}$/;

/**
 * Canonical form of a telephone number (RFC 8224 §8.3): separators and one leading `+` removed, then
 * 1 to 15 characters of digits, `*` or `#`. Anything else is refused rather than guessed at.
 */
export function canonicalTn(input: unknown, field: string): string {
  if (typeof input !== 'string') {
    throw new ShakenError('ERR_TN_INVALID', 'telephone number must be a string', { field });
  }
  let tn = input.replace(VISUAL_SEPARATORS, '');
  if (tn.startsWith('+')) tn = tn.slice(1);
  if (tn.length === 0) {
    throw new ShakenError('ERR_TN_INVALID', 'telephone number is empty', { field });
  }
  if (!CANONICAL_TN.test(tn)) {
    const why = tn.length > 15 ? 'has more than 15 digits' : 'may contain only digits, *, # and one leading +';
    throw new ShakenError('ERR_TN_INVALID', `telephone number ${why}`, { field });
  }
  return tn;
}
