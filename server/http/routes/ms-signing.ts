import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../core/authenticate.js';
import type { SigningService } from '../../core/sign-service.js';
import { MS_PREFIX, msErrorHandler, requireJsonAnswer } from '../ms-errors.js';
import { opaque, signingOf, unwrap } from '../ms-request.js';

/**
 * `POST /3gpp/ms/v1/signing` (TS 24.229 Annex V, the Ms reference point): one resource for the shaken, div and
 * rph PASSporTs, chosen by `ppt`, each through the core call our own API uses. Answers the Identity header
 * value as the core formats it (RFC 8224 §4: `ppt=shaken` unquoted, a token) and reflects `requestId`.
 */
export function registerMsSigningRoute(app: FastifyInstance, signing: SigningService): void {
  app.post(`${MS_PREFIX}signing`, { errorHandler: msErrorHandler, onRequest: requireJsonAnswer }, async (request) => {
    const req = unwrap(request.body, 'signingRequest');
    const requestId = opaque(req, 'requestId');
    // Accepted as the description allows; the account behind the API key decides the signing policy.
    opaque(req, 'profileId');
    const { ppt, input, hi } = signingOf(req);
    const call = { token: bearerToken(request.headers.authorization), transport: 'http' as const, input };
    const signed = ppt === 'div' ? await signing.handleDiv(call) : ppt === 'rph' ? await signing.handleRph(call) : await signing.handle(call);
    // The History-Info index names the entry the client puts this Identity header against; the PASSporT's div
    // claim holds only the number (RFC 8946 §3), so the index goes to the log line of this request alone.
    if (hi !== undefined) request.log.debug({ requestId, hi }, 'div PASSporT signed for a History-Info entry');
    return { signingResponse: requestId === undefined ? { identityHeader: signed.identity } : { identityHeader: signed.identity, requestId } };
  });
}
