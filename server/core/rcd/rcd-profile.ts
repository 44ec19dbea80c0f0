import { ShakenError } from '../errors.js';
import { canonicalTn } from '../tn.js';
import { checkFetchUrl } from '../verify/url-policy.js';
import { canonicalJson } from './canonical-json.js';
import { DIGESTED_PROPERTIES, jcardLinks, type JcardLink } from './jcard-links.js';
import type { RcdClaim, RcdPlacement } from './rcd-types.js';


/**
 * A brand an operator has vetted for an account: what may be shown for calls from the numbers it covers. The
 * account signs RCD only through one of its profiles (rcd-policy.ts), so a customer cannot sign a name nobody
 * checked. `icnDigest`/`jclDigest` are the `rcdi` values of the linked content as last fetched (at save or
 * refresh): signing never fetches.
 */
export interface RcdProfile {
  id: string;
  accountId: string;
  rcd: RcdClaim;
  /** Call reasons (`crn`) the account may give with this brand; empty: none. */
  crn: string[];
  /** Canonical calling numbers the brand may be used for. */
  tns: string[];
  /** Canonical number prefixes the brand may be used for (every number starting with one). */
  prefixes: string[];
  placement: RcdPlacement;
  icnDigest: string | null;
  jclDigest: string | null;
  /**
   * `rcdi` members of content nested in the jCard (RFC 9795): JSON pointer (`/jcd/1/<i>/<j>` or `/jcl/1/<i>/<j>`)
   * → digest of the photo or logo served at that URI, as last fetched. Absent or empty: the card links none.
   */
  nestedDigests?: Record<string, string>;
  /** When the linked content was last fetched and digested; null when the profile links nothing. */
  contentCheckedAt: Date | null;
  createdAt: Date;
}

/** A profile as an operator writes it, validated; digests come from fetching the content (manage layer). */
export type RcdProfileInput = Pick<RcdProfile, 'rcd' | 'crn' | 'tns' | 'prefixes' | 'placement'>;

// RFC 9796 asks a call reason to stay within 64 characters so a display need not cut it; a display name is
// held to the same bound (RFC 9795 sets none; handsets show far fewer).
export const MAX_NAM = 64;
export const MAX_CRN = 64;
const MAX_CRN_VALUES = 20;
const MAX_NUMBERS = 1000;
const MAX_JCARD_BYTES = 16 * 1024;
// No control characters in what a handset displays (they would also break a SIP header, RFC 9796).
const CONTROL = /[\u0000-\u001f\u007f]/;

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function invalid(field: string, reason: string): ShakenError {
  return new ShakenError('ERR_REQ_FIELD_INVALID', reason, { field });
}

/** A display text (`nam`, a `crn`): a non-empty string of at most `max` characters and no control characters. */
export function displayText(raw: unknown, field: string, max: number): string {
  if (typeof raw !== 'string') throw invalid(field, `${field} must be a string`);
  const text = raw.trim().normalize('NFC');
  if (text === '') throw invalid(field, `${field} must not be empty`);
  if ([...text].length > max) throw invalid(field, `${field} is longer than ${max} characters`);
  if (CONTROL.test(text)) throw invalid(field, `${field} must not contain control characters`);
  return text;
}

/** A linked-content URL (`icn`, `jcl`): https only, no userinfo, query or fragment (the fetcher's URL rule). */
export function contentUrl(raw: unknown, field: string): string {
  if (typeof raw !== 'string' || raw === '') throw invalid(field, `${field} must be an https URL`);
  const verdict = checkFetchUrl(raw, 'rcd');
  if (!verdict.ok) throw invalid(field, `${field}: ${verdict.detail}`);
  return raw;
}

/** At most this many photo/logo URIs in one jCard: each is fetched when the profile is saved and by verifiers. */
export const MAX_JCARD_LINKS = 4;

/**
 * The http(s) content a jCard links and this signer digests (RFC 9795 `rcdi` members under `/jcd/…` or `/jcl/…`):
 * the https URIs of PHOTO and LOGO properties (jcard-links.ts), each held to the fetcher's URL rule. Any other
 * http(s) link of a `uri` property (a SOUND, a URL…) is refused rather than signed without a digest, and so is
 * plain http: what a verifier fetches must be what was vetted. `field` names the card in a refusal.
 */
export function jcardContentLinks(card: unknown, base: '/jcd' | '/jcl', field: string): JcardLink[] {
  const links = jcardLinks(card, base);
  for (const l of links) {
    const at = `${field}${l.pointer.slice(4).replace(/\/(\d+)/g, '[$1]')}`;
    if (!DIGESTED_PROPERTIES.has(l.property)) {
      throw invalid(at, `the jCard's ${l.property} links http(s) content, which this signer does not digest (only photo and logo are; RFC 9795 rcdi): remove it or inline it as a data: URI`);
    }
    const verdict = checkFetchUrl(l.url, 'rcd');
    if (!verdict.ok) throw invalid(at, `the jCard's ${l.property}: ${verdict.detail}`);
  }
  if (links.length > MAX_JCARD_LINKS) throw invalid(field, `the jCard links ${links.length} photos or logos; at most ${MAX_JCARD_LINKS}`);
  return links;
}

