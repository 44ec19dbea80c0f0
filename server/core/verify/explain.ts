import { identityValues, parseIdentityHeader, selectShakenIdentity } from './identity-header.js';
import { decodePassport, judgeClaims, judgeHeader } from './passport-decode.js';
import { es256LengthProblem } from './es256.js';
import { VERIFY_REASONS } from './verify-result.js';

/** One Identity header taken apart, for people: what it says and what is wrong with it on its face. */
export interface HeaderExplanation {
  index: number;
  selected: boolean;
  params: Record<string, string>;
  info: string | undefined;
  form: 'full' | 'compact' | 'malformed';
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** iat as an ISO time, and how many seconds before `nowMs` it is (negative: in the future). */
  iat?: { time: string; ageSec: number };
  signatureBytes?: number;
  /** Problems visible without fetching anything, as `reason: text`. Freshness is left to `iat.ageSec`. */
  problems: string[];
}

/**
 * Explains Identity header values without network or trust (CLI `decode`): parameters, the decoded
 * PASSporT header and claims, iat as a time, and the problems the verifier would refuse them for on their face.
 */
export function explainIdentity(input: string | readonly string[], nowMs: number): HeaderExplanation[] {
  const values = identityValues(input);
  const selection = selectShakenIdentity(values);
  return values.map((value, index) => {
    const parsed = parseIdentityHeader(value);
    if (!parsed.ok) return { index, selected: false, params: {}, info: undefined, form: 'malformed', problems: [`identity_malformed: ${parsed.detail}`] };
    const h = parsed.header;
    const selected = selection.ok && selection.header.raw === h.raw;
    const out: HeaderExplanation = { index, selected, params: h.params, info: h.info, form: 'full', problems: [] };
    const decoded = decodePassport(h.jws);
    if (!decoded.ok) {
      out.form = decoded.reason === 'compact_form' ? 'compact' : 'malformed';
      out.problems.push(`${decoded.reason}: ${decoded.detail ?? VERIFY_REASONS[decoded.reason].text}`);
      return out;
    }
    const p = decoded.value;
    out.header = p.header;
    out.claims = p.claims;
    out.signatureBytes = p.signature.length;
    if (typeof p.claims.iat === 'number' && Number.isFinite(p.claims.iat)) {
      const ms = p.claims.iat * 1000;
      out.iat = { time: Number.isNaN(new Date(ms).getTime()) ? String(p.claims.iat) : new Date(ms).toISOString(), ageSec: Math.round((nowMs - ms) / 1000) };
    }
    const problem = (reason: keyof typeof VERIFY_REASONS, detail?: string) => out.problems.push(`${reason}: ${detail ?? VERIFY_REASONS[reason].text}`);
    const header = judgeHeader(p.header, h.alg);
    if (!header.ok) problem(header.reason, header.detail);
    const claims = judgeClaims(p.claims);
    if (!claims.ok) problem(claims.reason, claims.detail);
    if (h.info === undefined) problem('info_missing');
    else if (!h.infoBracketed) problem('info_invalid', 'info is not in angle brackets');
    else if (header.ok && h.info !== header.value.x5u) problem('x5u_mismatch');
    const lengthProblem = es256LengthProblem(p.signature.length);
    if (lengthProblem !== undefined) problem('signature_invalid', lengthProblem);
    return out;
  });
}
