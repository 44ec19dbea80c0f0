import type { Orig } from '../types.js';
import type { Call } from './call.js';

/**
 * Which address of a call is which party, decided once for every transport: the calling party, the called
 * party a signature is made for, and the Request-URI as a place to send the call.
 */

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

const NUMBER_LIKE = /^\+?[0-9*#\-.()]+$/;

/**
 * An address as a PASSporT party: `{tn}` when the URI's user part reads as a telephone number (tel: or
 * sip:/sips:), else `{uri}`. Both are canonicalised and validated by the signing path, and its policy decides
 * what a non-numeric caller gets.
 */
export function partyOf(address: string | undefined): Orig | undefined {
  if (address === undefined) return undefined;
  const uri = addressUri(address);
  const m = /^(sips?|tel):([^@;?]*)/i.exec(uri);
  if (m && NUMBER_LIKE.test(m[2]!)) return { tn: m[2]! };
  return uri === '' ? undefined : { uri: uri.split(';')[0]! };
}

/** The calling party: P-Asserted-Identity, else From (STANDARDS.md; ATIS-1000074 §5.3.1). */
export function callingAddress(call: Pick<Call, 'pai' | 'from'>): string | undefined {
  return call.pai ?? call.from;
}

/**
 * The called party a signature is made for: To when it holds a number; else the Request-URI's party (a To of
 * `sip:sales@…` whose number the proxy put in the Request-URI); else To as a URI.
 */
export function calledPartyToSign(call: Pick<Call, 'to' | 'requestUri'>): Orig | undefined {
  const to = partyOf(call.to);
  if (to && 'tn' in to) return to;
  return (call.requestUri === undefined ? undefined : partyOf(`<${call.requestUri}>`)) ?? to;
}

/** The Request-URI as a place to send the call when no rule matches: only a sip: or sips: URI is one. */
export function requestUriTarget(call: Pick<Call, 'requestUri'>): string | undefined {
  return call.requestUri !== undefined && /^sips?:/i.test(call.requestUri) ? call.requestUri : undefined;
}
