import { ShakenError } from '../errors.js';
import { addressUri, canonicalTn } from '../tn.js';
import type { Orig } from '../types.js';
import type { Call } from './call.js';

/**
 * Which address of a call is which party, decided once for every transport: the calling party, the called
 * party a signature is made for, and the Request-URI as a place to send the call.
 */

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

/**
 * The canonical number in a URI's user part: `sip:`/`sips:` with a user (`+18005551234;npdi@host`: user
 * parameters after ';', RFC 4694 §4) or `tel:` (RFC 3966 §3). A `sip:host` without a user holds no number.
 */
function uriNumber(uri: string): string | undefined {
  const m = /^(?:sips?:([^@]+)@|tel:(.+))/i.exec(uri);
  const user = (m?.[1] ?? m?.[2])?.split(/[;?]/)[0];
  if (user === undefined) return undefined;
  try {
    // RFC 3261 §19.1.2: '+' may arrive escaped in a user part.
    return canonicalTn(user.replace(/^%2B/i, '+'), 'tn');
  } catch {
    return undefined;
  }
}

/**
 * The number a signed call is called at now, where its PASSporT chain must lead (RFC 8946 §4): the
 * Request-URI's, which a retargeting switch rewrites, else To's, which RFC 3261 §8.1.1.2 leaves as first dialled.
 */
export function calledNowTn(call: Pick<Call, 'to' | 'requestUri'>): string | undefined {
  const fromUri = call.requestUri === undefined ? undefined : uriNumber(call.requestUri);
  return fromUri ?? (call.to === undefined ? undefined : uriNumber(addressUri(call.to)));
}

/** One History-Info entry (RFC 7044 §4): its target's number and its `index` and `mp` parameters. */
interface HistoryEntry {
  tn: string | undefined;
  index: string | undefined;
  mp: string | undefined;
}

function historyEntry(value: string): HistoryEntry {
  const close = value.indexOf('>');
  // hi-params follow the name-addr (RFC 7044 §4.1); a URI's own parameters stay inside its angle brackets.
  const params = close < 0 ? [] : value.slice(close + 1).split(';').slice(1);
  const param = (name: string) => params.map((p) => p.trim().split('=')).find(([k]) => k!.trim().toLowerCase() === name)?.[1]?.trim();
  return { tn: uriNumber(addressUri(value)), index: param('index'), mp: param('mp') };
}

/**
 * The number History-Info says the call was retargeted from to reach `calledTn` (RFC 7044): the entry the
 * current target's `mp` names (RFC 7044 §4: the index of the entry whose target was mapped to this one), else the nearest earlier
 * entry of another number. A History-Info with no entry for the number called now does not describe this
 * retargeting and names nothing.
 */
function historyInfoDivertedFrom(values: readonly string[], calledTn: string): string | undefined {
  const entries = values.map(historyEntry);
  let current = -1;
  for (let i = entries.length - 1; i >= 0 && current < 0; i--) if (entries[i]!.tn === calledTn) current = i;
  if (current < 0) return undefined;
  const mp = entries[current]!.mp;
  const mapped = mp === undefined ? undefined : entries.find((e) => e.index === mp);
  if (mapped?.tn !== undefined && mapped.tn !== calledTn) return mapped.tn;
  for (let i = current - 1; i >= 0; i--) {
    const tn = entries[i]!.tn;
    if (tn !== undefined && tn !== calledTn) return tn;
  }
  return undefined;
}

/**
 * The number a signed call was diverted from, as its SIP history tells it: History-Info (RFC 7044), else the
 * top Diversion entry (RFC 5806 §4: each diverting entity adds its entry on top). It names the `div` of this
 * hop when the last PASSporT's dest held several numbers, and is checked against that dest by the signer
 * either way. Undefined when neither header names a number; History-Info and Diversion naming different
 * numbers are refused: which one is true cannot be told, and a div must not guess (RFC 8946 §3).
 */
export function divertedFromTn(call: Pick<Call, 'historyInfo' | 'diversion'>, calledTn: string): string | undefined {
  const fromHistory = call.historyInfo?.length ? historyInfoDivertedFrom(call.historyInfo, calledTn) : undefined;
  const top = call.diversion?.[0];
  const fromDiversion = top === undefined ? undefined : uriNumber(addressUri(top));
  if (fromHistory !== undefined && fromDiversion !== undefined && fromHistory !== fromDiversion) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'History-Info and Diversion name different numbers the call was diverted from', { field: 'div' });
  }
  return fromHistory ?? fromDiversion;
}
