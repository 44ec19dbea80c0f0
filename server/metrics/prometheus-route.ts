import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../core/authenticate.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export interface MetricsRouteDeps {
  /** The exposition text: this process's registry, or in cluster mode the node's aggregate. */
  collect(): Promise<string>;
  contentType: string;
  /** `metrics.token`: when set, scrapes must send it as a bearer token. */
  token: string | undefined;
}

/** `GET /metrics` in the Prometheus text format. */
export function registerMetricsRoute(app: FastifyInstance, deps: MetricsRouteDeps): void {
  const expected = deps.token === undefined ? undefined : digest(deps.token);
  app.get('/metrics', async (request, reply) => {
    if (expected) {
      const given = bearerToken(request.headers.authorization);
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').header('content-type', 'text/plain; charset=utf-8').send('metrics token required\n');
      }
    }
    return reply.header('content-type', deps.contentType).header('cache-control', 'no-store').send(await deps.collect());
  });
}
