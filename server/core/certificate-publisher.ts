import { parseCertificateChain, type CertInfo, type ParsedChain } from './cert-chain.js';
import { isStoreUnavailable } from './errors.js';
import type { Clock, CredentialRecord } from './ports.js';

const MAX_CACHE_SEC = 86_400;

export interface CredentialLister {
  listCredentials(): Promise<CredentialRecord[]>;
}

interface PublishedChain {
  pem: string;
  notAfterMs: number;
}

function published(chain: Pick<ParsedChain, 'leaf' | 'pem'>): PublishedChain {
  return { pem: chain.pem, notAfterMs: chain.leaf.notAfter.getTime() };
}

/**
 * The stable path a chain is published under: derived from its leaf, so it is known before the record exists.
 * It is also what a hosted credential stores as its x5u (see `resolveX5u`).
 */
export function x5uPath(leaf: Pick<CertInfo, 'fingerprintSha256'>): string {
  return `/certs/${leaf.fingerprintSha256.slice(0, 32)}.pem`;
}

/** Whether a stored x5u names a chain this service hosts: a path, with no scheme or host of its own. */
export function isHostedX5u(stored: string): boolean {
  return stored.startsWith('/');
}

/**
 * The x5u a token carries. A credential hosted by this service stores only its path, so every node puts its own
 * `publicUrl` in front when it signs, whichever process imported the credential; an x5u hosted elsewhere is
 * used as given.
 */
export function resolveX5u(stored: string, publicUrl: string): string {
  return isHostedX5u(stored) ? publicUrl.replace(/\/+$/, '') + stored : stored;
}

/**
 * Serves each credential's certificate chain at its x5u, active and retired alike: a retired chain must stay
 * fetchable while tokens signed with it are still in flight (RFC 8224 §6.2 verifiers fetch on receipt).
 */
export class CertificatePublisher {
  private byPath = new Map<string, PublishedChain>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly credentials: CredentialLister,
    private readonly clock: Clock,
    /** A miss reloads at most this often, so requests for unknown names cannot hammer the store. */
    private readonly missReloadMs = 1000,
  ) {}

  /** Loads every published chain now (at start), so that they can be served through a later store outage. */
  preload(): Promise<void> {
    return this.reload().then(() => undefined);
  }

  /**
   * A credential changed somewhere: the next lookup reloads, and a reload starts now, so that a chain added
   * since is held before a store outage could keep it from being served.
   */
  invalidate(): void {
    this.loadedAt = -Infinity;
    void this.reload().catch(() => undefined);
  }

  /**
   * Serves `chain` at its x5u now, ahead of the next reload: the signer calls this for each credential it loads,
   * so a token is never signed with a chain its x5u does not serve yet (a credential another process imported since
   * the last reload). A reload later rebuilds the map from the store, which holds the chain too.
   */
  publish(chain: Pick<ParsedChain, 'leaf' | 'pem'>): void {
    const path = x5uPath(chain.leaf);
    if (!this.byPath.has(path)) this.byPath.set(path, published(chain));
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const next = new Map<string, PublishedChain>();
        for (const c of await this.credentials.listCredentials()) {
          const chain = parseCertificateChain(c.chainPem);
          next.set(x5uPath(chain.leaf), published(chain));
        }
        this.byPath = next;
        this.loadedAt = this.clock.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /**
   * The chain published at `path` (e.g. `/certs/<hex>.pem`) with how long a verifier may cache it: at most a
   * day, never past the certificate's own expiry.
   */
  async get(path: string): Promise<{ pem: string; maxAgeSec: number } | undefined> {
    let found = this.loadedAt === -Infinity ? undefined : this.byPath.get(path);
    if (!found && this.clock.now() - this.loadedAt >= this.missReloadMs) {
      try {
        await this.reload();
      } catch (err) {
        // Verifiers fetch our x5u on every call they receive: through a store outage the chains published before
        // it go on being served (they are public, and retired ones stay published anyway); the store is tried
        // again after missReloadMs.
        if (!isStoreUnavailable(err) || this.byPath.size === 0) throw err;
        this.loadedAt = this.clock.now();
      }
      found = this.byPath.get(path);
    }
    if (!found) return undefined;
    const secondsLeft = Math.floor((found.notAfterMs - this.clock.now()) / 1000);
    return { pem: found.pem, maxAgeSec: Math.max(0, Math.min(MAX_CACHE_SEC, secondsLeft)) };
  }
}
