import type { CallPassportsVerdict, PassportVerdict } from '../div/passport-set.js';
import type { RphJudgement } from '../rph/rph-verdict.js';
import type { ShakenClaims } from '../types.js';
import { emptyChecks, failed, type CallReport, type ChainProblemReason, type PassportReport, type VerifyChecks, type VerifyFailed, type VerifyReason, type VerifyResult } from './verify-result.js';

/** The reason a call's result names for its first chain problem; each problem is its own reason but one. */
const PROBLEM_REASON: Record<ChainProblemReason, VerifyReason> = {
  // The single-header verifier's name for the same thing.
  no_shaken: 'no_shaken_identity',
  several_shaken: 'several_shaken',
  div_duplicate: 'div_duplicate',
  div_branch: 'div_branch',
  div_loop: 'div_loop',
  div_unlinked: 'div_unlinked',
  div_orig_mismatch: 'div_orig_mismatch',
  not_connected: 'not_connected',
  too_many: 'too_many',
};

/** One header's verdict as the result carries it: the verifier's per-token result, flattened. */
function reportOf(p: PassportVerdict): PassportReport {
  const r: PassportReport = { index: p.index, kind: p.kind, ok: p.result.ok };
  if (p.ppt !== undefined) r.ppt = p.ppt;
  if (p.nestedIn !== undefined) r.nestedIn = p.nestedIn;
  if ((p.kind === 'div' || p.kind === 'div-o') && p.hop !== undefined) r.hop = p.hop;
  if (p.rcd !== undefined) r.rcd = p.rcd;
  const v = p.result;
  if (v.ok === null) {
    r.reasonText = v.detail;
  } else if (v.ok) {
    r.verstat = 'TN-Validation-Passed';
    r.claims = v.value.claims;
    r.x5u = v.x5u;
    r.cert = v.cert;
    r.checks = v.checks;
    r.warnings = v.warnings;
  } else {
    r.verstat = v.verstat;
    r.sip = v.sip;
    r.reason = v.reason;
    r.reasonText = v.reasonText;
    if (v.claims !== undefined) r.claims = v.claims;
    if (v.x5u !== undefined) r.x5u = v.x5u;
    r.checks = v.checks;
  }
  if (p.kind === 'rph' && p.rph !== undefined) r.rph = rphReport(p.result, p.rph);
  return r;
}

/** An rph PASSporT's report: its r-values (as judged, else as received when they read) and its judgement. */
function rphReport(v: Extract<PassportVerdict, { kind: 'rph' }>['result'], judgement: RphJudgement): NonNullable<PassportReport['rph']> {
  const received = !v.ok && typeof v.claims === 'object' && v.claims !== null ? (v.claims as { rph?: { auth?: unknown }; sph?: unknown }) : undefined;
  const rawAuth = v.ok ? v.value.auth : received?.rph?.auth;
  const auth = Array.isArray(rawAuth) ? rawAuth.filter((a): a is string => typeof a === 'string').map((a) => a.toLowerCase()) : [];
  const report: NonNullable<PassportReport['rph']> = { auth, agreesWithShaken: judgement.agreesWithShaken, agreesWithCaller: judgement.agreesWithCaller, authorizes: judgement.authorizes };
  const sph = v.ok ? v.value.sph : typeof received?.sph === 'string' ? received.sph : undefined;
  if (sph !== undefined) report.sph = sph;
  return report;
}

function headerName(p: PassportVerdict): string {
  const hop = (p.kind === 'div' || p.kind === 'div-o') && p.hop !== undefined ? `, hop ${p.hop}` : '';
  if (p.nestedIn !== undefined) return `the PASSporT nested in Identity header ${p.nestedIn + 1} (${p.kind}${hop})`;
  return `Identity header ${p.index + 1} (${p.kind}${hop})`;
}

/**
 * A call's verdict over all its PASSporTs (verifyCallPassports) as one verify result: the top level (ok,
 * verstat, sip, reason, reasonText) is the call's, and `call` lists every header's own verdict.
 *  - passed: attest, origid, claims, x5u, cert and checks are the shaken PASSporT's (the call's origin); its
 *    `dest` check says the chain reached the number called now (null when that number is unknown);
 *  - a PASSporT failed on its own (signature, certificate, freshness, claims, orig): its reason, SIP code and
 *    verstat, claims, x5u and checks, with the reason text naming the header;
 *  - the chain has a problem: the problem's reason (VERIFY_REASONS), with the shaken's claims and checks.
 */
export function callVerifyResult(v: CallPassportsVerdict, calledTnKnown: boolean): VerifyResult {
  const call: CallReport = { passports: v.passports.map(reportOf), chain: v.chain, problems: v.problems };
  if (v.priority !== undefined) call.priority = v.priority;
  const shaken = v.passports.find((p): p is Extract<PassportVerdict, { kind: 'shaken' }> => p.kind === 'shaken');

  if (v.failedIndex !== undefined) {
    const p = v.passports[v.failedIndex]!;
    const r = p.result as VerifyFailed;
    return { ...r, reasonText: `${headerName(p)}: ${r.reasonText}`, call };
  }

  const s = shaken?.result;
  const checks: VerifyChecks = s ? { ...s.checks } : emptyChecks();
  if (calledTnKnown) checks.dest = !v.problems.some((p) => p.reason === 'not_connected');
  const problem = v.problems[0];
  if (problem !== undefined || !s || !s.ok) {
    const reason = problem === undefined ? 'no_shaken_identity' : PROBLEM_REASON[problem.reason];
    const detail = problem === undefined ? undefined : `${problem.index === undefined ? '' : `${headerName(v.passports[problem.index]!)}: `}${problem.detail}`;
    const extra = s && s.ok ? { claims: s.value.claims as unknown, x5u: s.x5u } : {};
    return { ...failed(reason, checks, detail, extra), call };
  }
  const claims: ShakenClaims = s.value.claims;
  const passed: VerifyResult = { ok: true, verstat: 'TN-Validation-Passed', attest: claims.attest, origid: claims.origid, claims, x5u: s.x5u, cert: s.cert, checks, warnings: [...new Set(v.passports.flatMap((p) => (p.result.ok ? p.result.warnings : [])))], call };
  // The call's RCD (RFC 9795): the shaken PASSporT's own, else the first rcd PASSporT's.
  const rcd = shaken?.rcd ?? v.passports.find((p) => p.kind === 'rcd' && p.rcd !== undefined)?.rcd;
  if (rcd !== undefined) passed.rcd = rcd;
  return passed;
}
