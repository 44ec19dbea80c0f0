import type { ServerUnaryCall, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import type { SigningService } from '../core/sign-service.js';
import type { MetricsSnapshot } from '../metrics/request-metrics.js';
import { grpcStatus } from './errors.js';
import { callerOf, refusal, type InternalErrorLogger } from './sign-codec.js';

export interface MetricsSource {
  snapshot(): MetricsSnapshot;
}

/**
 * `shakenstack.v1.Metrics`. Any valid API key may read it: counts span all accounts, so the port's reach is
 * not enough of a guard in a shared deployment. The snapshot's names are the proto's, so it goes out as is.
 */
export function createMetricsService(signing: SigningService, metrics: MetricsSource, logger: InternalErrorLogger): UntypedServiceImplementation {
  return {
    GetMetrics(call: ServerUnaryCall<unknown, MetricsSnapshot>, callback: sendUnaryData<MetricsSnapshot>) {
      signing.authenticator.authenticate(callerOf(call.metadata).token, 'grpc').then(
        () => callback(null, metrics.snapshot()),
        (err: unknown) => callback(grpcStatus(refusal(err, logger))),
      );
    },
  };
}
