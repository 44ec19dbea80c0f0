import type { CachedLoader } from '../cached-loader.js';
import type { Clock } from '../ports.js';
import type { ChainCert } from './x5u-credential.js';
import { crlSignedBy, parseCrl, type ParsedCrl } from './crl.js';
import { FAILURE_TTL_MS, fetchCache, type Fetched } from './fetch-ttl.js';
import type { TrustAnchor } from './trust-anchors.js';
import { checkFetchUrl } from './url-policy.js';
import type { CertificateFetcher } from './verify-ports.js';

/** What to do when a certificate's revocation status cannot be established (CRL unreachable, stale or unsigned). */
export type CrlPolicy = 'soft-fail' | 'hard-fail' | 'off';

export type RevocationVerdict =
  | { status: 'good' }
  | { status: 'revoked'; detail: string }
  | { status: 'unavailable'; detail: string }
  | { status: 'not-checked'; detail: string };

type CrlFetch = { ok: true; crl: ParsedCrl } | { ok: false; detail: string };

/** A CRL with no caching directive and no nextUpdate is reused this long. */
const DEFAULT_CRL_TTL_MS = 3_600_000;
/** Never longer, whatever the server says: revocations must reach us within a day. */
const MAX_CRL_TTL_MS = 86_400_000;

/**
 * The leaf's revocation status from its CRL distribution point (ATIS-1000080 §6.3.6): fetched under the rules
 * of x5u except the scheme (http is allowed: the CRL is signed, see url-policy.ts), within the same address
 * rule and size and time limits, cached per its caching directives and never beyond its nextUpdate, signature
 * checked against the certificates of the validated path.
 */
export class RevocationChecker {
  private readonly cache: CachedLoader<string, Fetched<CrlFetch>>;

  constructor(
    private readonly fetcher: CertificateFetcher,
    private readonly clock: Clock,
    maxEntries: number,
  ) {
    this.cache = fetchCache((url) => this.load(url), clock, maxEntries);
  }

  async check(crlUrl: string | undefined, path: readonly ChainCert[], anchor: TrustAnchor): Promise<RevocationVerdict> {
    if (crlUrl === undefined) return { status: 'not-checked', detail: 'the certificate names no CRL distribution point' };
    const { value } = await this.cache.get(crlUrl);
    if (!value.ok) return { status: 'unavailable', detail: value.detail };
    const crl = value.crl;
    const now = this.clock.now();
    if (crl.nextUpdate !== undefined && now > crl.nextUpdate) {
      return { status: 'unavailable', detail: `the CRL at ${crlUrl} is stale (nextUpdate ${new Date(crl.nextUpdate).toISOString()})` };
    }
    const signers = [
      ...path.map((c) => ({ subjectRaw: c.fields.subjectRaw, key: c.x509.publicKey, fp: c.info.fingerprintSha256 })),
      { subjectRaw: anchor.subjectRaw, key: anchor.x509.publicKey, fp: anchor.fingerprint },
    ];
    if (!signers.some((s) => s.subjectRaw.equals(crl.issuerRaw) && crlSignedBy(crl, s.key, s.fp))) {
      return { status: 'unavailable', detail: `the CRL at ${crlUrl} is not signed by a certificate of the path` };
    }
    // Serial numbers are unique per issuer only (RFC 5280 §4.1.2.2): compare them for certificates this CRL's issuer issued.
    for (const c of path) {
      if (c.fields.issuerRaw.equals(crl.issuerRaw) && crl.revoked.has(c.fields.serial)) {
        return { status: 'revoked', detail: `serial ${c.fields.serial} of "${c.info.subject}" is on the CRL at ${crlUrl}` };
      }
    }
    return { status: 'good' };
  }

  private async load(url: string): Promise<Fetched<CrlFetch>> {
    const fail = (detail: string) => ({ value: { ok: false as const, detail }, ttlMs: FAILURE_TTL_MS });
    const allowed = checkFetchUrl(url, 'crl');
    if (!allowed.ok) return fail(`CRL URL ${url} refused: ${allowed.detail}`);
    const res = await this.fetcher.fetch(url, 'crl');
    if (!res.ok) return fail(`CRL ${url}: ${res.detail}`);
    let crl: ParsedCrl;
    try {
      crl = parseCrl(res.body);
    } catch (e) {
      return fail(`CRL ${url} does not parse: ${(e as Error).message}`);
    }
    const now = this.clock.now();
    let ttlMs = Math.min(res.maxAgeMs ?? DEFAULT_CRL_TTL_MS, MAX_CRL_TTL_MS);
    // RFC 5280 §5.1.2.5: a newer CRL is due at nextUpdate; keeping this one longer would hide new revocations.
    if (crl.nextUpdate !== undefined) ttlMs = Math.min(ttlMs, crl.nextUpdate - now);
    return { value: { ok: true, crl }, ttlMs: ttlMs > 0 ? ttlMs : FAILURE_TTL_MS };
  }

  clear(): void {
    this.cache.clear();
  }
}
