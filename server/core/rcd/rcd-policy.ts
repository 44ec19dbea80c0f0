import { ShakenError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import type { RcdAssertion, RcdPlacement, RcdRequest } from './rcd-types.js';
import { rcdiFor } from './rcd-integrity.js';
import { coversNumber, displayText, MAX_CRN, parseRcdClaim, type RcdProfile } from './rcd-profile.js';


/** What a sign request's RCD resolves to: the claims to sign and where they go. */
export interface RcdDecision {
  profileId: string;
  placement: RcdPlacement;
  assertion: RcdAssertion;
}

const RCD_KEYS = new Set(['nam', 'apn', 'icn', 'jcd', 'jcl']);

function refused(field: string, reason: string): ShakenError {
  return new ShakenError('ERR_ATTEST_REFUSED', reason, { field });
}

/** The body's `rcd` member → an `RcdRequest`; undefined when the request asks for no RCD. */
export function parseRcdRequest(raw: unknown): RcdRequest | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'rcd must be an object: {"profile":"<id>","crn":"…"} or the RCD fields {"nam":…}', { field: 'rcd' });
  const r = raw as Record<string, unknown>;
  const crn = r.crn === undefined || r.crn === null ? undefined : displayText(r.crn, 'rcd.crn', MAX_CRN);
  const withCrn = crn === undefined ? {} : { crn };
  if (r.profile !== undefined && r.profile !== null) {
    if (typeof r.profile !== 'string' || r.profile === '') throw new ShakenError('ERR_REQ_FIELD_INVALID', 'rcd.profile must be a profile id', { field: 'rcd.profile' });
    const extra = Object.keys(r).filter((k) => k !== 'profile' && k !== 'crn');
    if (extra.length > 0) throw new ShakenError('ERR_REQ_FIELD_INVALID', `rcd.profile names the brand; do not give ${extra.join(', ')} with it`, { field: `rcd.${extra[0]}` });
    return { profile: r.profile, ...withCrn };
  }
  const { crn: _crn, ...fields } = r;
  // Only RFC 9795 §5 keys: an unknown one would be silently left out of what is compared with the profiles.
  const unknown = Object.keys(fields).filter((k) => !RCD_KEYS.has(k));
  if (unknown.length > 0) throw new ShakenError('ERR_REQ_FIELD_INVALID', `rcd.${unknown[0]} is not an RCD field (nam, apn, icn, jcd, jcl, crn) nor profile`, { field: `rcd.${unknown[0]}` });
  return { fields, ...withCrn };
}

/**
 * What an account may assert for a call from `origTn` (RFC 9795 §1: the signer vouches for the RCD; ATIS-1000094:
 * the originating provider vets it): only a profile of its own that covers the number, with one of the profile's
 * call reasons. Fields given instead of a profile must equal a covering profile's `rcd` exactly. Anything else
 * is ERR_ATTEST_REFUSED naming the `rcd…` field, as the attestation cap refuses what the signer cannot back.
 */
export function decideRcd(request: RcdRequest, profiles: readonly RcdProfile[], origTn: string | undefined): RcdDecision {
  let profile: RcdProfile | undefined;
  if ('profile' in request) {
    profile = profiles.find((p) => p.id === request.profile);
    if (!profile) throw refused('rcd.profile', `this account has no RCD profile ${request.profile}`);
    if (!coversNumber(profile, origTn)) throw refused('rcd.profile', `RCD profile ${profile.id} does not cover the calling number ${origTn ?? '(not a number)'}`);
  } else {
    const wanted = canonicalJson(parseRcdClaim(request.fields, 'rcd'));
    const covering = profiles.filter((p) => coversNumber(p, origTn));
    profile = covering.find((p) => canonicalJson(p.rcd) === wanted);
    if (!profile) {
      throw refused('rcd.nam', covering.length === 0 ? `no RCD profile of this account covers the calling number ${origTn ?? '(not a number)'}` : 'the RCD fields match no vetted profile for this calling number; name one with rcd.profile');
    }
  }
  if (request.crn !== undefined && !profile.crn.includes(request.crn)) {
    throw refused('rcd.crn', profile.crn.length === 0 ? `RCD profile ${profile.id} allows no call reason` : `call reason not allowed by RCD profile ${profile.id} (allowed: ${profile.crn.map((c) => JSON.stringify(c)).join(', ')})`);
  }
  const linked: { icn?: string; jcl?: string; nested?: Record<string, string> } = { nested: profile.nestedDigests ?? {} };
  if (profile.icnDigest !== null) linked.icn = profile.icnDigest;
  if (profile.jclDigest !== null) linked.jcl = profile.jclDigest;
  let rcdi: Record<string, string>;
  try {
    rcdi = rcdiFor(profile.rcd, linked);
  } catch {
    // A profile saved with content that could not be fetched has no digest: refuse rather than sign without rcdi.
    throw refused('rcd.profile', `RCD profile ${profile.id} has linked content that was never fetched; refresh the profile`);
  }
  const assertion: RcdAssertion = { rcd: profile.rcd };
  if (Object.keys(rcdi).length > 0) assertion.rcdi = rcdi;
  if (request.crn !== undefined) assertion.crn = request.crn;
  return { profileId: profile.id, placement: profile.placement, assertion };
}
