import { tnFromAddress } from '../core/verify/verify-request.js';

/**
 * Reading the parts of SIP addresses the redirect server needs: the URI of a name-addr or addr-spec
 * (RFC 3261 §20.10), its tag, and the user part as a calling or called party.
 */

/** The URI inside `"Name" <uri>;params` or `uri;params`. */
export function addressUri(value: string): string {
  const open = value.indexOf('<');
  if (open >= 0) {
    const close = value.indexOf('>', open);
    return value.slice(open + 1, close < 0 ? undefined : close).trim();
  }
  // addr-spec form: header parameters start at the first ';' (RFC 3261 §20.10 forbids ';' in this URI).
  return value.split(';')[0]!.trim();
}

/** The `tag` header parameter (outside the angle brackets), or undefined. */
export function addressTag(value: string): string | undefined {
  const close = value.lastIndexOf('>');
  const params = close >= 0 ? value.slice(close + 1) : value.slice(value.indexOf(';') < 0 ? value.length : value.indexOf(';'));
  const m = /;\s*tag\s*=\s*([^;\s,]+)/i.exec(params);
  return m?.[1];
}

const NUMBER_LIKE = /^\+?[0-9*#\-.()]+$/;

/**
 * A party as the core takes it: `{tn}` when the URI's user part reads as a telephone number (tel: or
 * sip:/sips:), else `{uri}` — the core canonicalises and validates both, and its policy decides what a
 * non-numeric caller gets.
 */
export function partyOf(value: string | undefined): { tn: string } | { uri: string } | undefined {
  if (value === undefined) return undefined;
  const uri = addressUri(value);
  const m = /^(sips?|tel):([^@;?]*)/i.exec(uri);
  if (m && NUMBER_LIKE.test(m[2]!)) return { tn: m[2]! };
  return uri === '' ? undefined : { uri: uri.split(';')[0]! };
}

/**
 * The canonical number of an address or a bare number (the core's own reading, `tnFromAddress`), or
 * undefined when it holds none: for headers we build and routing, where "no number" is an answer, not an error.
 */
export function canonicalNumber(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return tnFromAddress(value, 'tn');
  } catch {
    return undefined;
  }
}
