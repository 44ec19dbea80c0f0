import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ServerCredentials, type ServerOptions } from '@grpc/grpc-js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';

type GrpcConfig = Config['grpc'];

function readPem(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(key, `cannot read ${path}: ${(e as Error).message}`);
  }
}

/**
 * Plain text, TLS, or mutual TLS, from the `grpc.tls.*` paths. Files are read and checked here, at start,
 * so a wrong path or a key that does not match its certificate stops the service before it binds.
 */
export function serverCredentials(grpc: GrpcConfig): ServerCredentials {
  const { cert, key, clientCa } = grpc.tls;
  if (!cert && !key) {
    if (clientCa) throw new ConfigError('grpc.tls.clientCa', 'mutual TLS needs grpc.tls.cert and grpc.tls.key as well');
    return ServerCredentials.createInsecure();
  }
  if (!cert) throw new ConfigError('grpc.tls.cert', 'is required with grpc.tls.key');
  if (!key) throw new ConfigError('grpc.tls.key', 'is required with grpc.tls.cert');
  const certChain = readPem('grpc.tls.cert', cert);
  const privateKey = readPem('grpc.tls.key', key);
  const ca = clientCa ? readPem('grpc.tls.clientCa', clientCa) : null;
  try {
    createSecureContext({ cert: certChain, key: privateKey, ...(ca ? { ca } : {}) });
  } catch (e) {
    throw new ConfigError('grpc.tls.cert', `the certificate, key or client CA cannot be used: ${(e as Error).message}`);
  }
  // With a client CA, a client without a certificate it issued is refused during the handshake.
  return ServerCredentials.createSsl(ca, [{ cert_chain: certChain, private_key: privateKey }], ca !== null);
}

/**
 * Keepalive and connection age for long-lived sidecar channels, and the bounds of one connection: calls open at
 * once, message sizes, idle time (docs/connection-limits.md).
 */
export function serverOptions(grpc: GrpcConfig): ServerOptions {
  // 0 means no limit in our settings; grpc-js says so with -1 (a 0 there would refuse every message).
  const unlimited = (n: number) => (n > 0 ? n : -1);
  const options: ServerOptions = {
    // grpc-js answers RESOURCE_EXHAUSTED itself, before anything is decoded.
    'grpc.max_receive_message_length': unlimited(grpc.maxReceiveMessageBytes),
    'grpc.max_send_message_length': unlimited(grpc.maxSendMessageBytes),
  };
  // Sent to the client in HTTP/2 SETTINGS: its calls beyond this wait in its own queue, not on the server.
  if (grpc.maxConcurrentStreams > 0) options['grpc.max_concurrent_streams'] = grpc.maxConcurrentStreams;
  if (grpc.maxConnectionIdleMs > 0) options['grpc.max_connection_idle_ms'] = grpc.maxConnectionIdleMs;
  if (grpc.keepaliveTimeMs > 0) {
    options['grpc.keepalive_time_ms'] = grpc.keepaliveTimeMs;
    options['grpc.keepalive_timeout_ms'] = grpc.keepaliveTimeoutMs;
  }
  if (grpc.maxConnectionAgeMs > 0) {
    options['grpc.max_connection_age_ms'] = grpc.maxConnectionAgeMs;
    options['grpc.max_connection_age_grace_ms'] = grpc.maxConnectionAgeGraceMs;
  }
  return options;
}
