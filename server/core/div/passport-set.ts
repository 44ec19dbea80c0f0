import type { JudgedClaims } from '../verify/passport-decode.js';
import type { ChainProblem, PassportKind, TokenVerdict, Verstat } from '../verify/verify-result.js';
import type { JudgedDiv } from './div-claims.js';
import type { JudgedRph } from '../rph/rph-claims.js';
import type { PriorityVerdict, RphJudgement } from '../rph/rph-verdict.js';
import type { JudgedRcd } from '../rcd/rcd-verify.js';
import type { RcdReport } from '../rcd/rcd-types.js';

// The kinds and chain problems are part of every verify result (verify-result.ts); re-exported for the div code.
export type { ChainProblem, ChainProblemReason, PassportKind } from '../verify/verify-result.js';

interface PassportBase {
  /** Position of the Identity header as received (0-based); nested PASSporTs follow the received headers. */
  index: number;
  /** A PASSporT unpacked from a div-o's `opt` (RFC 8946 §5): the index of the one that carried it. */
  nestedIn?: number;
  kind: PassportKind;
  /** The ppt as read (Identity parameter, else the PASSporT header), for reports. */
  ppt: string | undefined;
  /** Rich Call Data it carries (a shaken with RCD claims, an rcd PASSporT; RFC 9795), judged once it verified. */
  rcd?: RcdReport;
}

export type PassportVerdict =
  | (PassportBase & { kind: 'shaken'; result: PassportOutcome<JudgedClaims> })
  | (PassportBase & { kind: 'div' | 'div-o'; result: PassportOutcome<JudgedDiv>; /** 1-based hop in the chain; undefined when off the chain. */ hop: number | undefined })
  | (PassportBase & { kind: 'rph'; result: PassportOutcome<JudgedRph>; /** What it does for the call (RFC 8443 §5); set once the shaken PASSporT is judged. */ rph: RphJudgement | undefined })
  | (PassportBase & { kind: 'rcd'; result: PassportOutcome<JudgedRcd> })
  | (PassportBase & { kind: 'other'; result: { ok: null; detail: string } });

/** One PASSporT's own verdict (signature, certificate, freshness, claims): the verifier's per-token result. */
export type PassportOutcome<T> = TokenVerdict<T>;

/** The call-level verdict: what a terminating switch may show (verstat) and why. */
export interface CallPassportsVerdict {
  verstat: Verstat;
  /** True only for TN-Validation-Passed. */
  ok: boolean;
  /** Every Identity header, in the order received, with its own verdict; then any PASSporT nested in a div-o. */
  passports: PassportVerdict[];
  /** Indexes (as received) of the shaken and the div PASSporTs in chain order: shaken, hop 1, hop 2, … */
  chain: number[];
  problems: ChainProblem[];
  /** The first reason the call did not pass, for a Reason header; undefined when it passed. */
  reason?: string;
  /** The header whose own failure decided the verdict; undefined when none failed (a chain problem, or passed). */
  failedIndex?: number;
  /**
   * The priority the call may be given (rph PASSporTs, RFC 8443): set when it carries one or names Resource-Priority
   * values. Never part of verstat: an rph vouches for priority, not for the calling number.
   */
  priority?: PriorityVerdict;
}

/** How many div hops are followed. French regulation asks for up to five; RFC 8946 sets no limit. */
export const MAX_DIV_HOPS = 10;
