import { canonicalTn } from '../tn.js';
import type { Attestation, Dest, Orig, ShakenClaims } from '../types.js';
import type { VerifyReason } from './verify-result.js';
import { makeRoom } from '../oldest-first.js';

/** A PASSporT split as received. Nothing in it is trusted yet. */
export interface DecodedPassport {
  /** `<header>.<payload>` exactly as received: what the signature covers (RFC 7515 §5.2; never re-serialised). */
  signingInput: string;
  header: Readonly<Record<string, unknown>>;
  claims: Record<string, unknown>;
  signature: Buffer;
}

export type Judged<T> = { ok: true; value: T } | { ok: false; reason: VerifyReason; detail?: string };

const B64URL = /^[A-Za-z0-9_-]*$/;

function jsonObject(segment: string): Record<string, unknown> | undefined {
  // A base64url text of length 4n+1 cannot be the encoding of anything.
  if (segment === '' || segment.length % 4 === 1 || !B64URL.test(segment)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decoded protected headers by their base64url text. A signer's header is the same on every call (it differs
 * only by x5u), so this saves a decode and a JSON parse per verification. Bounded (the oldest goes first);
 * the objects are frozen because every caller shares them. One per verifier, never module state.
 */
export class HeaderMemo {
  private readonly entries = new Map<string, Readonly<Record<string, unknown>> | undefined>();

  constructor(private readonly maxEntries = 1024) {}

  decode(segment: string): Readonly<Record<string, unknown>> | undefined {
    if (this.entries.has(segment)) return this.entries.get(segment);
    const h = jsonObject(segment);
    if (segment.length <= 1024) {
      makeRoom([this.entries], this.maxEntries);
      this.entries.set(segment, h && Object.freeze(h));
    }
    return h;
  }
}

/**
 * Splits a JWS in full form (RFC 7515 §7.1) and decodes its header and claims as JSON objects. The compact
 * form of RFC 8224 §4.1 (empty claims segment, `header..signature`) is refused: SHAKEN forbids it.
 */
export function decodePassport(jws: string, memo?: HeaderMemo): Judged<DecodedPassport> {
  const parts = jws.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'passport_malformed', detail: `${parts.length} dot-separated parts; a JWS has 3` };
  const [h, p, s] = parts as [string, string, string];
  if (p === '' && h !== '') return { ok: false, reason: 'compact_form' };
  const header = memo ? memo.decode(h) : jsonObject(h);
  if (!header) return { ok: false, reason: 'passport_malformed', detail: 'the protected header is not base64url JSON' };
  const claims = jsonObject(p);
  if (!claims) return { ok: false, reason: 'passport_malformed', detail: 'the claims are not base64url JSON' };
  if (!B64URL.test(s) || s.length % 4 === 1) return { ok: false, reason: 'passport_malformed', detail: 'the signature is not base64url' };
  return { ok: true, value: { signingInput: `${h}.${p}`, header, claims, signature: Buffer.from(s, 'base64url') } };
}

/** The claims of a compact JWS as decoded, unjudged (no signature checked), or undefined when they do not decode. */
export function claimsOf(jws: string): Record<string, unknown> | undefined {
  const d = decodePassport(jws);
  return d.ok ? d.value.claims : undefined;
}

/** What the verifier needs of the protected header once it passed. */
export interface PassportHeader {
  x5u: string;
}

/** The header members RFC 8588 §3 requires besides x5u (which has a reason of its own, `x5u_missing`). */
const HEADER_MEMBERS = ['alg', 'typ', 'ppt'] as const;

/**
 * RFC 8588 §3 / STANDARDS.md: alg ES256 (the header's alg is never trusted to pick the algorithm: anything
 * else, `none` and HS256 included, is refused), typ passport, ppt shaken (or the profile's), x5u present. The
 * Identity `alg` parameter, when present, must agree (RFC 8224 §4.1).
 *
 * Missing members are judged before wrong values, because ATIS-1000082 answers them differently: a member
 * that is absent is E9 (436 Bad Identity Info), an `alg` or `typ` with a wrong value E11/E12 (437), a `ppt`
 * this verifier does not judge here E13 (438).
 */
export function judgeHeader(header: Readonly<Record<string, unknown>>, algParam: string | undefined, ppt = 'shaken'): Judged<PassportHeader> {
  const missing = HEADER_MEMBERS.filter((name) => header[name] === undefined);
  if (missing.length > 0) return { ok: false, reason: 'header_member_missing', detail: `no ${missing.join(', ')}` };
  if (header.x5u === undefined) return { ok: false, reason: 'x5u_missing' };
  if (header.alg !== 'ES256') return { ok: false, reason: 'alg_unsupported', detail: `alg ${JSON.stringify(header.alg)}` };
  if (algParam !== undefined && algParam !== 'ES256') return { ok: false, reason: 'alg_unsupported', detail: `Identity alg parameter "${algParam.slice(0, 20)}"` };
  // RFC 7515 §4.1.9: typ is a media type name, compared without regard to case.
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'passport') return { ok: false, reason: 'typ_unsupported', detail: `typ ${JSON.stringify(header.typ)}` };
  if (header.ppt !== ppt) return { ok: false, reason: 'ppt_unsupported', detail: `ppt ${JSON.stringify(header.ppt)}, expected "${ppt}"` };
  // RFC 7515 §4.1.11: an extension we do not implement must not be ignored when marked critical.
  if (header.crit !== undefined) return { ok: false, reason: 'passport_malformed', detail: 'crit names extensions this verifier does not implement' };
  if (typeof header.x5u !== 'string' || header.x5u === '') return { ok: false, reason: 'x5u_missing', detail: 'x5u is not a non-empty string' };
  return { ok: true, value: { x5u: header.x5u } };
}

