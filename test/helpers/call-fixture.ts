import { createCallService, type CallService } from '../../server/core/call/call-service.js';
import type { CallPolicy } from '../../server/core/call/call.js';
import { createRoutingService } from '../../server/core/routing-service.js';
import { parseTrustAnchors, staticTrustSource } from '../../server/core/verify/trust-anchors.js';
import { createVerifier, type Verifier } from '../../server/core/verify/verify-service.js';
import type { CoreFixture } from './core-fixture.js';

/**
 * The call service over a core fixture: its signer, routing rules and a verifier that trusts the fixture's root
 * and is served its chain for any x5u (no network: the call-level decisions are what these tests are about).
 */
export function fixtureCallService(f: CoreFixture, policy: CallPolicy): CallService {
  const routing = createRoutingService({ signing: f.signing, directory: f.dir, clock: f.clock, cacheTtlMs: 60_000 });
  return createCallService({ signing: f.signing, routing, verifier: fixtureVerifier(f), policy });
}

/** A verifier that trusts the fixture's root, is served its chain for any x5u, and logs to the fixture's directory. */
export function fixtureVerifier(f: CoreFixture): Verifier {
  return createVerifier({
    fetcher: { fetch: async () => ({ ok: true, body: Buffer.from(f.pki.chainPem), contentType: 'application/pem-certificate-chain', maxAgeMs: 3_600_000 }) },
    trust: staticTrustSource(parseTrustAnchors([{ name: 'root', text: f.pki.root.certPem }], 1)),
    clock: f.clock,
    authenticator: f.signing.authenticator,
    sources: f.signing.sources,
    log: f.dir,
    options: { maxAgeSec: 60, crlPolicy: 'off' },
  });
}
