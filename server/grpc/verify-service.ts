import type { ServerUnaryCall, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import type { Verifier } from '../core/verify/verify-service.js';
import { grpcStatus } from './errors.js';
import { callerOf, refusal, type InternalErrorLogger } from './sign-codec.js';
import { verifyResponse, type VerifyResponse } from './verify-codec.js';

/**
 * `shakenstack.v1.Verifier`: decode, hand to the verification core, encode. A failed verification is a result
 * (status OK, ok=false); only what the core throws (a bad API key, a malformed request, a fault) is a status.
 */
export function createVerifierService(verifier: Verifier, logger: InternalErrorLogger): UntypedServiceImplementation {
  return {
    Verify(call: ServerUnaryCall<unknown, VerifyResponse>, callback: sendUnaryData<VerifyResponse>) {
      verifier.handle({ token: callerOf(call.metadata).token, transport: 'grpc', input: call.request }).then(
        (r) => callback(null, verifyResponse(r)),
        (err: unknown) => callback(grpcStatus(refusal(err, logger))),
      );
    },
  };
}
