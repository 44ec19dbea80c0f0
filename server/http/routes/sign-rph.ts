import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../core/authenticate.js';
import { rphReply } from '../../core/rph/rph-reply.js';
import type { SigningService } from '../../core/sign-service.js';

const party = { type: 'object', description: 'Exactly one of tn or uri.', properties: { tn: { type: 'string' }, uri: { type: 'string' } } } as const;

// A response schema lets fastify compile the serializer once instead of calling JSON.stringify per reply.
export const signRphResponseSchema = {
  type: 'object',
  required: ['identity', 'rph', 'dest', 'orig', 'iat', 'x5u'],
  properties: {
    identity: { type: 'string', description: 'The rph PASSporT as a SIP Identity header value, `;ppt=rph` (RFC 8443 §4, RFC 8224 §4.1). Add it beside the shaken Identity header of the same call.' },
    rph: {
      type: 'object',
      required: ['auth'],
      properties: { auth: { type: 'array', items: { type: 'string' }, description: 'The Resource-Priority r-values signed (RFC 4412 `namespace.priority`), lower-case, in the order given.' } },
    },
    sph: { type: 'string', enum: ['psap-callback'], description: 'The SIP Priority value signed, when asked for (RFC 9027 §4).' },
    dest: { type: 'object', properties: { tn: { type: 'array', items: { type: 'string' } }, uri: { type: 'array', items: { type: 'string' } } } },
    orig: party,
    iat: { type: 'integer' },
    x5u: { type: 'string' },
  },
} as const;

/** `POST /api/stir-shaken/rph`: decode, hand to the core's rph path, encode. Nothing else happens here. */
export function registerSignRphRoute(app: FastifyInstance, signing: SigningService): void {
  app.post('/api/stir-shaken/rph', { schema: { response: { 200: signRphResponseSchema } } }, async (request) => {
    const result = await signing.handleRph({
      token: bearerToken(request.headers.authorization),
      transport: 'http',
      input: request.body,
    });
    return rphReply(result);
  });
}
