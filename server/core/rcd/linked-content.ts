import type { Clock } from '../ports.js';
import type { CertificateFetcher } from '../verify/verify-ports.js';
import { integrityDigest, integrityMatches } from './rcd-integrity.js';
import { makeRoom } from '../oldest-first.js';

/**
 * What an RCD URL points at: a logo (`icn`, RFC 9795 §5.1), a jCard (`jcl`, §5.1), or a photo or logo nested
 * in a jCard (`jcard-image`, jcard-links.ts), an image like `icn`.
 */
export type LinkedRole = 'icn' | 'jcl' | 'jcard-image';

/**
 * Media types accepted per role. RFC 9796 names PNG, JPEG and SVG (SVG Tiny 1.2) for RCD images; a jCard is
 * JSON (RFC 9796: application/json; RFC 7095 §7 registers application/vcard+json).
 */
const TYPES: Record<LinkedRole, readonly string[]> = {
  icn: ['image/png', 'image/jpeg', 'image/svg+xml'],
  jcl: ['application/json', 'application/vcard+json'],
  'jcard-image': ['image/png', 'image/jpeg', 'image/svg+xml'],
};

export type LinkedContent =
  /** `card`: a jCard's parsed JSON (role `jcl`), for the pointers to content nested in it. */
  | { ok: true; body: Buffer; contentType: string; digest: string; maxAgeMs: number | undefined; card?: unknown[] }
  | { ok: false; detail: string };

/**
 * Fetches linked content through the SSRF-safe fetcher (https only, no private addresses, no redirect, bounded
 * time and size: verify-fetch/https-fetcher.ts with kind `rcd`) and checks its media type; a jCard must also be
 * JSON. Its `rcdi` digest is over the bytes as served.
 */
export async function fetchLinkedContent(fetcher: CertificateFetcher, url: string, role: LinkedRole): Promise<LinkedContent> {
  const r = await fetcher.fetch(url, 'rcd');
  if (!r.ok) return { ok: false, detail: `${role} ${url}: ${r.failure}: ${r.detail}` };
  const type = r.contentType;
  if (type === undefined || !TYPES[role].includes(type)) {
    return { ok: false, detail: `${role} ${url}: content type ${type ?? '(none)'}, expected ${TYPES[role].join(' or ')}` };
  }
  const ok: LinkedContent = { ok: true, body: r.body, contentType: type, digest: integrityDigest(r.body), maxAgeMs: r.maxAgeMs };
  if (role === 'jcl') {
    let card: unknown;
    try {
      card = JSON.parse(r.body.toString('utf8')) as unknown;
    } catch {
      return { ok: false, detail: `jcl ${url}: not JSON` };
    }
    if (!Array.isArray(card) || card[0] !== 'vcard') return { ok: false, detail: `jcl ${url}: not a jCard (RFC 7095)` };
    ok.card = card;
  }
  return ok;
}

interface CachedContent {
  content: LinkedContent;
  until: number;
}

/**
 * Linked content a verifier has fetched, by URL and role, so a brand calling many times is fetched once per
 * `ttlMs` (or its Cache-Control max-age, whichever is shorter). A failure is kept for `failureTtlMs` so an
 * unreachable logo does not cost a fetch per call. Oldest entries go first past `maxEntries`.
 */
export class LinkedContentCache {
  private readonly entries = new Map<string, CachedContent | Promise<LinkedContent>>();

  constructor(
    private readonly fetcher: CertificateFetcher,
    private readonly clock: Clock,
    private readonly opts: { ttlMs: number; failureTtlMs: number; maxEntries: number },
  ) {}

  async get(url: string, role: LinkedRole): Promise<LinkedContent> {
    const key = `${role} ${url}`;
    const hit = this.entries.get(key);
    if (hit instanceof Promise) return hit;
    if (hit && hit.until > this.clock.now()) return hit.content;
    const pending = fetchLinkedContent(this.fetcher, url, role);
    this.entries.set(key, pending);
    const content = await pending;
    const ttl = content.ok ? Math.min(this.opts.ttlMs, content.maxAgeMs ?? Infinity) : this.opts.failureTtlMs;
    this.entries.delete(key);
    makeRoom([this.entries], this.opts.maxEntries);
    this.entries.set(key, { content, until: this.clock.now() + ttl });
    return content;
  }

  /** Whether the content at `url` has the digest `rcdi` names. */
  async matches(url: string, role: LinkedRole, rcdi: string): Promise<{ ok: boolean; detail?: string }> {
    const c = await this.get(url, role);
    if (!c.ok) return { ok: false, detail: c.detail };
    return integrityMatches(rcdi, c.body) ? { ok: true } : { ok: false, detail: `${role} ${url}: the content does not match its rcdi digest` };
  }

  clear(): void {
    this.entries.clear();
  }
}
