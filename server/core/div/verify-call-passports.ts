import { kindOf, MAX_IDENTITY_HEADERS, readIdentities, type IdentityHeader, type ReadIdentities } from '../verify/identity-header.js';
import { SHAKEN_PROFILE, type JudgedClaims } from '../verify/passport-decode.js';
import { emptyChecks, failed, type Verstat } from '../verify/verify-result.js';
import type { TokenVerifier } from '../verify/token-verifier.js';
import { DIV_PROFILE, judgeDivClaims, type JudgedDiv } from './div-claims.js';
import { linkDivChain } from './div-chain.js';
import { DIV_O_PROFILE, withNestedPassports } from './nested-passports.js';
import { RPH_PROFILE } from '../rph/rph-claims.js';
import { judgeRph, priorityOf } from '../rph/rph-verdict.js';
import { RCD_PROFILE, type JudgedRcd } from '../rcd/rcd-verify.js';
import type { RcdReport } from '../rcd/rcd-types.js';
import { failed as failedVerdict } from '../verify/verify-result.js';
import { MAX_DIV_HOPS, type CallPassportsVerdict, type ChainProblem, type PassportOutcome, type PassportVerdict } from './passport-set.js';

/** A call's PASSporTs as a transport hands them over. */
export interface CallPassportsRequest {
  /** Every Identity header of the call, in any order (RFC 8224 §6.2: each is judged separately). */
  identity: string | readonly string[];
  /**
   * The canonical number being called now (Request-URI, else To): where the chain must end (RFC 8946 §4).
   * Undefined: the chain is linked and judged, but where it ends is not compared (nothing to compare with).
   */
  calledTn: string | undefined;
  /** The canonical calling number (P-Asserted-Identity, else From), compared with the shaken `orig`. */
  origTn?: string;
  /** The SIP Date in seconds, checked for freshness with each PASSporT. */
  dateSec?: number;
  /** The call's Resource-Priority r-values (RFC 4412), lower-case: reported as authorised or not by its rph PASSporTs. */
  resourcePriority?: readonly string[];
}

/** A failed div's claims as received, judged only for placing it in the chain (its own verdict stays failed). */
function divForLinking(r: PassportOutcome<JudgedDiv>): JudgedDiv | undefined {
  if (r.ok) return r.value;
  if (typeof r.claims !== 'object' || r.claims === null) return undefined;
  const j = judgeDivClaims(r.claims as Record<string, unknown>);
  return j.ok ? j.value : undefined;
}

/**
 * Verifies all of a call's PASSporTs (shaken plus div, RFC 8946) and decides the call:
 *  1. each Identity header is judged on its own by the verifier's single-PASSporT pipeline (signature,
 *     certificate chain, revocation, freshness; RFC 8224 §6.2); an rcd PASSporT and the RCD claims of a shaken one are
 *     also checked against their rcdi digests (RFC 9795 §4) without changing the verstat; an rph (RFC 8443) is
 *     judged too, then against the shaken PASSporT and the caller (rph/rph-verdict.ts): it decides the call's
 *     `priority`, and its failure never changes the verstat; unknown ppt are listed;
 *  2. the shaken and div PASSporTs are linked into one chain whatever order they arrived in (div-chain.ts);
 *  3. verstat (3GPP TS 24.229, STANDARDS.md): TN-Validation-Failed when any judged PASSporT fails its
 *     signature or certificate; else No-TN-Validation when any fails otherwise (stale, malformed, orig) or the
 *     chain has a problem (missing link, loop, branch, not ending at the called number); else
 *     TN-Validation-Passed: the shaken passes, every div passes, and the chain runs from the shaken `dest`
 *     to the number called now.
 */
export function verifyCallPassports(verifier: TokenVerifier, request: CallPassportsRequest): Promise<CallPassportsVerdict> {
  return verifyReadPassports(verifier, readIdentities(request.identity), request);
}