/** The claims once judged, plus their numbers in canonical form for comparing with the call. */
export interface JudgedClaims {
  claims: ShakenClaims;
  origTn: string | undefined;
  destTns: string[];
}

const ATTEST = new Set(['A', 'B', 'C']);
const MANDATORY = ['attest', 'dest', 'iat', 'orig', 'origid'] as const;

function stringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function canonical(tn: string): string | undefined {
  try {
    return canonicalTn(tn, 'tn');
  } catch {
    return undefined;
  }
}

/** RFC 8225 §5.2.1: `orig` holds exactly one tn or uri string; the tn canonical for comparing. */
export function judgeOrig(value: unknown): Judged<{ orig: Orig; origTn: string | undefined }> {
  const o = value as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { ok: false, reason: 'claims_invalid', detail: 'orig is not an object' };
  if (typeof o.tn === 'string' && o.uri === undefined) {
    const origTn = canonical(o.tn);
    if (origTn === undefined) return { ok: false, reason: 'claims_invalid', detail: 'orig.tn is not a telephone number' };
    return { ok: true, value: { orig: { tn: o.tn }, origTn } };
  }
  if (typeof o.uri === 'string' && o.tn === undefined) return { ok: true, value: { orig: { uri: o.uri }, origTn: undefined } };
  return { ok: false, reason: 'claims_invalid', detail: 'orig must hold exactly one tn or uri string' };
}

/** RFC 8225 §5.2.1: `dest` members are arrays (even for one number) naming at least one target. */
export function judgeDest(value: unknown): Judged<{ dest: Dest; destTns: string[] }> {
  const d = value as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return { ok: false, reason: 'claims_invalid', detail: 'dest is not an object' };
  if (d.tn !== undefined && !stringArray(d.tn)) return { ok: false, reason: 'claims_invalid', detail: 'dest.tn is not an array of strings' };
  if (d.uri !== undefined && !stringArray(d.uri)) return { ok: false, reason: 'claims_invalid', detail: 'dest.uri is not an array of strings' };
  const dest: Dest = {};
  if (d.tn !== undefined) dest.tn = d.tn as string[];
  if (d.uri !== undefined) dest.uri = d.uri as string[];
  if ((dest.tn?.length ?? 0) + (dest.uri?.length ?? 0) === 0) return { ok: false, reason: 'claims_invalid', detail: 'dest names nothing' };
  const destTns: string[] = [];
  for (const tn of dest.tn ?? []) {
    const canon = canonical(tn);
    if (canon === undefined) return { ok: false, reason: 'claims_invalid', detail: 'dest.tn holds something that is not a telephone number' };
    destTns.push(canon);
  }
  return { ok: true, value: { dest, destTns } };
}

/** RFC 8588 §4-§5 and RFC 8225 §5: the five SHAKEN claims present and well-formed. Extension claims are allowed. */
export function judgeClaims(c: Record<string, unknown>): Judged<JudgedClaims> {
  const missing = MANDATORY.filter((k) => c[k] === undefined);
  if (missing.length > 0) return { ok: false, reason: 'claims_missing', detail: missing.join(', ') };
  if (typeof c.attest !== 'string' || !ATTEST.has(c.attest)) return { ok: false, reason: 'attest_invalid', detail: `attest ${JSON.stringify(c.attest)}`.slice(0, 60) };
  // RFC 8225 §5.1.1: iat is a NumericDate; SHAKEN uses whole seconds.
  if (typeof c.iat !== 'number' || !Number.isSafeInteger(c.iat) || c.iat < 0) return { ok: false, reason: 'claims_invalid', detail: 'iat is not a whole number of seconds' };
  if (typeof c.origid !== 'string' || c.origid === '') return { ok: false, reason: 'claims_invalid', detail: 'origid is not a non-empty string' };

  const o = judgeOrig(c.orig);
  if (!o.ok) return o;
  const d = judgeDest(c.dest);
  if (!d.ok) return d;
  const { orig, origTn } = o.value;
  const { dest, destTns } = d.value;
  return { ok: true, value: { claims: { attest: c.attest as Attestation, dest, iat: c.iat, orig, origid: c.origid }, origTn, destTns } };
}

/** What the verifier needs to judge one ppt: its name in the header and how to judge its claims. */
export interface PassportProfile<T extends { iat: number }> {
  ppt: string;
  judge(claims: Record<string, unknown>): Judged<T>;
  /**
   * The header rule when it is not a PASSporT's (RFC 8588 §3): an STI-CPS request token is a JWT signed with an
   * STI certificate whose header has only alg and x5u (server/core/cps/cps-token.ts). Default `judgeHeader`.
   */
  header?(header: Readonly<Record<string, unknown>>, algParam: string | undefined): Judged<PassportHeader>;
}

export const SHAKEN_PROFILE: PassportProfile<JudgedClaims & { iat: number }> = {
  ppt: 'shaken',
  judge(c) {
    const j = judgeClaims(c);
    // Written out, not a non-empty spread followed by properties it lacks (V8's slow case: docs/architecture.md,
    // "Nothing slow on the hot path").
    return j.ok ? { ok: true, value: { claims: j.value.claims, origTn: j.value.origTn, destTns: j.value.destTns, iat: j.value.claims.iat } } : j;
  },
};
