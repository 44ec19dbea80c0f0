import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../core/authenticate.js';
import type { Verifier } from '../../core/verify/verify-service.js';
import { SIP_REASON_PHRASE, type CallReport, type VerifiedCert, type VerifyResult } from '../../core/verify/verify-result.js';

function certJson(cert: VerifiedCert) {
  return { ...cert, notAfter: cert.notAfter.toISOString() };
}

/** The `call` member of a call judged as a chain: each PASSporT's verdict as received, the chain, its problems. */
function callJson(call: CallReport) {
  return {
    passports: call.passports.map((p) => ({ ...p, ...(p.cert === undefined ? {} : { cert: certJson(p.cert) }), ...(p.sip === undefined ? {} : { reasonPhrase: SIP_REASON_PHRASE[p.sip] }) })),
    chain: call.chain,
    problems: call.problems,
    ...(call.priority === undefined ? {} : { priority: call.priority }),
  };
}

/**
 * The one mapping of a verification result to JSON (STYLE.md §3): every outcome is HTTP 200, since a failed
 * verification is an answer, not a faulty request. Dates become ISO strings. A call judged as a chain (a div,
 * or several Identity headers) also carries `call`.
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
      cert: certJson(r.cert),
      checks: r.checks,
      warnings: r.warnings,
      ...(r.rcd === undefined ? {} : { rcd: r.rcd }),
      ...(r.call === undefined ? {} : { call: callJson(r.call) }),
      ...(r.source === undefined ? {} : { source: r.source }),
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
    ...(r.call === undefined ? {} : { call: callJson(r.call) }),
    ...(r.source === undefined ? {} : { source: r.source }),
  };
}

/** `POST /api/stir-shaken/verify`: decode, hand to the core, encode. Nothing else happens here. */
export function registerVerifyRoute(app: FastifyInstance, verifier: Verifier): void {
  app.post('/api/stir-shaken/verify', async (request) => {
    const result = await verifier.handle({ token: bearerToken(request.headers.authorization), transport: 'http', input: request.body });
    return verifyResponse(result);
  });
}