/** `verifyCallPassports` over Identity headers already read (the verifier reads them once per call). */
export async function verifyReadPassports(verifier: TokenVerifier, read: ReadIdentities, request: Omit<CallPassportsRequest, 'identity'>): Promise<CallPassportsVerdict> {
  // Bounded like the single-PASSporT verifier: a flood of headers is judged no further than the limit (readIdentities).
  const values = read.values;
  // RFC 8946 §5: a div-o carries the PASSporT it diverts; each nested one is judged as if it had been received.
  const sources = withNestedPassports(read);
  const passports = await Promise.all(
    sources.map(async ({ parsed, nestedIn }, index): Promise<PassportVerdict> => {
      const where = nestedIn === undefined ? {} : { nestedIn };
      if (!parsed.ok) return { index, ...where, kind: 'other', ppt: undefined, result: { ok: null, detail: `not an Identity header: ${parsed.detail}` } };
      const ident = parsed.header;
      const { kind, ppt } = kindOf(ident);
      if (kind === 'shaken') {
        const result = await verifyShaken(verifier, ident, request);
        const rcd = result.ok ? await verifier.checkRcd?.(result.passportClaims, 'shaken', result.x5u) : undefined;
        return { index, ...where, kind, ppt, result, ...(rcd ? { rcd } : {}) };
      }
      if (kind === 'rcd') return { index, ...where, kind, ppt, ...(await verifyRcd(verifier, ident, request)) };
      if (kind === 'div' || kind === 'div-o') {
        const profile = kind === 'div' ? DIV_PROFILE : DIV_O_PROFILE;
        return { index, ...where, kind, ppt, hop: undefined, result: await verifier.verifyToken(ident, profile, request.dateSec, emptyChecks()) };
      }
      if (kind === 'rph') return { index, ...where, kind, ppt, rph: undefined, result: await verifier.verifyToken(ident, RPH_PROFILE, request.dateSec, emptyChecks()) };
      return { index, ...where, kind, ppt, result: { ok: null, detail: `ppt ${ppt ?? '(none)'} is not supported; ignored (RFC 8224 §6.2)` } };
    }),
  );
  // RFC 9795 (ppt "rcd"): an rcd PASSporT is about the same call: its orig is the shaken one's.
  const shakenOrig = passports.find((p) => p.kind === 'shaken' && p.result.ok);
  const origTn = shakenOrig?.kind === 'shaken' && shakenOrig.result.ok ? shakenOrig.result.value.origTn : undefined;
  for (const p of passports) {
    if (p.kind === 'rcd' && p.result.ok && p.rcd && origTn !== undefined && p.result.value.origTn !== origTn) {
      p.rcd.failed.push({ field: 'orig', detail: `the rcd PASSporT's orig ${p.result.value.origTn ?? '(not a tn)'} is not the shaken orig ${origTn}` });
      p.rcd.ok = false;
      p.result = failedVerdict('rcd_integrity', p.result.checks, 'orig differs from the shaken PASSporT', { claims: p.result.value.claims, x5u: p.result.x5u });
    }
  }

  const problems: ChainProblem[] = [];
  if (read.total > values.length) problems.push({ reason: 'too_many', detail: `${read.total} Identity headers; at most ${MAX_IDENTITY_HEADERS} are judged` });
  const shakens = passports.filter((p): p is Extract<PassportVerdict, { kind: 'shaken' }> => p.kind === 'shaken');
  const divs = passports.filter((p): p is Extract<PassportVerdict, { kind: 'div' | 'div-o' }> => p.kind === 'div' || p.kind === 'div-o');
  let chain: number[] = [];
  if (shakens.length === 0) problems.push({ reason: 'no_shaken', detail: `${values.length} Identity headers, none shaken` });
  else if (shakens.length > 1) problems.push({ reason: 'several_shaken', detail: `${shakens.length} shaken PASSporTs; a call has one origin` });
  else {
    const shaken = shakens[0]!;
    const start = shaken.result.ok ? shaken.result.value : shakenForLinking(shaken.result);
    if (start === undefined) {
      chain = [shaken.index];
    } else {
      const linked = linkDivChain(
        { index: shaken.index, origTn: start.origTn, orig: start.claims.orig, destTns: start.destTns },
        divs.map((d) => ({ index: d.index, jws: sources[d.index]!.value, claims: divForLinking(d.result) })),
        request.calledTn,
        MAX_DIV_HOPS,
      );
      chain = linked.chain;
      problems.push(...linked.problems);
      for (const d of divs) d.hop = linked.hops.get(d.index);
    }
  }

  // RFC 8443: each rph is judged on its own, then against the call; it decides the call's priority, never its verstat.
  const rphs = passports.filter((p): p is Extract<PassportVerdict, { kind: 'rph' }> => p.kind === 'rph');
  const shakenClaims = shakens.length === 1 ? (shakens[0]!.result.ok ? shakens[0]!.result.value : shakenForLinking(shakens[0]!.result)) : undefined;
  const judgements = rphs.map((p) => (p.rph = judgeRph(p.result, shakenClaims, request.origTn)));

  const judged = [...shakens, ...divs].map((p) => p.result);
  const failures = judged.filter((r) => !r.ok);
  let verstat: Verstat = 'TN-Validation-Passed';
  let reason: string | undefined;
  const chainFailure = failures.find((r) => !r.ok && r.verstat === 'TN-Validation-Failed');
  const first = chainFailure ?? failures[0];
  let failedIndex: number | undefined;
  if (first && !first.ok) {
    verstat = first.verstat;
    reason = `${first.reason}: ${first.reasonText}`;
    failedIndex = [...shakens, ...divs].find((p) => p.result === first)!.index;
  } else if (problems.length > 0) {
    verstat = 'No-TN-Validation';
    reason = `${problems[0]!.reason}: ${problems[0]!.detail}`;
  }
  const verdict: CallPassportsVerdict = { verstat, ok: verstat === 'TN-Validation-Passed', passports, chain, problems };
  if (reason !== undefined) verdict.reason = reason;
  if (failedIndex !== undefined) verdict.failedIndex = failedIndex;
  if (rphs.length > 0 || request.resourcePriority !== undefined) verdict.priority = priorityOf(rphs.map((p, i) => ({ result: p.result, judgement: judgements[i]! })), request.resourcePriority);
  return verdict;
}

