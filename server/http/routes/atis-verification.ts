import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../core/authenticate.js';
import { ShakenError } from '../../core/errors.js';
import { SIP_REASON_PHRASE, type VerifyResult } from '../../core/verify/verify-result.js';
import type { Verifier } from '../../core/verify/verify-service.js';
import { atisErrorHandler } from '../atis-errors.js';

// ATIS-1000082 verificationRequest: from, to, time and identity are all mandatory. identity is the core's to
// require (verify-request.ts, the same SVC4001): it answers an SBC heartbeat without one (core/heartbeat.ts).
const MANDATORY = ['from', 'to', 'time'] as const;

function decode(body: unknown): Record<string, unknown> {
  // ATIS-1000082 §6: no body at all is SVC4000, a body that is not a JSON object SVC4006.
  if (body === undefined) throw new ShakenError('ERR_REQ_BODY_MISSING', 'the request has no body');
  if (typeof body !== 'object' || body === null) throw new ShakenError('ERR_REQ_MALFORMED', 'the body is not a JSON object');
  const inner = (body as Record<string, unknown>).verificationRequest;
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
    throw new ShakenError('ERR_REQ_FIELD_MISSING', 'verificationRequest is required', { field: 'verificationRequest' });
  }
  const req = inner as Record<string, unknown>;
  for (const name of MANDATORY) {
    if (req[name] === undefined || req[name] === null) throw new ShakenError('ERR_REQ_FIELD_MISSING', `${name} is required`, { field: name });
  }
  if (typeof req.from !== 'object' || Array.isArray(req.from)) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'from must be {"tn":"…"}', { field: 'from' });
  if (typeof req.to !== 'object' || Array.isArray(req.to)) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'to must be {"tn":["…"]}', { field: 'to' });
  if (req.identity !== undefined && req.identity !== null && typeof req.identity !== 'string') throw new ShakenError('ERR_REQ_FIELD_INVALID', 'identity must be a string', { field: 'identity' });
  return { identity: req.identity, from: req.from, to: req.to, time: req.time };
}

/** The ATIS-1000082 answer: verstat always; reasoncode (the SIP code) and reasontext (its phrase) on failure. */
function atisVerificationResponse(r: VerifyResult) {
  if (r.ok) return { verificationResponse: { verstat: r.verstat } };
  return { verificationResponse: { verstat: r.verstat, reasoncode: r.atisReasonCode, reasontext: SIP_REASON_PHRASE[r.sip] } };
}

/** `POST /stir/v1/verification`: the ATIS-1000082 shape of the same core call; HTTP 200 for every verification outcome. */
export function registerAtisVerificationRoute(app: FastifyInstance, verifier: Verifier): void {
  app.post(
    '/stir/v1/verification',
    {
      errorHandler: atisErrorHandler,
    },
    async (request) => {
      const result = await verifier.handle({ token: bearerToken(request.headers.authorization), transport: 'http', input: decode(request.body) });
      return atisVerificationResponse(result);
    },
  );
}
