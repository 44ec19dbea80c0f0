import type { JudgedClaims } from '../verify/passport-decode.js';
import type { TokenVerdict, Verstat } from '../verify/verify-result.js';
import type { JudgedDiv } from './div-claims.js';

/**
 * The kinds of PASSporT a call may carry (RFC 8224 §6.2: several Identity headers, each judged on its own).
 * `rcd` (RFC 9795) is recognised but not judged yet; `other` is any ppt this verifier does not support, which
 * RFC 8224 §6.2 lets a verifier ignore.
 */
export type PassportKind = 'shaken' | 'div' | 'div-o' | 'rcd' | 'other';

interface PassportBase {
  /** Position of the Identity header as received (0-based). */
  index: number;
  kind: PassportKind;
  /** The ppt as read (Identity parameter, else the PASSporT header), for reports. */
  ppt: string | undefined;
}

export type PassportVerdict =
  | (PassportBase & { kind: 'shaken'; result: PassportOutcome<JudgedClaims> })
  | (PassportBase & { kind: 'div'; result: PassportOutcome<JudgedDiv>; /** 1-based hop in the chain; undefined when off the chain. */ hop: number | undefined })
  | (PassportBase & { kind: 'div-o' | 'rcd' | 'other'; result: { ok: null; detail: string } });

/** One PASSporT's own verdict (signature, certificate, freshness, claims): the verifier's per-token result. */
export type PassportOutcome<T> = TokenVerdict<T>;

/**
 * Why the PASSporTs of a call do not form one chain from the caller to the number called now (RFC 8946 §4):
 *  - `no_shaken`/`several_shaken`: the chain has no single start.
 *  - `div_duplicate`: the same div PASSporT twice.
 *  - `div_branch`: two div PASSporTs retarget the same number (two next hops).
 *  - `div_loop`: a div retargets back to a number already left.
 *  - `div_unlinked`: a div no hop leads to (its `div` is in no earlier `dest`): a missing link or a stray.
 *  - `div_orig_mismatch`: a div's `orig` is not the shaken `orig` (RFC 8946 §3 copies it).
 *  - `not_connected`: the last `dest` does not contain the number called now.
 *  - `too_many`: more div PASSporTs than the verifier follows, or more Identity headers than it judges.
 */
export type ChainProblemReason = 'no_shaken' | 'several_shaken' | 'div_duplicate' | 'div_branch' | 'div_loop' | 'div_unlinked' | 'div_orig_mismatch' | 'not_connected' | 'too_many';

export interface ChainProblem {
  reason: ChainProblemReason;
  /** The Identity header (index as received) the problem is about, when one is. */
  index?: number;
  detail: string;
}

/** The call-level verdict: what a terminating switch may show (verstat) and why. */
export interface CallPassportsVerdict {
  verstat: Verstat;
  /** True only for TN-Validation-Passed. */
  ok: boolean;
  /** Every Identity header, in the order received, with its own verdict. */
  passports: PassportVerdict[];
  /** Indexes (as received) of the shaken and the div PASSporTs in chain order: shaken, hop 1, hop 2, … */
  chain: number[];
  problems: ChainProblem[];
  /** The first reason the call did not pass, for a Reason header; undefined when it passed. */
  reason?: string;
}

/** How many div hops are followed. French regulation asks for up to five; RFC 8946 sets no limit. */
export const MAX_DIV_HOPS = 10;