/** The shaken PASSporT judged, then its orig compared with the calling number (RFC 8224 §6.2 step 1). */
async function verifyShaken(verifier: TokenVerifier, ident: IdentityHeader, request: Omit<CallPassportsRequest, 'identity'>): Promise<PassportOutcome<JudgedClaims>> {
  const checks = emptyChecks();
  const r = await verifier.verifyToken(ident, SHAKEN_PROFILE, request.dateSec, checks);
  if (!r.ok) return r;
  if (request.origTn !== undefined) {
    checks.orig = r.value.origTn === request.origTn;
    if (!checks.orig) return failed('orig_mismatch', checks, `orig ${r.value.origTn ?? '(not a tn)'}, call from ${request.origTn}`, { claims: r.value.claims, x5u: r.x5u });
  }
  return r;
}

/**
 * An rcd PASSporT (RFC 9795 (ppt "rcd")): judged as any PASSporT (signature, certificate, freshness, claims), then its
 * RCD (rcd/rcd-verify.ts). Content that does not verify fails it with `rcd_integrity`; the call's verstat is the
 * shaken chain's and does not depend on it (RFC 9795: RCD that fails is not shown, the call goes on).
 */
async function verifyRcd(verifier: TokenVerifier, ident: IdentityHeader, request: Omit<CallPassportsRequest, 'identity'>): Promise<{ result: PassportOutcome<JudgedRcd>; rcd?: RcdReport }> {
  const r = await verifier.verifyToken(ident, RCD_PROFILE, request.dateSec, emptyChecks());
  if (!r.ok || !verifier.checkRcd) return { result: r };
  const rcd = (await verifier.checkRcd(r.value.claims, 'rcd', r.x5u))!;
  if (rcd.ok) return { result: r, rcd };
  const detail = rcd.failed.map((f) => `${f.field}: ${f.detail}`).join('; ');
  return { result: failedVerdict('rcd_integrity', r.checks, detail, { claims: r.value.claims, x5u: r.x5u }), rcd };
}

function shakenForLinking(r: PassportOutcome<JudgedClaims>): JudgedClaims | undefined {
  if (r.ok) return r.value;
  if (typeof r.claims !== 'object' || r.claims === null) return undefined;
  const j = SHAKEN_PROFILE.judge(r.claims as Record<string, unknown>);
  return j.ok ? j.value : undefined;
}
