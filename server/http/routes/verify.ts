import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../core/authenticate.js';
import type { Verifier } from '../../core/verify/verify-service.js';
import { SIP_REASON_PHRASE, type VerifyResult } from '../../core/verify/verify-result.js';

/**
 * The one mapping of a verification result to JSON (STYLE.md §3): every outcome is HTTP 200, since a failed
 * verification is an answer, not a faulty request. Dates become ISO strings.
 */
export function verifyResponse(r: VerifyResult) {
  if (r.ok) {
    return {
      ok: true,
      verstat: r.verstat,
      attest: r.attest,
      origid: r.origid,
      claims: r.claims,
      x5u: r.x5u,
      cert: { ...r.cert, notAfter: r.cert.notAfter.toISOString() },
      checks: r.checks,
      warnings: r.warnings,
    };
  }
  return {
    ok: false,
    verstat: r.verstat,
    sip: r.sip,
    reasonPhrase: SIP_REASON_PHRASE[r.sip],
    reason: r.reason,
    reasonText: r.reasonText,
    atisReasonCode: r.atisReasonCode,
    checks: r.checks,
    ...(r.x5u === undefined ? {} : { x5u: r.x5u }),
    ...(r.claims === undefined ? {} : { claims: r.claims }),
  };
}

/** `POST /api/stir-shaken/verify`: decode, hand to the core, encode. Nothing else happens here. */
export function registerVerifyRoute(app: FastifyInstance, verifier: Verifier): void {
  app.post('/api/stir-shaken/verify', async (request) => {
    const result = await verifier.handle({ token: bearerToken(request.headers.authorization), transport: 'http', input: request.body });
    return verifyResponse(result);
  });
}
