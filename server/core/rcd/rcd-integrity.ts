import { createHash, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { renderedLinks } from './jcard-links.js';
import type { RcdClaim } from './rcd-types.js';

/**
 * `rcdi` values (RFC 9795 §4): a digest string `<alg>-<base64 digest>` in the form of W3C Subresource Integrity,
 * alg one of sha256, sha384, sha512. This signer writes sha256; a verifier accepts the three.
 */
const ALGS = { sha256: 32, sha384: 48, sha512: 64 } as const;
type DigestAlg = keyof typeof ALGS;

export function integrityDigest(bytes: Uint8Array, alg: DigestAlg = 'sha256'): string {
  return `${alg}-${createHash(alg).update(bytes).digest('base64')}`;
}

/** The digest of an inline jCard (`/jcd`): over its RFC 8225 §9 deterministic JSON, UTF-8. */
export function jcdDigest(jcd: unknown[], alg: DigestAlg = 'sha256'): string {
  return integrityDigest(Buffer.from(canonicalJson(jcd), 'utf8'), alg);
}

/** A received digest string, or undefined when it is not `<sha256|sha384|sha512>-<base64 of the right length>`. */
export function parseIntegrity(value: unknown): { alg: DigestAlg; digest: Buffer } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$/.exec(value);
  if (!m) return undefined;
  const alg = m[1] as DigestAlg;
  const digest = Buffer.from(m[2]!, 'base64');
  return digest.length === ALGS[alg] ? { alg, digest } : undefined;
}

/** Whether `bytes` have the digest `value` names (compared in constant time). */
export function integrityMatches(value: string, bytes: Uint8Array): boolean {
  const parsed = parseIntegrity(value);
  if (!parsed) return false;
  const actual = createHash(parsed.alg).update(bytes).digest();
  return timingSafeEqual(actual, parsed.digest);
}

/** RFC 6901 JSON pointer evaluation; undefined when the pointer does not name a value. */
export function resolvePointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  if (!pointer.startsWith('/')) return undefined;
  let at: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      at = at[Number(token)];
    } else if (typeof at === 'object' && at !== null && Object.prototype.hasOwnProperty.call(at, token)) {
      at = (at as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
    if (at === undefined) return undefined;
  }
  return at;
}

/**
 * The `rcdi` of an rcd claim (RFC 9795 §4 overview, "rcdi" claim): one member per piece of content `rcd` refers to, keyed by the JSON
 * pointer to it within `rcd`: `/icn` and `/jcl` digest the bytes served at those URLs, `/jcd` the inline jCard,
 * and `/jcd/1/<i>/<j>` or `/jcl/1/<i>/<j>` a photo or logo the jCard links (jcard-links.ts). `linked` holds the
 * served bytes' digests, computed when the content was fetched (never per call); every photo or logo the inline
 * card links must have one, and the linked card's are taken as fetched with it.
 */
export function rcdiFor(rcd: RcdClaim, linked: { icn?: string; jcl?: string; nested?: Record<string, string> }): Record<string, string> {
  const rcdi: Record<string, string> = {};
  if (rcd.icn !== undefined) {
    if (linked.icn === undefined) throw new Error('the icn content has no digest');
    rcdi['/icn'] = linked.icn;
  }
  const nested = linked.nested ?? {};
  if (rcd.jcd !== undefined) {
    rcdi['/jcd'] = jcdDigest(rcd.jcd);
    for (const l of renderedLinks(rcd.jcd, '/jcd')) {
      const d = nested[l.pointer];
      if (d === undefined) throw new Error(`the jCard's ${l.property} at ${l.pointer} has no digest`);
      rcdi[l.pointer] = d;
    }
  }
  if (rcd.jcl !== undefined) {
    if (linked.jcl === undefined) throw new Error('the jcl content has no digest');
    rcdi['/jcl'] = linked.jcl;
    for (const [pointer, d] of Object.entries(nested)) if (pointer.startsWith('/jcl/')) rcdi[pointer] = d;
  }
  return rcdi;
}
