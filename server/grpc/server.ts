import { Server, type ServerOptions, type ServiceDefinition } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { SigningService } from '../core/sign-service.js';
import type { Verifier } from '../core/verify/verify-service.js';
import type { ReadinessWatch } from '../health/readiness.js';
import { createHealthService } from './health.js';
import { createMetricsService, type MetricsSource } from './metrics-service.js';
import { loadServiceDefinitions } from './proto.js';
import type { InternalErrorLogger } from './sign-codec.js';
import { createSignerService } from './sign-service.js';
import { addServiceRefusingUndecodable } from './undecodable.js';
import { createVerifierService } from './verify-service.js';

const SIGNER_SERVICE = 'shakenstack.v1.Signer';
const VERIFIER_SERVICE = 'shakenstack.v1.Verifier';
const METRICS_SERVICE = 'shakenstack.v1.Metrics';
const HEALTH_SERVICE = 'grpc.health.v1.Health';

export interface GrpcDeps {
  signing: SigningService;
  /** Serves `shakenstack.v1.Verifier` when given (the node always gives it; adapter tests may leave it out). */
  verifier?: Verifier;
  metrics: MetricsSource;
  readiness: ReadinessWatch;
  logger: InternalErrorLogger;
  /** grpc-js server options: keepalive, connection age (see listen-options.ts). */
  options?: ServerOptions;
}

export interface GrpcAdapter {
  server: Server;
  /**
   * Begins a graceful stop of the long-lived calls: health watchers hear NOT_SERVING and are ended, SignStreams
   * stop taking items and end once their in-flight items are answered. Resolves when all have ended.
   * `server.tryShutdown` then only waits for unary calls.
   */
  drain(): Promise<void>;
}

/**
 * Largest message taken (grpc-js allows 4 MiB by default): a SignStream batch of about 5,000 typical items,
 * while a Sign request is a few hundred bytes. Larger ones are refused with RESOURCE_EXHAUSTED before decoding.
 */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Builds the gRPC adapter without binding; `startNode` (or a test) calls `bindAsync`. */
export function buildGrpcServer(deps: GrpcDeps): GrpcAdapter {
  const definitions = loadServiceDefinitions();
  const server = new Server({
    // Channelz tracks every call for a debugging service we do not expose; it costs on each call.
    'grpc.enable_channelz': 0,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    ...deps.options,
  });
  const signer = createSignerService(deps.signing, deps.logger);
  const health = createHealthService(deps.readiness, ['', SIGNER_SERVICE]);
  addServiceRefusingUndecodable(server, definitions[SIGNER_SERVICE] as ServiceDefinition, signer.implementation);
  if (deps.verifier) {
    addServiceRefusingUndecodable(server, definitions[VERIFIER_SERVICE] as ServiceDefinition, createVerifierService(deps.verifier, deps.logger));
  }
  addServiceRefusingUndecodable(server, definitions[METRICS_SERVICE] as ServiceDefinition, createMetricsService(deps.signing, deps.metrics, deps.logger));
  server.addService(definitions[HEALTH_SERVICE] as ServiceDefinition, health.implementation);
  new ReflectionService(definitions).addToServer(server);
  return {
    server,
    drain() {
      health.drain();
      return signer.drain();
    },
  };
}
