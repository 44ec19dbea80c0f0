import type { Server, ServiceDefinition, UntypedServiceImplementation, handleUnaryCall } from '@grpc/grpc-js';
import { ShakenError } from '../core/errors.js';
import { grpcStatus } from './errors.js';

/**
 * What a request deserializer hands over for bytes that are not the method's protobuf message. grpc-js answers a
 * deserializer that throws with INTERNAL, as if the server had failed; the bytes are the caller's fault, so the
 * handler receives this value instead and answers ERR_REQ_MALFORMED through the one status table.
 */
export class UndecodableMessage {
  readonly error: ShakenError;

  constructor(cause: unknown) {
    // protobufjs says where decoding stopped ("index out of range: 7 + 255 > 9", "invalid wire type 7 at offset 3");
    // that names the caller's bytes, never ours, so it may be echoed.
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    this.error = new ShakenError('ERR_REQ_MALFORMED', `the request message is not valid protobuf for this method${why}`, { cause });
  }
}

/** A copy of `service` whose request deserializers return an `UndecodableMessage` instead of throwing. */
function withUndecodableMessages(service: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => [
      name,
      {
        ...method,
        requestDeserialize: (bytes: Buffer): unknown => {
          try {
            return method.requestDeserialize(bytes);
          } catch (e) {
            return new UndecodableMessage(e);
          }
        },
      },
    ]),
  ) as ServiceDefinition;
}

/**
 * Adds a service whose bytes that do not decode are the caller's fault (INVALID_ARGUMENT, ERR_REQ_MALFORMED), not
 * the server's (grpc-js says INTERNAL). A unary method never reaches its handler with such bytes: it is answered
 * here, once for every service. A method that reads a stream of requests gets the `UndecodableMessage` among them
 * and decides when to end (SignStream first answers the items before it).
 */
export function addServiceRefusingUndecodable(server: Server, service: ServiceDefinition, implementation: UntypedServiceImplementation): void {
  const handlers = Object.fromEntries(
    Object.entries(implementation).map(([name, handler]) => {
      const method = service[name];
      if (!method || method.requestStream || method.responseStream) return [name, handler];
      const unary = handler as handleUnaryCall<unknown, unknown>;
      const refusing: handleUnaryCall<unknown, unknown> = (call, callback) => {
        if (call.request instanceof UndecodableMessage) callback(grpcStatus(call.request.error));
        else unary(call, callback);
      };
      return [name, refusing];
    }),
  ) as UntypedServiceImplementation;
  server.addService(withUndecodableMessages(service), handlers);
}
