import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';
import type { Config } from '../config/schema.js';
import { ConnectionGuard, type RefusedReason } from '../net/connection-guard.js';

/** The `http.*` timeouts and caps (see docs/connection-limits.md). */
export type HttpConnectionLimits = Pick<
  Config['http'],
  'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'maxRequestsPerConnection' | 'maxConnections' | 'maxConnectionsPerSource'
>;

/**
 * Node checks the headers and request timeouts only on a timer (`connectionsCheckingInterval`, 30 s by default),
 * so a 10 s timeout could fire after 40 s. A quarter of the shorter timeout, within 50 ms to 1 s, makes each
 * fire within a quarter (at most 1 s) of its setting; the check walks only connections with a request under way.
 */
export function checkingIntervalMs(limits: Pick<HttpConnectionLimits, 'headersTimeoutMs' | 'requestTimeoutMs'>): number {
  const set = [limits.headersTimeoutMs, limits.requestTimeoutMs].filter((t) => t > 0);
  if (set.length === 0) return 30_000;
  return Math.min(1000, Math.max(50, Math.floor(Math.min(...set) / 4)));
}

/** fastify options for the timeouts; fastify hands `http` to `http.createServer`, then sets the rest on the server. */
export function httpServerOptions(
  limits: HttpConnectionLimits,
): Pick<FastifyHttpOptions<Server>, 'http' | 'requestTimeout' | 'keepAliveTimeout' | 'maxRequestsPerSocket'> {
  return {
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(limits),
    },
    // fastify assigns these to the server after creating it (its own defaults: no request timeout, 72 s keep-alive).
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerConnection,
  };
}

/**
 * Counts every accepted connection before the HTTP parser sees it and resets those over a cap. Prepended, so a
 * refused socket is gone before fastify's parser would read from it.
 */
export function guardHttpConnections(server: Server, limits: HttpConnectionLimits, onRefused?: (reason: RefusedReason) => void): ConnectionGuard {
  const guard = new ConnectionGuard({ maxConnections: limits.maxConnections, maxPerSource: limits.maxConnectionsPerSource }, onRefused);
  server.prependListener('connection', (socket) => guard.admit(socket));
  return guard;
}
