import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { CertificatePublisher } from '../core/certificate-publisher.js';
import type { SigningService } from '../core/sign-service.js';
import { sendHttpError, sendNoRoute } from './errors.js';
import { registerRoutingRoute } from './routes/routing.js';
import type { RoutingService } from '../core/routing-service.js';
import { answerAtisNoRoute } from './atis-errors.js';
import { answerMsNoRoute } from './ms-errors.js';
import { registerAtisSigningRoute } from './routes/atis-signing.js';
import { registerAtisVerificationRoute } from './routes/atis-verification.js';
import { registerMsOpenApiRoute } from './routes/ms-openapi.js';
import { registerMsSigningRoute } from './routes/ms-signing.js';
import { registerMsVerificationRoute } from './routes/ms-verification.js';
import { registerVerifyRoute } from './routes/verify.js';
import type { Verifier } from '../core/verify/verify-service.js';
import { registerHealthRoutes, type ReadinessCheck } from './routes/health.js';
import { registerOpenApiRoute } from './routes/openapi.js';
import { registerSignRoute } from './routes/sign.js';
import { registerSignDivRoute } from './routes/sign-div.js';
import { registerSignRphRoute } from './routes/sign-rph.js';
import { registerX5uRoute } from './routes/x5u.js';
import type { RefusedReason } from '../net/connection-guard.js';
import { guardHttpConnections, httpServerOptions, type HttpConnectionLimits } from './connection-limits.js';

export interface HttpDeps {
  signing: SigningService;
  routing: RoutingService;
  certificates: CertificatePublisher;
  readiness: ReadinessCheck;
  logger: FastifyBaseLogger;
  bodyLimit: number;
  /** Timeouts and connection caps of the listener. */
  connections: HttpConnectionLimits;
  /** Told of each connection reset by a cap (the metrics count them). */
  onConnectionRefused?: (reason: RefusedReason) => void;
  /** Verification (STI-VS) endpoints; absent in adapters built without a verifier. */
  verifier?: Verifier;
}

/**
 * Node's IncomingMessage fails its body stream with ECONNRESET 'aborted' when the client goes away mid-body. The
 * request stream must itself have ended early: an ECONNRESET from a dependency (a database connection) after the
 * body was read is a fault of ours and stays an error.
 */
function isClientAbort(err: unknown, request: FastifyRequest): boolean {
  return (err as { code?: unknown } | null)?.code === 'ECONNRESET' && request.raw.readableAborted;
}

/** How often a closing server looks for keep-alive connections that have finished their last answer. */
const IDLE_REAP_MS = 50;

/**
 * On close, closes every keep-alive connection as soon as it is idle, not only those idle when close began.
 *
 * Why: Node's `server.close()` closes the connections idle at that moment and then waits for the rest to end. A
 * connection whose request was past routing when close began gets its answer without `Connection: close` and then
 * sits idle, holding `close()` open until the keep-alive timeout (72 s), well past the shutdown timer: a SIGTERM
 * under load then ended the node with exit code 1 from that timer (test/e2e/quick-start.test.ts, "graceful shutdown
 * with two cluster workers", failed so in one CI run of three).
 */
function closeConnectionsAsTheyGoIdle(app: FastifyInstance): void {
  app.addHook('preClose', (done) => {
    const reaper = setInterval(() => app.server.closeIdleConnections(), IDLE_REAP_MS).unref();
    app.server.once('close', () => clearInterval(reaper));
    done();
  });
}

/**
 * Builds the HTTP adapter without listening; `main` (or a test) calls `listen`. The operator's routes (admin
 * API, dashboard, metrics) are mounted on the returned app by the node (server/operator-routes.ts): they
 * depend on this adapter's error mapping, never the other way round.
 */
export function buildHttpApp(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    // Each request is recorded in the request log by the core; a pino line per request would double the cost.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit,
    return503OnClosing: true,
    ...httpServerOptions(deps.connections),
  });
  guardHttpConnections(app.server, deps.connections, deps.onConnectionRefused);
  closeConnectionsAsTheyGoIdle(app);

  // Only JSON is accepted; fastify's built-in text/plain parser would let a text body reach the handlers.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err, request, reply) => {
    // The client closed its connection before its body arrived: nothing is wrong here and nobody is left to answer.
    if (isClientAbort(err, request)) {
      request.log.debug({ url: request.url.slice(0, 200) }, 'client closed the connection before sending its whole request body');
      return reply.code(400).send();
    }
    return sendHttpError(err, request, reply);
  });
  // Under /stir/v1/ the ATIS-1000082 answers (405 POL4050 for a wrong method, 404 SVC4003), under /3gpp/ms/v1/ the
  // 3GPP Ms ones (405, 404 with {"error":…}); elsewhere our own 404.
  app.setNotFoundHandler((request, reply) => (answerAtisNoRoute(request, reply) || answerMsNoRoute(request, reply) ? reply : sendNoRoute(request, reply)));

  registerSignRoute(app, deps.signing);
  registerSignDivRoute(app, deps.signing);
  registerSignRphRoute(app, deps.signing);
  registerRoutingRoute(app, deps.routing);
  registerAtisSigningRoute(app, deps.signing);
  registerMsSigningRoute(app, deps.signing);
  registerMsOpenApiRoute(app);
  if (deps.verifier) {
    registerVerifyRoute(app, deps.verifier);
    registerAtisVerificationRoute(app, deps.verifier);
    registerMsVerificationRoute(app, deps.verifier);
  }
  registerX5uRoute(app, deps.certificates);
  registerHealthRoutes(app, deps.readiness);
  registerOpenApiRoute(app);
  return app;
}
