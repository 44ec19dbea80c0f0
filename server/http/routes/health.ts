import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  /** `not-ready` answers 503; `ready` and `degraded` (signing from cache while the store is down) answer 200. */
  check(): Promise<{ status: 'ready' | 'degraded' | 'not-ready'; checks: Record<string, string> }>;
}

export function registerHealthRoutes(app: FastifyInstance, readiness: ReadinessCheck): void {
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const { status, checks } = await readiness.check();
    return reply.code(status === 'not-ready' ? 503 : 200).send({ status, checks });
  });
}
