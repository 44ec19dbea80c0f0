import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CpsMechanism, CpsService } from '../core/cps/cps-service.js';
import type { CpsResult } from '../core/cps/cps-result.js';
import { CPS_HTTP_STATUS } from './cps-errors.js';

type Params = { spc?: string; dest: string; orig: string };

/** Writes a CPS result on the wire: the one place a result becomes a status and a body. */
function answer(reply: FastifyReply, result: CpsResult): FastifyReply {
  if (!result.ok) {
    if (result.retryAfterSec !== undefined) reply.header('retry-after', String(result.retryAfterSec));
    return reply.code(CPS_HTTP_STATUS[result.refusal]).send({ code: result.refusal, reason: result.detail });
  }
  switch (result.kind) {
    case 'stored':
      return reply.code(201).send({ passports: result.count, exp: result.exp });
    case 'found':
      return reply.code(200).header('cache-control', 'no-store').send({ passports: result.passports });
    case 'healthy':
      return reply.code(200).send({ status: 'ok' });
  }
}

/**
 * The STI-CPS endpoints under /cps/: health, and publish (POST) and retrieve (GET) in both path shapes,
 * `/cps/passports/{dest}/{orig}` (ATIS-1000096) and `/cps/passports/{spc}/{dest}/{orig}` (ATIS-1000105).
 */
export function registerCpsRoutes(app: FastifyInstance, cps: CpsService, bodyLimit: number): void {
  const call = (mechanism: CpsMechanism, req: FastifyRequest<{ Params: Params }>) => ({
    mechanism,
    spc: req.params.spc,
    dest: req.params.dest,
    orig: req.params.orig,
    authorization: req.headers.authorization,
  });
  for (const [path, mechanism] of [
    ['/cps/passports/:dest/:orig', 'atis-1000096'],
    ['/cps/passports/:spc/:dest/:orig', 'atis-1000105'],
  ] as const) {
    app.post<{ Params: Params }>(path, { bodyLimit }, async (req, reply) => answer(reply, await cps.publish(call(mechanism, req), req.body)));
    app.get<{ Params: Params }>(path, async (req, reply) => answer(reply, await cps.retrieve(call(mechanism, req))));
  }
  app.get('/cps/health', async (_req, reply) => answer(reply, await cps.health()));
}
