import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/ports.js';
import { createCpsService } from '../core/cps/cps-service.js';
import type { TokenVerifier } from '../core/verify/token-verifier.js';
import { registerCpsRoutes } from './cps-routes.js';
import { RedisCpsStore } from './redis-cps-store.js';

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
}

const START_WAIT_MS = 5000;

export interface MountedCps {
  close(): Promise<void>;
}

/** `cps.enabled`: this node is an STI-CPS too, on the HTTP listener under /cps/, with its PASSporTs in Redis. */
export async function mountCps(app: FastifyInstance, deps: { config: Config; verifier: TokenVerifier; clock: Clock; logger: Logger; publicUrl: () => string }): Promise<MountedCps> {
  const { config, logger } = deps;
  const c = config.cps;
  const store = new RedisCpsStore({
    url: c.redisUrl,
    clusterNodes: list(c.redisClusterNodes),
    commandTimeoutMs: c.redisTimeoutMs,
    onState: (state, err) => (state === 'up' ? logger.info('cps: redis connected') : logger.warn({ err: err?.message }, 'cps: redis connection lost; the CPS answers 503 until it is back')),
  });
  const service = createCpsService({
    verifier: deps.verifier,
    store,
    clock: deps.clock,
    options: {
      audience: () => c.audience ?? new URL(deps.publicUrl()).hostname,
      ttlSec: c.ttlSec,
      maxExpSec: c.maxExpSec,
      maxPassports: c.maxPassports,
      maxPassportChars: c.maxPassportChars,
      publishRatePerSec: c.publishRatePerSec,
      retrieveRatePerSec: c.retrieveRatePerSec,
      retrievers: list(c.retrievers),
      // A token is fresh for verify.maxAgeSec either side of now, so remembering its jti twice that covers its life.
      replayWindowSec: 2 * config.verify.maxAgeSec,
    },
  });
  registerCpsRoutes(app, service, c.maxBodyBytes);
  // Connected before the port opens, so the first request finds Redis; a Redis that is down does not stop the
  // node: the CPS answers 503 with Retry-After until it is back (the other endpoints never needed it).
  if (!(await store.whenReady(START_WAIT_MS))) logger.warn('cps: redis not reachable at start; the CPS answers 503 until it is');
  return { close: () => store.close() };
}
