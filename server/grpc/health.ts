import { status, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation, type sendUnaryData } from '@grpc/grpc-js';
import type { ReadinessWatch } from '../health/readiness.js';

type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthCheckRequest {
  service?: string;
}

interface HealthCheckResponse {
  status: ServingStatus;
}

export interface HealthService {
  implementation: UntypedServiceImplementation;
  /** Reports NOT_SERVING to every watcher and ends their streams, so a graceful shutdown need not wait for them. */
  drain(): void;
}

/**
 * `grpc.health.v1.Health` (grpc/doc/health-checking.md) reporting the shared readiness probes: every name
 * in `services` (the empty name meaning the whole server) is SERVING while all probes pass. Written here
 * rather than taken from grpc-health-check's HealthImplementation because that one cannot end its Watch
 * streams, and an open Watch (what load balancers hold) would stall every graceful shutdown until the timeout.
 */
export function createHealthService(readiness: ReadinessWatch, services: readonly string[]): HealthService {
  const known = new Set(services);
  const watchers = new Set<ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>();
  let draining = false;

  const statusOf = (name: string): ServingStatus =>
    !known.has(name) ? 'SERVICE_UNKNOWN' : !draining && readiness.ready ? 'SERVING' : 'NOT_SERVING';

  const unsubscribe = readiness.onChange(() => {
    for (const call of watchers) call.write({ status: statusOf(call.request.service ?? '') });
  });

  const implementation: UntypedServiceImplementation = {
    Check(call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) {
      const name = call.request.service ?? '';
      if (!known.has(name)) {
        callback({ code: status.NOT_FOUND, details: `unknown service ${JSON.stringify(name)}` });
        return;
      }
      callback(null, { status: statusOf(name) });
    },
    Watch(call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) {
      // Per the protocol an unknown name is SERVICE_UNKNOWN, and the stream stays open in case it appears.
      call.write({ status: statusOf(call.request.service ?? '') });
      if (draining) {
        call.end();
        return;
      }
      watchers.add(call);
      call.on('cancelled', () => watchers.delete(call));
      // A write racing the peer's cancel may fail; without a listener that 'error' would end the process.
      call.on('error', () => watchers.delete(call));
    },
    List(_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) {
      callback(null, { statuses: Object.fromEntries(services.map((s) => [s, { status: statusOf(s) }])) });
    },
  };

  return {
    implementation,
    drain() {
      if (draining) return;
      draining = true;
      unsubscribe();
      for (const call of watchers) {
        call.write({ status: 'NOT_SERVING' });
        call.end();
      }
      watchers.clear();
    },
  };
}