/**
 * An inline jCard (RFC 7095 §3.2: `["vcard", [[name, params, type, value…], …]]`). An https PHOTO or LOGO is
 * fetched and digested when the profile is saved (its `rcdi` member `/jcd/1/<i>/<j>`); other http(s) content
 * links are refused (jcardContentLinks). Other URIs (`tel:`, `mailto:`, `geo:`, `urn:`, inline `data:`) fetch
 * nothing and are covered by the jCard's own digest.
 */
export function jcard(raw: unknown, field: string): unknown[] {
  if (!Array.isArray(raw) || raw.length !== 2 || raw[0] !== 'vcard' || !Array.isArray(raw[1])) {
    throw invalid(field, `${field} must be a jCard: ["vcard", [[name, {params}, type, value], …]] (RFC 7095)`);
  }
  (raw[1] as unknown[]).forEach((p, i) => {
    if (!Array.isArray(p) || p.length < 4 || typeof p[0] !== 'string' || record(p[1]) === undefined || typeof p[2] !== 'string') {
      throw invalid(`${field}[1][${i}]`, 'each jCard property is [name, {params}, type, value…] (RFC 7095 §3.3)');
    }
  });
  jcardContentLinks(raw, '/jcd', field);
  if (Buffer.byteLength(canonicalJson(raw), 'utf8') > MAX_JCARD_BYTES) throw invalid(field, `${field} is larger than ${MAX_JCARD_BYTES} bytes`);
  return raw as unknown[];
}

function list(raw: unknown, field: string, max: number): unknown[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalid(field, `${field} must be an array`);
  if (raw.length > max) throw invalid(field, `${field} holds more than ${max} values`);
  return raw;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** A number prefix: the digits a canonical number starts with (`1202555`), at least 1 digit. */
function prefix(raw: unknown, field: string): string {
  if (typeof raw !== 'string' || !/^\+?[0-9]{1,15}$/.test(raw.trim())) throw invalid(field, `${field} must be the leading digits of canonical numbers, e.g. "1202555"`);
  return raw.trim().replace(/^\+/, '');
}

/** The `rcd` claim of a profile or a request: `nam` required, `apn`, `icn`, `jcd` or `jcl` optional. */
export function parseRcdClaim(raw: unknown, field = 'rcd'): RcdClaim {
  const r = record(raw);
  if (!r) throw invalid(field, `${field} must be an object with at least nam`);
  if (r.nam === undefined) throw new ShakenError('ERR_REQ_FIELD_MISSING', `${field}.nam is required: the name shown to the called party`, { field: `${field}.nam` });
  const rcd: RcdClaim = { nam: displayText(r.nam, `${field}.nam`, MAX_NAM) };
  if (r.apn !== undefined && r.apn !== null) rcd.apn = canonicalTn(r.apn, `${field}.apn`);
  if (r.icn !== undefined && r.icn !== null) rcd.icn = contentUrl(r.icn, `${field}.icn`);
  const hasJcd = r.jcd !== undefined && r.jcd !== null;
  const hasJcl = r.jcl !== undefined && r.jcl !== null;
  // RFC 9795 §5.1: a jCard is given inline or by URL, not both.
  if (hasJcd && hasJcl) throw invalid(`${field}.jcl`, `${field} may hold jcd or jcl, not both (RFC 9795)`);
  if (hasJcd) rcd.jcd = jcard(r.jcd, `${field}.jcd`);
  if (hasJcl) rcd.jcl = contentUrl(r.jcl, `${field}.jcl`);
  return rcd;
}

/** An operator's profile body → a validated `RcdProfileInput`, or the first field at fault. */
export function parseRcdProfileInput(input: unknown): RcdProfileInput {
  const body = record(input);
  if (!body) throw new ShakenError('ERR_REQ_MALFORMED', 'an RCD profile must be a JSON object');
  const rcd = parseRcdClaim(body.rcd ?? { nam: body.nam, apn: body.apn, icn: body.icn, jcd: body.jcd, jcl: body.jcl }, body.rcd === undefined ? 'rcd' : 'rcd');
  const crn = unique(list(body.crn, 'crn', MAX_CRN_VALUES).map((v, i) => displayText(v, `crn[${i}]`, MAX_CRN)));
  const tns = unique(list(body.tns, 'tns', MAX_NUMBERS).map((v, i) => canonicalTn(v, `tns[${i}]`)));
  const prefixes = unique(list(body.prefixes, 'prefixes', MAX_NUMBERS).map((v, i) => prefix(v, `prefixes[${i}]`)));
  if (tns.length + prefixes.length === 0) throw new ShakenError('ERR_REQ_FIELD_MISSING', 'name the calling numbers the brand may be used for: tns and/or prefixes', { field: 'tns' });
  const placement = body.placement ?? 'shaken';
  if (placement !== 'shaken' && placement !== 'rcd') throw invalid('placement', 'placement must be "shaken" (claims inside the shaken PASSporT) or "rcd" (a separate rcd PASSporT)');
  return { rcd, crn, tns, prefixes, placement };
}

/** Whether the profile may be used for a call from `origTn` (canonical); a call without a number never is. */
export function coversNumber(p: Pick<RcdProfile, 'tns' | 'prefixes'>, origTn: string | undefined): boolean {
  if (origTn === undefined) return false;
  return p.tns.includes(origTn) || p.prefixes.some((x) => origTn.startsWith(x));
}
