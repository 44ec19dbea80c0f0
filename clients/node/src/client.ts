import { credentials, Metadata, status, type ChannelCredentials, type ChannelOptions, type Client, type ServiceError } from '@grpc/grpc-js';
import { SignerError, fromStatus } from './errors.js';
import { constructors } from './proto.js';
import { StreamSigner } from './stream-signer.js';
import type { Attestation, MetricsResponse, ServingStatus, SignDivRequest, SignDivResponse, SignRequest, SignResponse, SignRphRequest, SignRphResponse } from './types.js';

export interface TlsOptions {
  /** CA that issued the server's certificate (PEM); the system roots when absent. */
  ca?: string | Buffer;
  /** Client certificate chain and key (PEM), for a server that requires mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Name to check the server certificate against, when it differs from the address's host. */
  serverName?: string;
}

export interface SignerClientOptions {
  /** `host:port` of the shakenstack gRPC server. */
  address: string;
  apiKey: string;
  /**
   * `stream` (default): every sign() shares one SignStream, batched per event-loop turn: the cheapest per
   * request. `unary`: one Sign call per request.
   */
  mode?: 'stream' | 'unary';
  /** Per-call deadline, overridable per call. Default 2000 ms. */
  deadlineMs?: number;
  /** Sent as `x-attestation` metadata on every call: beats each request's `attest` (still capped by the account). */
  attestOverride?: Attestation;
  /** Plain text when absent. */
  tls?: TlsOptions;
  /** Client keepalive pings on an idle channel. Default 30,000 ms; 0 turns them off. */
  keepaliveTimeMs?: number;
  /** Reconnect backoff after the connection is lost: first wait and longest wait. Default 200 and 5,000 ms. */
  reconnectBackoffMs?: { initial: number; max: number };
  /** Requests per stream message at most. Default 500 (about 100 KB; the server takes up to 1 MiB). */
  maxBatch?: number;
  /** Extra grpc-js channel options; they win over the ones above. */
  channelOptions?: ChannelOptions;
}

export interface CallOptions {
  deadlineMs?: number;
}

export interface SignerClient {
  /** Signs one call; rejects with a SignerError. */
  sign(request: SignRequest, options?: CallOptions): Promise<SignResponse>;
  /** Signs a div PASSporT for a call being forwarded (RFC 8946), over the same stream or unary SignDiv; rejects with a SignerError. */
  signDiv(request: SignDivRequest, options?: CallOptions): Promise<SignDivResponse>;
  /**
   * Signs an rph PASSporT for a priority call (RFC 8443) with unary SignRph, also in stream mode (priority calls are
   * rare; SignStream carries shaken and div items only); rejects with a SignerError (PERMISSION_DENIED when the
   * account was not granted a namespace asked for).
   */
  signRph(request: SignRphRequest, options?: CallOptions): Promise<SignRphResponse>;
  /** `grpc.health.v1.Health/Check`; `service` '' (default) is the whole server. */
  health(service?: string, options?: CallOptions): Promise<ServingStatus>;
  /** Counters of the process that answers (see the server's Metrics service). */
  metrics(options?: CallOptions): Promise<MetricsResponse>;
  /**
   * Waits for calls in flight, ends the stream and closes the channel; later calls reject. Until then the open
   * stream is a call in progress and keeps the process alive.
   */
  close(): Promise<void>;
}

function channelCredentials(tls: TlsOptions | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const pem = (v: string | Buffer | undefined) => (v === undefined ? null : Buffer.from(v));
  return credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert));
}

type UnaryCallback<T> = (err: ServiceError | null, value?: T) => void;
type Unary<Req, Res> = (request: Req, metadata: Metadata, options: object, callback: UnaryCallback<Res>) => void;
type UnaryCall<Req, Res> = (request: Req, metadata: Metadata, deadlineMs: number) => Promise<Res>;

/**
 * One unary method of `client` as a promise-returning function, looked up and bound once rather than per call.
 * The metadata is passed as is: grpc-js copies it when a call starts (its ResolvingCall clones it, and the
 * load-balancing call clones again before adding `grpc-timeout`), so the shared object is never written to.
 */
