import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../core/authenticate.js';
import type { SigningService } from '../../core/sign-service.js';
import { signReply } from '../../core/sign-reply.js';

// A response schema lets fastify compile the serializer once instead of calling JSON.stringify per reply.
export const signResponseSchema = {
  type: 'object',
  required: ['identity', 'attest', 'requestedAttest', 'downgraded', 'attestReason', 'origid', 'iat', 'x5u'],
  properties: {
    identity: { type: 'string', description: 'The SIP Identity header value (RFC 8224 §4.1).' },
    attest: { type: 'string', enum: ['A', 'B', 'C'], description: 'Attestation applied in the PASSporT.' },
    requestedAttest: { type: 'string', enum: ['A', 'B', 'C'], description: 'What was asked for (X-Attestation, body attest, or the account default).' },
    downgraded: { type: 'boolean', description: 'True when the applied level is below the requested one.' },
    attestReason: { type: 'string', enum: ['requested', 'account-default', 'account-maximum', 'tn-not-in-inventory', 'gateway-source', 'non-numeric-caller'], description: 'Why the applied level is what it is.' },
    origid: { type: 'string', format: 'uuid' },
    iat: { type: 'integer' },
    x5u: { type: 'string' },
    rcd: {
      type: 'object',
      description: 'Present when the call was branded (RFC 9795 Rich Call Data; docs/branded-calls.md).',
      required: ['profile', 'placement'],
      properties: {
        profile: { type: 'string', description: 'The vetted RCD profile signed.' },
        placement: { type: 'string', enum: ['shaken', 'rcd'], description: 'shaken: rcd, rcdi and crn are in the shaken PASSporT; rcd: in a separate rcd PASSporT.' },
        identity: { type: 'string', description: 'With placement rcd: the rcd PASSporT Identity header value (…;ppt=rcd), sent beside `identity`.' },
      },
    },
  },
} as const;


/** `POST /api/stir-shaken/sign`: decode, hand to the core, encode. Nothing else happens here. */
export function registerSignRoute(app: FastifyInstance, signing: SigningService): void {
  app.post('/api/stir-shaken/sign', { schema: { response: { 200: signResponseSchema } } }, async (request) => {
    const result = await signing.handle({
      token: bearerToken(request.headers.authorization),
      transport: 'http',
      input: request.body,
      headerAttest: request.headers['x-attestation'],
    });
    return signReply(result);
  });
}
