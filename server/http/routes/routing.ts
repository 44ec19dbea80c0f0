import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../core/authenticate.js';
import type { RoutingService } from '../../core/routing-service.js';
import { signReply } from '../../core/sign-reply.js';
import { signResponseSchema } from './sign.js';

export const routingResponseSchema = {
  type: 'object',
  required: [...signResponseSchema.required, 'routes', 'routeSource'],
  properties: {
    ...signResponseSchema.properties,
    routes: {
      type: 'array',
      description: 'Where to send the signed call, in order: the best-matching rules by priority, else the Request-URI.',
      items: { type: 'object', required: ['uri', 'priority'], properties: { uri: { type: 'string' }, priority: { type: 'integer' } } },
    },
    routeSource: { type: 'string', enum: ['rule', 'request-uri', 'none'] },
  },
} as const;

/** `POST /api/routing`: the sign request (plus an optional `requestUri`) → routes and the Identity header. */
export function registerRoutingRoute(app: FastifyInstance, routing: RoutingService): void {
  app.post('/api/routing', { schema: { response: { 200: routingResponseSchema } } }, async (request) => {
    const body = request.body as { requestUri?: unknown } | undefined;
    const r = await routing.route({
      token: bearerToken(request.headers.authorization),
      transport: 'http',
      input: request.body,
      headerAttest: request.headers['x-attestation'],
      requestUri: typeof body === 'object' && body !== null ? body.requestUri : undefined,
    });
    // Added to the fresh reply, not a non-empty spread followed by properties it lacks (V8's slow case:
    // docs/architecture.md, "Nothing slow on the hot path").
    return Object.assign(signReply(r.signed), { routes: r.routes, routeSource: r.source });
  });
}
