/*
 * The RCD types other core modules name (sign request and result, verify result): kept in a file that imports
 * nothing, so core/types.ts and verify/verify-result.ts can name them without an import cycle.
 */

/**
 * The `rcd` claim (RFC 9795 §5): what the called party is shown. `nam` is the display name, `apn` an
 * alternate presentation number, `icn` the URL of an icon or logo, `jcd` an inline jCard
 * (RFC 7095) and `jcl` the URL of one (one or the other, never both).
 */
export interface RcdClaim {
  nam: string;
  apn?: string;
  icn?: string;
  jcd?: unknown[];
  jcl?: string;
}

/**
 * What a signer asserts about a branded call: `rcd`, the `rcdi` integrity digests of what `rcd` links to or
 * embeds (RFC 9795 §4: JSON pointer into `rcd` → `sha256-<base64>`), and the call reason `crn` (RFC 9795 ("crn" claim)), a
 * top-level claim beside `rcd`.
 */
export interface RcdAssertion {
  rcd: RcdClaim;
  rcdi?: Record<string, string>;
  crn?: string;
}

/** Where a profile's claims go: inside the shaken PASSporT (ATIS-1000094) or a separate `rcd` PASSporT (RFC 9795 (ppt "rcd")). */
export type RcdPlacement = 'shaken' | 'rcd';

/** The `rcd` member of a sign request: a profile by id, or the RCD fields themselves; either with a call reason. */
export type RcdRequest = { profile: string; crn?: string } | { fields: unknown; crn?: string };

/** What a sign result says of the RCD it carries. */
export interface RcdSigned {
  /** The profile whose vetted brand was signed. */
  profile: string;
  placement: RcdPlacement;
  /** The claims signed: `rcd`, `rcdi` and `crn` (RFC 9795). */
  claims: RcdAssertion;
  /** With placement `rcd`: the rcd PASSporT's own Identity header value (`…;ppt=rcd`), sent beside the shaken one. */
  identity?: string;
}

/** One RCD item that did not verify: the claim (`rcd.icn`, `rcdi./jcl`, …) and why. */
export interface RcdFailure {
  field: string;
  detail: string;
}

/**
 * What a verifier can tell a terminating switch about a call's Rich Call Data (RFC 9795 §4): the items whose
 * integrity holds (`verified`: the name and call reason are covered by the PASSporT signature itself; a logo or
 * jCard only when its `rcdi` digest matches the content fetched now), and the items that failed. A switch shows
 * only what is in `verified`. `ok` is true when nothing failed.
 */
export interface RcdReport {
  ok: boolean;
  /** Which PASSporT carried the RCD: the shaken one (ATIS-1000094) or a separate `rcd` PASSporT (RFC 9795 (ppt "rcd")). */
  placement: 'shaken' | 'rcd';
  verified: { nam?: string; apn?: string; crn?: string; icn?: string; jcl?: string; jcd?: unknown[] };
  failed: RcdFailure[];
}
