import type { Config } from '../config/schema.js';
import type { Call, CallPolicy } from '../core/call/call.js';
import type { CallDate } from '../core/types.js';
import { header, splitCommaLists, type SipRequest } from './message.js';
import { priorityHeadersOf } from './priority-headers.js';
import type { PeerAddress } from './response.js';

/** The Date header (RFC 7231 IMF-fixdate, RFC 3261 §20.17) in whole seconds, or unreadable. */
function dateOf(value: string | undefined): CallDate | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? { readable: true, sec: Math.floor(ms / 1000) } : { readable: false };
}

/** A list-valued header's entries, in order across its fields; undefined when the header is absent. */
function entries(request: SipRequest, name: string): string[] | undefined {
  const values = request.headers.get(name);
  return values === undefined ? undefined : splitCommaLists(values);
}

/**
 * The first present of a header's names, in order of precedence. Oracle SBCs read `Attestation-Info` or its
 * `P-` form and `Origination-ID` or its `P-` form on the INVITE they sign (sti-config
 * `sti-signaling-attest-info-mandatory`); the plain name is preferred, as the one without the private prefix.
 */
function firstOf(request: SipRequest, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = header(request, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** An INVITE as the core's call: header values as received; which one is which party is the core's decision. */
export function callOfInvite(request: SipRequest, peer: PeerAddress): Call {
  return {
    token: undefined,
    sourceAddress: peer.address,
    transport: 'sip',
    from: header(request, 'from'),
    pai: header(request, 'p-asserted-identity'),
    to: header(request, 'to'),
    requestUri: request.uri,
    date: dateOf(header(request, 'date')),
    identities: request.headers.get('identity'),
    attest: header(request, 'x-attestation'),
    attestationInfo: firstOf(request, 'attestation-info', 'p-attestation-info'),
    origid: firstOf(request, 'origination-id', 'p-origination-id'),
    // Entries one by one, in order: both headers are comma lists that may also be repeated (RFC 3261 §7.3.1).
    historyInfo: entries(request, 'history-info'),
    diversion: entries(request, 'diversion'),
    ...priorityHeadersOf(request),
    callInfo: entries(request, 'call-info'),
  };
}

/** The `sip.*` settings that are call policy (see server/config/schema.ts), in the core's terms. */
export function sipCallPolicy(sip: Pick<Config['sip'], 'maxDateSkewSec' | 'onSignFailure' | 'onVerifyFailure' | 'requireIdentity'>): CallPolicy {
  return {
    maxDateSkewSec: sip.maxDateSkewSec,
    routeUnsigned: sip.onSignFailure === 'redirect',
    routeFailedVerification: sip.onVerifyFailure === 'continue',
    requireIdentity: sip.requireIdentity,
  };
}
