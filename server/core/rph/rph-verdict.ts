import type { JudgedClaims } from '../verify/passport-decode.js';
import type { TokenVerdict } from '../verify/verify-result.js';
import type { Dest, Orig } from '../types.js';
import { canonicalTn } from '../tn.js';
import type { JudgedRph } from './rph-claims.js';

/**
 * What one received rph PASSporT (RFC 8443) does for its call, beyond its own verdict (signature, certificate chain,
 * freshness, claims: the verifier's per-token pipeline with RPH_PROFILE).
 */
export interface RphJudgement {
  /**
   * Whether its orig is the shaken PASSporT's and its dest names a target the shaken dest names (or is the emergency
   * URN `urn:service:sos`, which RFC 9027 §3 allows for an emergency call dialled as 911/112); null when it failed
   * or the call has no shaken PASSporT whose claims can be read.
   */
  agreesWithShaken: boolean | null;
  /** Whether its orig is the calling number (P-Asserted-Identity, else From); null when it failed or that is unknown. */
  agreesWithCaller: boolean | null;
  /**
   * True when it passed on its own and agrees with the shaken PASSporT and the caller wherever those are known: only
   * then do its `auth` values (and `sph`) authorise the call's priority. RFC 8443 §5: a priority that cannot be
   * verified is not to be honoured; a failed rph never gives a call priority.
   */
  authorizes: boolean;
}

/** The priority a call may be given (RFC 8443 §5, RFC 9027): set when it carries an rph PASSporT or names Resource-Priority values. */
export interface PriorityVerdict {
  /** r-values (lower-case) authorised by an rph PASSporT that passed and agrees with the call; [] when none. */
  authorized: string[];
  /** `psap-callback` when such an rph PASSporT vouches for it (RFC 9027 §4). */
  sph?: string;
  /** The call's Resource-Priority values (when given) that nothing authorises: they are not to be honoured. */
  unauthorized?: string[];
}

function canonical(tn: string): string | undefined {
  try {
    return canonicalTn(tn, 'tn');
  } catch {
    return undefined;
  }
}

function sameOrig(a: Orig, b: Orig): boolean {
  if ('tn' in a && 'tn' in b) {
    const tn = canonical(a.tn);
    return tn !== undefined && tn === canonical(b.tn);
  }
  return 'uri' in a && 'uri' in b && a.uri === b.uri;
}

const SOS = /^urn:service:sos(\.|$)/i;

function destAgrees(rph: Dest, shaken: Dest): boolean {
  const shakenTns = new Set((shaken.tn ?? []).map(canonical).filter((tn) => tn !== undefined));
  if ((rph.tn ?? []).map(canonical).some((tn) => tn !== undefined && shakenTns.has(tn))) return true;
  return (rph.uri ?? []).some((u) => (shaken.uri ?? []).includes(u) || SOS.test(u));
}

/** One rph PASSporT's judgement against the call's shaken PASSporT (when readable) and calling number (when known). */
export function judgeRph(result: TokenVerdict<JudgedRph>, shaken: JudgedClaims | undefined, origTn: string | undefined): RphJudgement {
  if (!result.ok) return { agreesWithShaken: null, agreesWithCaller: null, authorizes: false };
  const rph = result.value;
  const agreesWithShaken = shaken === undefined ? null : sameOrig(rph.claims.orig, shaken.claims.orig) && destAgrees(rph.claims.dest, shaken.claims.dest);
  const agreesWithCaller = origTn === undefined ? null : rph.origTn === origTn;
  return { agreesWithShaken, agreesWithCaller, authorizes: agreesWithShaken !== false && agreesWithCaller !== false };
}

/** The call's priority from its judged rph PASSporTs, and which of its Resource-Priority values (when given) none authorises. */
export function priorityOf(rphs: readonly { result: TokenVerdict<JudgedRph>; judgement: RphJudgement }[], resourcePriority: readonly string[] | undefined): PriorityVerdict {
  const authorized: string[] = [];
  let sph: string | undefined;
  for (const { result, judgement } of rphs) {
    if (!judgement.authorizes || !result.ok) continue;
    for (const v of result.value.auth) if (!authorized.includes(v)) authorized.push(v);
    sph ??= result.value.sph;
  }
  const verdict: PriorityVerdict = { authorized };
  if (sph !== undefined) verdict.sph = sph;
  if (resourcePriority !== undefined) verdict.unauthorized = resourcePriority.filter((v) => !authorized.includes(v));
  return verdict;
}
