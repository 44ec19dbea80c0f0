import { ShakenError } from './errors.js';

// RFC 8224 §8.3: visual separators are dropped before signing; what remains must be a TN.
const VISUAL_SEPARATORS = /[\s\-.()\/]/g;
const TN_CHARS = /^[0-9*#]+$/;
const MAX_TN_LENGTH = 15;

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
  if (!TN_CHARS.test(tn)) {
    throw new ShakenError('ERR_TN_INVALID', 'telephone number may contain only digits, *, # and one leading +', { field });
  }
  if (tn.length > MAX_TN_LENGTH) {
    throw new ShakenError('ERR_TN_INVALID', `telephone number has more than ${MAX_TN_LENGTH} digits`, { field });
  }
  return tn;
}
