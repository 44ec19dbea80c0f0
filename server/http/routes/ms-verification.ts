import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../core/authenticate.js';
import type { Verifier } from '../../core/verify/verify-service.js';
import { MS_PREFIX, msErrorHandler, requireJsonAnswer } from '../ms-errors.js';
import { opaque, unwrap, verificationOf } from '../ms-request.js';
import { msVerificationResponse } from '../ms-verify-results.js';

/**
 * `POST /3gpp/ms/v1/verification` (TS 24.229 Annex V): the shaken `identityHeader` and the div and rph
 * `identityHeaders` of one call, judged together by the core's verifier; HTTP 200 with `verifyResults[]` for
 * every verification outcome.
 */
export function registerMsVerificationRoute(app: FastifyInstance, verifier: Verifier): void {
  app.post(`${MS_PREFIX}verification`, { errorHandler: msErrorHandler, onRequest: requireJsonAnswer }, async (request) => {
    const req = unwrap(request.body, 'verificationRequest');
    const echo = { requestId: opaque(req, 'requestId'), displayName: opaque(req, 'displayName') };
    opaque(req, 'profileId');
    const { input, identities } = verificationOf(req);
    const result = await verifier.handle({ token: bearerToken(request.headers.authorization), transport: 'http', input });
    return { verificationResponse: msVerificationResponse(result, identities, echo) };
  });
}
