import { SIP_REASON_PHRASE, type PassportReport, type Verstat, type VerifySipCode, type VerifyResult } from '../core/verify/verify-result.js';

/** One `verifyResult` of a Ms verificationResponse: the verdict of one PASSporT of the request. */
export interface MsVerifyResult {
  ppt: string;
  status: 'pass' | 'fail';
  reasonCode?: VerifySipCode;
  reasonText?: string;
  reasonDescription?: string;
  passport?: string;
  validClaims?: unknown;
}

export interface MsVerificationResponse {
  requestId?: string;
  displayName?: string;
  verstatValue: Verstat;
  verstatPriority?: 'RPH-Validation-Passed';
  divResult?: { div: unknown; verstatValue: Verstat }[];
  verifyResults: { verifyResult: MsVerifyResult }[];
}

/** One PASSporT's verdict before it is written out: its result, and the verstat it earned in this call. */
interface Entry {
  kind: string;
  claims: unknown;
  verstat: Verstat;
  result: MsVerifyResult;
}

// A PASSporT the verifier did not judge (a ppt it does not support, a header that does not parse) is reported
// failed with ATIS-1000082's answer to an unsupported ppt (E13): 438 Invalid Identity Header.
const NOT_JUDGED: VerifySipCode = 438;

function failure(ppt: string, sip: VerifySipCode, description: string | undefined, passport: string | undefined): MsVerifyResult {
  const r: MsVerifyResult = { ppt, status: 'fail', reasonCode: sip, reasonText: SIP_REASON_PHRASE[sip] };
  if (description !== undefined) r.reasonDescription = description;
  if (passport !== undefined && passport !== '') r.passport = passport;
  return r;
}

/** The JWS of an Identity header as the client sent it (the part before its parameters): the failing PASSporT. */
function jwsOf(identity: string | undefined): string | undefined {
  return identity?.split(';')[0]!.trim();
}

function entryOf(p: PassportReport, sent: readonly string[]): Entry {
  // A PASSporT nested in a div-o (RFC 8946 §5) was not sent as a header of its own: no passport to echo.
  const passport = p.nestedIn === undefined ? jwsOf(sent[p.index]) : undefined;
  const ppt = p.ppt ?? p.kind;
  let result: MsVerifyResult;
  if (p.ok === true) result = { ppt, status: 'pass', validClaims: p.claims };
  else if (p.ok === false) result = failure(ppt, p.sip!, p.reasonText, passport);
  else result = failure(ppt, NOT_JUDGED, p.reasonText, passport);
  return { kind: p.kind, claims: p.claims, verstat: p.ok === true ? 'TN-Validation-Passed' : (p.verstat ?? 'No-TN-Validation'), result };
}

/**
 * Every PASSporT's verdict, in the order of the request (identityHeader, then identityHeaders). A call that did
 * not pass shows why on at least one entry: a chain problem (RFC 8946 §4) on the header it names, and a failure
 * no header carries (the chain does not reach the number called now, no shaken PASSporT) on the first one.
 */
function entriesOf(r: VerifyResult, sent: readonly string[]): Entry[] {
  if (r.call === undefined) {
    const result: MsVerifyResult = r.ok ? { ppt: 'shaken', status: 'pass', validClaims: r.claims } : failure('shaken', r.sip, r.reasonText, jwsOf(sent[0]));
    return [{ kind: 'shaken', claims: r.claims, verstat: r.verstat, result }];
  }
  const entries = r.call.passports.map((p) => entryOf(p, sent));
  if (r.ok) return entries;
  // Whether some entry already says why the call failed: its own failure, or a chain problem about it. A
  // PASSporT that was not judged says nothing about the call.
  let carried = r.call.passports.some((p) => p.ok === false);
  for (const problem of r.call.problems) {
    const e = problem.index === undefined ? undefined : entries[problem.index];
    if (e && e.result.status === 'pass') {
      e.result = failure(e.result.ppt, r.sip, problem.detail, jwsOf(sent[problem.index!]));
      e.verstat = 'No-TN-Validation';
      carried = true;
    }
  }
  const first = entries[r.call.chain[0] ?? 0];
  if (first && !carried) {
    first.result = failure(first.result.ppt, r.sip, r.reasonText, jwsOf(sent[r.call.chain[0] ?? 0]));
    first.verstat = r.verstat;
  }
  return entries;
}

/** requestId and displayName as given (first, as the public examples place them); absent ones left out. */
function echoed(echo: { requestId?: string | undefined; displayName?: string | undefined }): { requestId?: string; displayName?: string } {
  const out: { requestId?: string; displayName?: string } = {};
  if (echo.requestId !== undefined) out.requestId = echo.requestId;
  if (echo.displayName !== undefined) out.displayName = echo.displayName;
  return out;
}

function divOf(claims: unknown): unknown {
  return typeof claims === 'object' && claims !== null ? (claims as { div?: unknown }).div : undefined;
}

/**
 * The one mapping of a verification result to the Ms verificationResponse. `verstatValue` is the call's verstat
 * (TS 24.229: for the originating identity); `divResult` gives each div PASSporT's diverting identity with its
 * own verstat; `verstatPriority` is present only when every rph PASSporT passed (the public description names
 * no other value). Every outcome is HTTP 200: a failed verification is an answer, not a faulty request.
 */
export function msVerificationResponse(r: VerifyResult, sent: readonly string[], echo: { requestId?: string | undefined; displayName?: string | undefined }): MsVerificationResponse {
  const entries = entriesOf(r, sent);
  const out: MsVerificationResponse = { ...echoed(echo), verstatValue: r.verstat, verifyResults: entries.map((e) => ({ verifyResult: e.result })) };
  const divs = entries.filter((e) => (e.kind === 'div' || e.kind === 'div-o') && divOf(e.claims) !== undefined);
  if (divs.length > 0) out.divResult = divs.map((e) => ({ div: divOf(e.claims), verstatValue: e.verstat }));
  const rph = entries.filter((e) => e.kind === 'rph');
  if (rph.length > 0 && rph.every((e) => e.result.status === 'pass')) out.verstatPriority = 'RPH-Validation-Passed';
  return out;
}
