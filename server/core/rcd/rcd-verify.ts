import { judgeDest, judgeOrig, type Judged, type PassportProfile } from '../verify/passport-decode.js';
import type { Dest, Orig } from '../types.js';
import type { LinkedContentCache } from './linked-content.js';
import { renderedLinks } from './jcard-links.js';
import { rcdConstraintFailures, type SignerConstraints } from './claim-constraints.js';
import { integrityMatches, parseIntegrity, resolvePointer } from './rcd-integrity.js';
import { canonicalJson } from './canonical-json.js';
import type { RcdReport } from './rcd-types.js';



/** The claims of an rcd PASSporT once judged (RFC 9795 (ppt "rcd")): orig, dest, iat as RFC 8225, and the raw claims. */
export interface JudgedRcd {
  claims: Record<string, unknown>;
  orig: Orig;
  origTn: string | undefined;
  dest: Dest;
  iat: number;
}

/** RFC 9795 (ppt "rcd"): an rcd PASSporT has orig, dest, iat and an `rcd` object; attest and origid are not its claims. */
export const RCD_PROFILE: PassportProfile<JudgedRcd> = {
  ppt: 'rcd',
  judge(c): Judged<JudgedRcd> {
    const missing = ['dest', 'iat', 'orig', 'rcd'].filter((k) => c[k] === undefined);
    if (missing.length > 0) return { ok: false, reason: 'claims_missing', detail: missing.join(', ') };
    if (typeof c.iat !== 'number' || !Number.isSafeInteger(c.iat) || c.iat < 0) return { ok: false, reason: 'claims_invalid', detail: 'iat is not a whole number of seconds' };
    if (typeof c.rcd !== 'object' || c.rcd === null || Array.isArray(c.rcd)) return { ok: false, reason: 'claims_invalid', detail: 'rcd is not an object' };
    const o = judgeOrig(c.orig);
    if (!o.ok) return o;
    const d = judgeDest(c.dest);
    if (!d.ok) return d;
    return { ok: true, value: { claims: c, orig: o.value.orig, origTn: o.value.origTn, dest: d.value.dest, iat: c.iat } };
  },
};

/** The raw claims of a PASSporT already verified (its signature covers them), or undefined when they do not decode. */

const LINKED: Record<string, 'icn' | 'jcl'> = { '/icn': 'icn', '/jcl': 'jcl' };

/**
 * Judges the RCD claims of a verified PASSporT (RFC 9795 "rcdi", overview in §4): every `rcdi` member names by JSON
 * pointer an item of `rcd` and its digest; `/icn` and `/jcl` are checked against the content fetched now (same
 * fetcher and limits as x5u, through `content`), `/jcd` against the inline jCard's RFC 8225 §9 JSON, and
 * `/jcd/1/<i>/<j>` or `/jcl/1/<i>/<j>` against the photo or logo that URI of the jCard (inline, or as fetched from
 * `jcl`) serves now. A link without a digest is not verified (anyone on the path could have swapped the content),
 * and neither is a jCard whose rendered content (photo, logo, sound) lacks a digest or fails one: the card is then
 * left out of `verified`, and the failure names the exact pointer. RCD claims outside the JWT Claim Constraints of
 * the signing certificate (`constraints`) fail as `jcc.<claim>` and nothing is verified. Returns undefined when the
 * claims carry no `rcd`.
 */
