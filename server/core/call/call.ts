import type { ErrorCode } from '../errors.js';
import type { CallerClaim } from '../identify.js';
import type { Route } from '../routing.js';
import type { SbcDialect } from '../sbc-dialect.js';
import type { DivSignResult } from '../div/div-passport.js';
import type { RphSignResult } from '../rph/rph-passport.js';
import type { CallDate, SignResult } from '../types.js';
import type { VerifyResult, VerifySipCode, Verstat } from '../verify/verify-result.js';

/**
 * One call as a transport decoded it (STYLE.md §10): who sends it, its parties as the addresses it carries
 * (name-addr or addr-spec, e.g. SIP header values), its Date and the Identity headers it carries. Which
 * address is which party, and what the Date means, is decided by the core.
 */
export interface Call extends CallerClaim {
  from: string | undefined;
  /** P-Asserted-Identity: the calling party when present. */
  pai?: string;
  to: string | undefined;
  requestUri?: string;
  /** Undefined when the call has no Date. */
  date?: CallDate;
  /** The Identity header values, in order (a call may carry shaken, div and rcd PASSporTs). */
  identities?: readonly string[];
  /** Transport-level attestation override (`X-Attestation`), as received; wins over `attestationInfo`. */
  attest?: string;
  /**
   * The attestation the caller asks for in the call's signalling (`Attestation-Info`, as Oracle SBCs send it),
   * as received: the request's `attest`, capped by policy as any request's.
   */
  attestationInfo?: string;
  /** The origid the caller gives (`Origination-ID`), as received: kept if it is a UUID, else the call is refused. */
  origid?: string;
  /**
   * History-Info entries (RFC 7044 §4), one per entry, in the order received (oldest target first): how the
   * call was retargeted before it reached us. Read only for a call that arrives signed (call-parties.ts).
   */
  historyInfo?: readonly string[];
  /** Diversion entries (RFC 5806 §4), one per entry, in the order received (the latest diversion on top). */
  diversion?: readonly string[];
  /** Resource-Priority header values as received (RFC 4412 §3.1, each a comma list): a priority call (RFC 8443). */
  resourcePriority?: readonly string[];
  /** The SIP Priority header (RFC 3261 §20.26); `psap-callback` is signed as sph (RFC 9027 §4). */
  priority?: string;
  /** Call-Info entries (RFC 3261 §20.9), one per entry, as received: Rich Call Data to sign (RFC 9796; rcd/call-info.ts). */
  callInfo?: readonly string[];
}

/** How the node treats calls it cannot sign or that fail verification: settings, not per-call input. */
export interface CallPolicy {
  /** Signing: how far the call's Date may be from now (RFC 8224 §6.2.1; 60 s in SHAKEN). */
  maxDateSkewSec: number;
  /** Signing: a call that cannot be signed still goes on to its routes, without Identity (never silence). */
  routeUnsigned: boolean;
  /** Verification: a call that fails still goes on to its routes, carrying the verdict. */
  routeFailedVerification: boolean;
  /** Verification: a call without Identity is refused (`identity-required`) instead of passed as No-TN-Validation. */
  requireIdentity: boolean;
}

/** Why a call was refused: a code of the one registry and our own words (never the caller's input). */
export interface CallRefusal {
  code: ErrorCode;
  reason: string;
  field?: string;
}

/** The verification verdict for the calling number: verstat, and the failure when there is one. */
export interface CallVerdict {
  verstat: Verstat;
  /** RFC 8224 §6.2.2 status of a failure; `stop` when the policy ends the call here instead of routing it. */
  failure?: { sip: VerifySipCode; stop: boolean };
}

interface CallFacts {
  /** The account the call belongs to, when it was identified (on a refusal too). */
  accountId: string | undefined;
  /** Where the call goes, best first; empty when it goes nowhere (stopped, or no route). */
  routes: Route[];
  /**
   * How the SBC that sent the call wants the answer written (its SIP source's dialect, issue 15); absent for
   * the plain answer. A matter of wire shape only: it never changes what was signed or judged.
   */
  dialect?: SbcDialect;
}

/** A verification's result for the calling number (ATIS-1000074 §5.3.1: verstat on P-Asserted-Identity). */
interface VerifiedFacts extends CallFacts {
  verdict: CallVerdict;
  /** The calling number in canonical form, where a verstat is written; undefined when the caller has none. */
  callingTn: string | undefined;
  /**
   * For a call with Resource-Priority: the values an rph PASSporT of the call authorises (honoured) and the rest (RFC 8443
   * §5: not to be honoured). Undefined when the call has no Resource-Priority.
   */
  priority?: { honoured: string[]; notHonoured: string[] };
}

/**
 * One call's outcome as data (STYLE.md §10): a transport writes it to its wire through its one table.
 * - `signed`: Identity made, routes non-empty.
 * - `forwarded`: the call arrived signed and was retargeted on its way (RFC 8946 §3): a div PASSporT made for
 *   this hop; the call goes on with every Identity header it arrived with (`received`, as received) plus `div`.
 * - `transit`: the call arrived signed and still goes to a number its last PASSporT names: nothing is signed
 *   (RFC 8946 §3 makes no div without a change of dest), it goes on with `received` unchanged.
 * - `refused`: not signed, or the caller is unknown; routes only when the policy sends unsigned calls on.
 * - `verified` / `verify-failed`: the shaken PASSporT judged (`verified` holds the full result).
 * - `unverifiable`: Identity present, but the call's numbers or headers cannot be judged (No-TN-Validation, 438).
 * - `no-identity`: nothing to verify (No-TN-Validation, no failure).
 * - `identity-required`: no Identity and the policy requires one (RFC 8224 §6.2.2: 428).
 */
export type CallResult =
  | (CallFacts & { outcome: 'signed'; accountId: string; signed: SignResult; /** The rph PASSporT of a priority call (call-priority.ts). */ rph?: RphSignResult })
  | (CallFacts & { outcome: 'forwarded'; accountId: string; div: DivSignResult; received: readonly string[] })
  | (CallFacts & { outcome: 'transit'; accountId: string; received: readonly string[] })
  | (CallFacts & { outcome: 'refused'; error: CallRefusal })
  | (VerifiedFacts & { outcome: 'verified' | 'verify-failed'; verified: VerifyResult })
  | (VerifiedFacts & { outcome: 'unverifiable'; error: CallRefusal })
  | (VerifiedFacts & { outcome: 'no-identity' })
  | (CallFacts & { outcome: 'identity-required'; accountId: undefined });

export type CallOutcome = CallResult['outcome'];
