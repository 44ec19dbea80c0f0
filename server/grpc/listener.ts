import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server, ServerCredentials } from '@grpc/grpc-js';
import { ConnectionGuard, type RefusedReason } from '../net/connection-guard.js';

/** The HTTP/2 client connection preface (RFC 9113 §3.4) is 24 bytes; every gRPC client sends it first. */
const PREFACE_BYTES = 24;

export interface GrpcListenOptions {
  host: string;
  port: number;
  /** Open connections at most, and from one source at most (IPv6: one /64); 0 = no cap. */
  maxConnections: number;
  maxConnectionsPerSource: number;
  /** A connection that has not sent its first 24 bytes within this is closed; 0 = no bound. */
  handshakeTimeoutMs: number;
  onRefused?: (reason: RefusedReason) => void;
}

export interface GrpcListener {
  port: number;
  /** Stops accepting connections; those already open are ended by the gRPC server's own shutdown. */
  close(): Promise<void>;
}

/**
 * The gRPC port, accepted by our own TCP listener and handed to grpc-js through its connection injector
 * (`Server.createConnectionInjector`, grpc-js ≥ 1.10). grpc-js's own `bindAsync` has no connection cap and no
 * bound on a connection that never starts HTTP/2; owning the accept lets the same ConnectionGuard that caps
 * HTTP and SIP cap gRPC, before TLS or HTTP/2 spend anything on the socket. TLS still happens inside grpc-js,
 * from the same credentials.
 */
export function listenGrpc(server: Server, credentials: ServerCredentials, o: GrpcListenOptions): Promise<GrpcListener> {
  const injector = server.createConnectionInjector(credentials);
  const guard = new ConnectionGuard({ maxConnections: o.maxConnections, maxPerSource: o.maxConnectionsPerSource }, o.onRefused);
  const accept = (socket: Socket): void => {
    if (!guard.admit(socket)) return;
    if (o.handshakeTimeoutMs > 0) {
      // Counted on the handle: TLS and HTTP/2 read the socket natively, so no 'data' event is seen in JS.
      const timer = setTimeout(() => {
        if (socket.bytesRead < PREFACE_BYTES) socket.destroy();
      }, o.handshakeTimeoutMs);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    }
    injector.injectConnection(socket);
  };
  const listener: NetServer = createServer({ noDelay: true }, accept);
  return new Promise((resolve, reject) => {
    listener.once('error', (err) => reject(new Error(`gRPC cannot listen on ${o.host}:${o.port}: ${err.message}`, { cause: err })));
    listener.listen({ host: o.host, port: o.port }, () => {
      const address = listener.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : o.port,
        close: () => new Promise<void>((done) => listener.close(() => done())),
      });
    });
  });
}
