export { createSignerClient, type CallOptions, type SignerClient, type SignerClientOptions, type TlsOptions } from './client.js';
export { SignerError } from './errors.js';
export type { Attestation, DivTarget, Latency, MetricsResponse, ServingStatus, SignDivRequest, SignDivResponse, SignRequest, SignResponse, SignRphRequest, SignRphResponse, TransportMetrics } from './types.js';