function unaryMethod<Req, Res>(client: Client, method: string): UnaryCall<Req, Res> {
  const call = (client as unknown as Record<string, Unary<Req, Res>>)[method]!.bind(client);
  return (request, metadata, deadlineMs) =>
    new Promise((resolve, reject) => {
      call(request, metadata, { deadline: Date.now() + deadlineMs }, (err, value) => (err ? reject(fromStatus(err)) : resolve(value as Res)));
    });
}

/**
 * A client for the shakenstack gRPC API. Create it once: it keeps one channel (HTTP/2 connection), which
 * grpc-js reconnects with backoff when it drops, and every call rides on it.
 */
export function createSignerClient(options: SignerClientOptions): SignerClient {
  const { Signer, Metrics, Health } = constructors();
  const deadlineMs = options.deadlineMs ?? 2000;
  const keepalive = options.keepaliveTimeMs ?? 30_000;
  const channelOptions: ChannelOptions = {
    'grpc.enable_channelz': 0,
    'grpc.initial_reconnect_backoff_ms': options.reconnectBackoffMs?.initial ?? 200,
    'grpc.max_reconnect_backoff_ms': options.reconnectBackoffMs?.max ?? 5000,
    ...(keepalive > 0 ? { 'grpc.keepalive_time_ms': keepalive, 'grpc.keepalive_timeout_ms': 10_000, 'grpc.keepalive_permit_without_calls': 1 } : {}),
    ...(options.tls?.serverName ? { 'grpc.ssl_target_name_override': options.tls.serverName } : {}),
    ...options.channelOptions,
  };
  const creds = channelCredentials(options.tls);
  const signer = new Signer(options.address, creds, channelOptions);
  // The other services share the signer's channel: one connection in all.
  const shared = { channelOverride: signer.getChannel() };
  const metricsClient = new Metrics(options.address, creds, shared);
  const healthClient = new Health(options.address, creds, shared);

  // waitForReady: while the server restarts, calls wait for the channel's reconnect (up to their deadline)
  // instead of failing at once. grpc-js reads it from the metadata's options, and clone() keeps them.
  const metadata = new Metadata({ waitForReady: true });
  metadata.set('authorization', `Bearer ${options.apiKey}`);
  if (options.attestOverride) metadata.set('x-attestation', options.attestOverride);
  const stream = options.mode === 'unary' ? undefined : new StreamSigner(signer, metadata, options.maxBatch ?? 500);
  const unarySign = unaryMethod<SignRequest, SignResponse>(signer, 'Sign');
  const unarySignDiv = unaryMethod<SignDivRequest, SignDivResponse>(signer, 'SignDiv');
  const unarySignRph = unaryMethod<SignRphRequest, SignRphResponse>(signer, 'SignRph');
  const healthCheck = unaryMethod<{ service: string }, { status?: ServingStatus }>(healthClient, 'Check');
  const getMetrics = unaryMethod<object, MetricsResponse>(metricsClient, 'GetMetrics');
  // A health probe should learn at once that the server cannot be reached: no waitForReady, no API key.
  const healthMetadata = new Metadata();
  let closed: Promise<void> | undefined;

  const refuseClosed = () => Promise.reject(new SignerError(status.CANCELLED, 'the client is closed'));

  return {
    sign(request, callOptions = {}) {
      if (closed) return refuseClosed();
      const ms = callOptions.deadlineMs ?? deadlineMs;
      return stream ? stream.sign(request, ms) : unarySign(request, metadata, ms);
    },
    signDiv(request, callOptions = {}) {
      if (closed) return refuseClosed();
      const ms = callOptions.deadlineMs ?? deadlineMs;
      return stream ? stream.signDiv(request, ms) : unarySignDiv(request, metadata, ms);
    },
    signRph(request, callOptions = {}) {
      if (closed) return refuseClosed();
      return unarySignRph(request, metadata, callOptions.deadlineMs ?? deadlineMs);
    },
    async health(service = '', callOptions = {}) {
      if (closed) return refuseClosed();
      const r = await healthCheck({ service }, healthMetadata, callOptions.deadlineMs ?? deadlineMs);
      return r.status ?? 'UNKNOWN';
    },
    async metrics(callOptions = {}) {
      if (closed) return refuseClosed();
      return getMetrics({}, metadata, callOptions.deadlineMs ?? deadlineMs);
    },
    close() {
      closed ??= (async () => {
        await stream?.close();
        signer.close();
      })();
      return closed;
    },
  };
}
