import type { KeyObject } from 'node:crypto';
import type { TrustAnchors } from './trust-anchors.js';

/**
 * What the verifier fetches: a certificate chain at x5u, a CRL at a certificate's distribution point, or content
 * an RCD claim links to (a logo at `icn`, a jCard at `jcl`; RFC 9795), digested for `rcdi`.
 */
export type FetchKind = 'x5u' | 'crl' | 'rcd';

export type FetchFailure =
  /** The URL or an address it resolved to is not allowed (scheme, userinfo, private address, redirect elsewhere). */
  | 'refused'
  /** DNS, connect, TLS, timeout, a status other than 200, or a body over the size cap. */
  | 'unreachable';

export type FetchResult =
  | {
      ok: true;
      body: Buffer;
      /** Media type without parameters, lower case; undefined when absent. */
      contentType: string | undefined;
      /** How long the response may be reused per its Cache-Control max-age or Expires; undefined when it says nothing. */
      maxAgeMs: number | undefined;
    }
  | { ok: false; failure: FetchFailure; detail: string };

/**
 * Dereferences a URL under the verifier's rules (https only, no private addresses, bounded time and size).
 * It never throws for what the remote side does: failures are results, translated once into these words.
 */
export interface CertificateFetcher {
  fetch(url: string, kind: FetchKind): Promise<FetchResult>;
}

/** The configured STI-CA trust anchors as of now; a reloadable source hands out a new generation when they change. */
export interface TrustAnchorSource {
  current(): TrustAnchors;
}

/**
 * Checks a PASSporT's ES256 signature over its signing input as received (es256.ts), on the event loop or on a
 * thread of its own. Resolves to the verdict; rejects only when the check could not run.
 */
export interface SignatureChecker {
  check(signingInput: string, key: KeyObject, signature: Buffer): Promise<boolean>;
}
