import type { CachedLoader } from '../cached-loader.js';
import type { Clock } from '../ports.js';
import type { PathVerdict } from './cert-path.js';
import { FAILURE_TTL_MS, fetchCache, type Fetched } from './fetch-ttl.js';
import type { CertificateFetcher } from './verify-ports.js';
import { parseFetchedChain, type FetchedChain } from './x5u-credential.js';

/** A chain as cached per x5u: parsed once, its key imported, its path verdict kept per trust-anchor generation. */
export type ChainEntry =
  | { ok: true; chain: FetchedChain; verdict: PathVerdict | undefined }
  | { ok: false; reason: 'x5u_refused' | 'x5u_unreachable' | 'x5u_content_invalid'; detail: string };

/** A chain with no caching directive is reused this long (the x5u this service publishes always sends max-age). */
const DEFAULT_CHAIN_TTL_MS = 3_600_000;
/** Never longer, whatever the server says, so a replaced chain is seen within a day. */
const MAX_CHAIN_TTL_MS = 86_400_000;

/**
 * Certificate chains by x5u URL (STYLE.md §5: one fetch in flight per URL, bounded). The hot path gets the
 * parsed chain and key, never text; a failure is kept for FAILURE_TTL_MS so a dead repository is not
 * hammered once per call.
 */
export class ChainCache {
  private readonly cache: CachedLoader<string, Fetched<ChainEntry>>;

  constructor(
    private readonly fetcher: CertificateFetcher,
    private readonly clock: Clock,
    maxEntries: number,
  ) {
    this.cache = fetchCache((url) => this.load(url), clock, maxEntries);
  }

  /** `fromCache`: no fetch was started or awaited for this call. */
  async get(x5u: string): Promise<{ value: ChainEntry; fromCache: boolean }> {
    const hit = this.cache.peek(x5u);
    if (hit) return { value: hit.value, fromCache: true };
    return { value: (await this.cache.get(x5u)).value, fromCache: false };
  }

  clear(): void {
    this.cache.clear();
  }

  private async load(url: string): Promise<Fetched<ChainEntry>> {
    const res = await this.fetcher.fetch(url, 'x5u');
    if (!res.ok) {
      return { value: { ok: false, reason: res.failure === 'refused' ? 'x5u_refused' : 'x5u_unreachable', detail: res.detail }, ttlMs: FAILURE_TTL_MS };
    }
    const parsed = parseFetchedChain(res.body, res.contentType);
    if (!parsed.ok) return { value: { ok: false, reason: 'x5u_content_invalid', detail: parsed.detail }, ttlMs: FAILURE_TTL_MS };
    // Never past the leaf's notAfter: after it the chain is useless, and a renewed one may be at the same URL.
    const untilExpiry = parsed.chain.leaf.info.notAfter.getTime() - this.clock.now();
    const ttlMs = Math.min(res.maxAgeMs ?? DEFAULT_CHAIN_TTL_MS, MAX_CHAIN_TTL_MS, untilExpiry);
    return { value: { ok: true, chain: parsed.chain, verdict: undefined }, ttlMs };
  }
}
