import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../core/authenticate.js';
import { ShakenError } from '../../core/errors.js';
import type { SigningService } from '../../core/sign-service.js';
import { atisErrorHandler } from '../atis-errors.js';

// ATIS-1000082 §5.1: every member of signingRequest is mandatory.
const MANDATORY = ['attest', 'dest', 'iat', 'orig', 'origid'] as const;

function decode(body: unknown): Record<string, unknown> {
  // ATIS-1000082 §6: no body at all is SVC4000, a body that is not a JSON object SVC4006.
  if (body === undefined) throw new ShakenError('ERR_REQ_BODY_MISSING', 'the request has no body');
  if (typeof body !== 'object' || body === null) throw new ShakenError('ERR_REQ_MALFORMED', 'the body is not a JSON object');
  const inner = (body as Record<string, unknown>).signingRequest;
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
    throw new ShakenError('ERR_REQ_FIELD_MISSING', 'signingRequest is required', { field: 'signingRequest' });
  }
  const req = inner as Record<string, unknown>;
  for (const name of MANDATORY) {
    if (req[name] === undefined) throw new ShakenError('ERR_REQ_FIELD_MISSING', `${name} is required`, { field: name });
  }
  return req;
}

/** `POST /stir/v1/signing`: the ATIS-1000082 shape of the same core call, with that standard's error bodies. */
export function registerAtisSigningRoute(app: FastifyInstance, signing: SigningService): void {
  app.post(
    '/stir/v1/signing',
    {
      errorHandler: atisErrorHandler,
    },
    async (request) => {
      const result = await signing.handle({
        token: bearerToken(request.headers.authorization),
        transport: 'http',
        input: decode(request.body),
      });
      return { signingResponse: { identity: result.identity } };
    },
  );
}
