import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../core/authenticate.js';
import { divReply } from '../../core/div/div-reply.js';
import type { SigningService } from '../../core/sign-service.js';

const target = {
  type: 'object',
  description: 'Exactly one of tn or uri.',
  properties: { tn: { type: 'string' }, uri: { type: 'string' } },
} as const;

// A response schema lets fastify compile the serializer once instead of calling JSON.stringify per reply.
export const signDivResponseSchema = {
  type: 'object',
  required: ['identity', 'div', 'dest', 'orig', 'origid', 'iat', 'x5u'],
  properties: {
    identity: { type: 'string', description: 'The div PASSporT as a SIP Identity header value, `;ppt=div` (or `;ppt=div-o`; RFC 8946 §3 and §5, RFC 8224 §4.1). Add it beside the Identity headers the call arrived with.' },
    div: { ...target, description: 'Where the call was sent before this retargeting (RFC 8946 §3).' },
    dest: {
      type: 'object',
      description: 'The new target(s) of the call.',
      properties: { tn: { type: 'array', items: { type: 'string' } }, uri: { type: 'array', items: { type: 'string' } } },
    },
    orig: { ...target, description: 'The calling party, copied from the shaken PASSporT (or as given).' },
    origid: { type: 'string', format: 'uuid', description: 'The shaken PASSporT\'s origid when drawn from it (ATIS-1000085), else as given or fresh.' },
    iat: { type: 'integer' },
    x5u: { type: 'string' },
  },
} as const;

/** `POST /api/stir-shaken/div`: decode, hand to the core's div path, encode. Nothing else happens here. */
export function registerSignDivRoute(app: FastifyInstance, signing: SigningService): void {
  app.post('/api/stir-shaken/div', { schema: { response: { 200: signDivResponseSchema } } }, async (request) => {
    const result = await signing.handleDiv({
      token: bearerToken(request.headers.authorization),
      transport: 'http',
      input: request.body,
    });
    return divReply(result);
  });
}
