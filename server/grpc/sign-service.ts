import { signReply } from '../core/sign-reply.js';
import { divReply } from '../core/div/div-reply.js';
import { rphReply } from '../core/rph/rph-reply.js';
import { status, type ServerDuplexStream, type ServerUnaryCall, type UntypedServiceImplementation, type sendUnaryData } from '@grpc/grpc-js';
import type { SigningService } from '../core/sign-service.js';
import { grpcStatus } from './errors.js';
import { callerOf, refusal, type InternalErrorLogger, type SignDivResponse, type SignResponse, type SignRphResponse } from './sign-codec.js';
import { SignStreamSession, type SignStreamRequest, type SignStreamResponse } from './sign-stream.js';

function deadlinePassed(call: ServerUnaryCall<unknown, unknown>): boolean {
  const d = call.getDeadline();
  return call.cancelled || (d instanceof Date ? d.getTime() : d) <= Date.now();
}

export interface SignerService {
  implementation: UntypedServiceImplementation;
  /** Ends every open SignStream once its in-flight items are answered; resolves when all have ended. */
  drain(): Promise<void>;
}

/** `shakenstack.v1.Signer`: decode, hand to the core, encode. Nothing else happens here. */
export function createSignerService(signing: SigningService, logger: InternalErrorLogger): SignerService {
  const sessions = new Set<SignStreamSession>();

  const implementation: UntypedServiceImplementation = {
    Sign(call: ServerUnaryCall<unknown, SignResponse>, callback: sendUnaryData<SignResponse>) {
      // A caller that has given up gets nothing signed: the token would only be thrown away.
      if (deadlinePassed(call)) {
        callback({ code: status.DEADLINE_EXCEEDED, details: 'the deadline passed before signing started' });
        return;
      }
      // The caller's fields written out, not a non-empty spread followed by properties it lacks (V8's slow case:
      // docs/architecture.md, "Nothing slow on the hot path").
      const caller = callerOf(call.metadata);
      signing.handle({ token: caller.token, headerAttest: caller.headerAttest, transport: 'grpc', input: call.request }).then(
        (r) => callback(null, signReply(r)),
        (err: unknown) => callback(grpcStatus(refusal(err, logger))),
      );
    },
    SignDiv(call: ServerUnaryCall<unknown, SignDivResponse>, callback: sendUnaryData<SignDivResponse>) {
      if (deadlinePassed(call)) {
        callback({ code: status.DEADLINE_EXCEEDED, details: 'the deadline passed before signing started' });
        return;
      }
      // x-attestation does not apply: a div PASSporT carries no attest (ATIS-1000085).
      signing.handleDiv({ token: callerOf(call.metadata).token, transport: 'grpc', input: call.request }).then(
        (r) => callback(null, divReply(r)),
        (err: unknown) => callback(grpcStatus(refusal(err, logger))),
      );
    },
    SignRph(call: ServerUnaryCall<unknown, SignRphResponse>, callback: sendUnaryData<SignRphResponse>) {
      if (deadlinePassed(call)) {
        callback({ code: status.DEADLINE_EXCEEDED, details: 'the deadline passed before signing started' });
        return;
      }
      // x-attestation does not apply: an rph PASSporT carries no attest (RFC 8443 §3).
      signing.handleRph({ token: callerOf(call.metadata).token, transport: 'grpc', input: call.request }).then(
        (r) => callback(null, rphReply(r)),
        (err: unknown) => callback(grpcStatus(refusal(err, logger))),
      );
    },
    SignStream(call: ServerDuplexStream<SignStreamRequest, SignStreamResponse>) {
      const session = new SignStreamSession(call, signing, callerOf(call.metadata), logger, () => sessions.delete(session));
      sessions.add(session);
    },
  };

  return {
    implementation,
    drain: () => Promise.all([...sessions].map((s) => s.drain())).then(() => undefined),
  };
}
