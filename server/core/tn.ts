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
  if (typeof input === 'string' && isCanonicalTn(input)) return input;
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

/**
 * True when `s` is already canonical: 1 to 15 digits, `*` or `#`. Most numbers arrive so (API callers, SIP user
 * parts); a loop over the characters answers them without the regular expressions and copies the general case makes.
 */
function isCanonicalTn(s: string): boolean {
  if (s.length === 0 || s.length > MAX_TN_LENGTH) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 48 || c > 57) && c !== 42 && c !== 35) return false;
  }
  return true;
}

/**
 * The telephone number of a SIP or tel address in canonical form (RFC 8224 §8.3): `+1 404 526 6060`,
 * `tel:+14045266060;ext=1`, `sip:+14045266060@host;user=phone`, `"Alice" <sip:14045266060@host>`.
 * Throws ERR_TN_INVALID naming `field` when no number can be read.
 */
export function tnFromAddress(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ShakenError('ERR_TN_INVALID', 'telephone number must be a string', { field });
  if (isCanonicalTn(value)) return value;
  const address = addressUri(value.trim());
  // tel: parameters and SIP user parameters (RFC 3966 §3, RFC 3261 §19.1.1) follow the number after ';'.
  const uri = /^(sips?|tel):([^@;]*)/i.exec(address);
  return canonicalTn(uri ? uri[2]! : address, field);
}

/** The URI inside `"Name" <uri>;params` or `uri;params` (RFC 3261 §20.10 name-addr and addr-spec). */
export function addressUri(value: string): string {
  const open = value.indexOf('<');
  if (open >= 0) {
    const close = value.indexOf('>', open);
    return value.slice(open + 1, close < 0 ? undefined : close).trim();
  }
  // addr-spec form: header parameters start at the first ';' (RFC 3261 §20.10 forbids ';' in this URI).
  return value.split(';')[0]!.trim();
}

/**
 * The canonical number of an address, or undefined when it holds none: for decisions where "no number" is an
 * answer (the verstat header, routing), not an error.
 */
export function numberOf(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  try {
    return tnFromAddress(address, 'tn');
  } catch {
    return undefined;
  }
}