export async function checkRcd(
  claims: Record<string, unknown>,
  placement: 'shaken' | 'rcd',
  content: LinkedContentCache,
  constraints: SignerConstraints = { ok: true, list: [] },
): Promise<RcdReport | undefined> {
  if (claims.rcd === undefined) return undefined;
  const report: RcdReport = { ok: false, placement, verified: {}, failed: [] };
  const fail = (field: string, detail: string): void => {
    report.failed.push({ field, detail });
  };
  const rcd = claims.rcd as Record<string, unknown>;
  if (typeof rcd !== 'object' || rcd === null || Array.isArray(rcd)) {
    fail('rcd', 'rcd is not an object');
    return report;
  }
  if (typeof rcd.nam === 'string') report.verified.nam = rcd.nam;
  else fail('rcd.nam', 'nam is absent or not a string');
  if (typeof rcd.apn === 'string') report.verified.apn = rcd.apn;
  if (claims.crn !== undefined) {
    if (typeof claims.crn === 'string') report.verified.crn = claims.crn;
    else fail('crn', 'crn is not a string');
  }

  const rcdi = claims.rcdi;
  const digests: Record<string, unknown> = typeof rcdi === 'object' && rcdi !== null && !Array.isArray(rcdi) ? (rcdi as Record<string, unknown>) : {};
  if (rcdi !== undefined && digests !== rcdi) fail('rcdi', 'rcdi is not an object');

  // The jCard a `/jcl/…` pointer reads: the one served at `jcl` now (the fetch is shared with the `/jcl` check).
  const linkedCard = async (): Promise<{ ok: true; card: unknown[] } | { ok: false; detail: string }> => {
    if (typeof rcd.jcl !== 'string') return { ok: false, detail: 'rcd has no jcl' };
    const c = await content.get(rcd.jcl, 'jcl');
    return c.ok && c.card !== undefined ? { ok: true, card: c.card } : { ok: false, detail: c.ok ? 'not a jCard' : c.detail };
  };
  // Cards with rendered content that did not verify: left out of `verified` below.
  const spoiled = new Set<'jcd' | 'jcl'>();

  const checks = Object.entries(digests).map(async ([pointer, digest]): Promise<void> => {
    const field = `rcdi.${pointer}`;
    if (parseIntegrity(digest) === undefined) return fail(field, 'not a digest of the form sha256-<base64> (or sha384, sha512)');
    const role = LINKED[pointer];
    const nestedIn = pointer.startsWith('/jcd/') ? 'jcd' : pointer.startsWith('/jcl/') ? 'jcl' : undefined;
    if (nestedIn !== undefined) {
      const nestedFail = (detail: string): void => {
        spoiled.add(nestedIn);
        fail(field, detail);
      };
      let target: unknown;
      if (nestedIn === 'jcd') target = resolvePointer(rcd, pointer);
      else {
        const card = await linkedCard();
        if (!card.ok) return nestedFail(`the jCard at jcl could not be read: ${card.detail}`);
        target = resolvePointer(card.card, pointer.slice('/jcl'.length));
      }
      if (target === undefined) return nestedFail(`points at nothing in the ${nestedIn === 'jcd' ? 'inline jCard' : 'jCard served at jcl'}`);
      if (typeof target !== 'string' || !/^https:/i.test(target)) return nestedFail('does not point at an https URI of the jCard');
      const m = await content.matches(target, 'jcard-image', digest as string);
      if (!m.ok) nestedFail(m.detail ?? 'does not match');
      return;
    }
    const target = resolvePointer(rcd, pointer);
    if (target === undefined) return fail(field, 'points at nothing in rcd');
    if (role !== undefined) {
      if (typeof target !== 'string') return fail(field, `${role} is not a URL`);
      const m = await content.matches(target, role, digest as string);
      if (m.ok) report.verified[role] = target;
      else fail(`rcd.${role}`, m.detail ?? 'does not match');
      return;
    }
    if (pointer === '/jcd') {
      if (!Array.isArray(target)) return fail(field, 'jcd is not a jCard array');
      if (integrityMatches(digest as string, Buffer.from(canonicalJson(target), 'utf8'))) report.verified.jcd = target;
      else fail('rcd.jcd', 'the inline jCard does not match its rcdi digest');
      return;
    }
    fail(field, 'points at an item of rcd that is not linked content (icn, jcl, jcd or a URI in the jCard); not verified');
  });
  await Promise.all(checks);
  for (const role of ['icn', 'jcl'] as const) {
    if (rcd[role] !== undefined && digests[`/${role}`] === undefined) fail(`rcd.${role}`, 'no rcdi digest covers it; not verified');
  }
  if (rcd.jcd !== undefined && digests['/jcd'] === undefined) fail('rcd.jcd', 'no rcdi digest covers it; not verified');
  // Rendered content of a card (photo, logo, sound) that no rcdi member covers: the card is not verified.
  const uncovered = async (where: 'jcd' | 'jcl', card: unknown): Promise<void> => {
    for (const l of renderedLinks(card, `/${where}`)) {
      if (digests[l.pointer] === undefined) {
        spoiled.add(where);
        fail(`rcdi.${l.pointer}`, `the jCard's ${l.property} ${l.url} has no rcdi digest; not verified`);
      }
    }
  };
  if (report.verified.jcd !== undefined) await uncovered('jcd', report.verified.jcd);
  if (report.verified.jcl !== undefined) {
    const card = await linkedCard();
    if (card.ok) await uncovered('jcl', card.card);
  }
  for (const where of spoiled) delete report.verified[where];
  // RFC 8226 §8 / RFC 9118: RCD outside the signing certificate's claim constraints is not backed by it at all.
  const broken = constraints.ok ? rcdConstraintFailures(claims, constraints.list) : [{ field: 'jcc', detail: `the certificate's JWT Claim Constraints do not decode: ${constraints.detail}` }];
  if (broken.length > 0) {
    report.failed.push(...broken);
    report.verified = {};
  }
  report.failed.sort((a, b) => a.field.localeCompare(b.field));
  report.ok = report.failed.length === 0;
  return report;
}
