import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  /** Each dependency's state; the service is ready when all are `ok`. */
  check(): Promise<Record<string, 'ok' | string>>;
}

export function registerHealthRoutes(app: FastifyInstance, readiness: ReadinessCheck): void {
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const checks = await readiness.check();
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });
}
