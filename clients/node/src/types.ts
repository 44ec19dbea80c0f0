/** What `sign()` takes: the same shape as the HTTP API's JSON body and the proto's SignRequest. */
export interface SignRequest {
  /** Exactly one of `tn` (canonicalised by the server) or `uri`. */
  orig: { tn: string } | { uri: string };
  /** At least one number or URI in all. */
  dest: { tn?: string[]; uri?: string[] };
  attest?: Attestation;
  /** RFC 4122 UUID, kept as given; the server makes one when absent. */
  origid?: string;
  /** Seconds since the epoch; the server's now when absent. */
  iat?: number;
  /** Brand the call with one of the account's vetted RCD profiles (RFC 9795; docs/branded-calls.md). */
  rcd?: { profile: string; crn?: string };
}

export type Attestation = 'A' | 'B' | 'C';

/** One number or URI: the `div` claim (RFC 8946 §3). */
export type DivTarget = { tn: string } | { uri: string };

/**
 * What `signDiv()` takes, for a call this provider forwards (RFC 8946): the same shape as the HTTP API's div body
 * and the proto's SignDivRequest. Either every claim, or the Identity headers the call arrived with.
 */
export type SignDivRequest =
  | { orig: { tn: string } | { uri: string }; dest: { tn?: string[]; uri?: string[] }; div: DivTarget; iat?: number; origid?: string }
  /**
   * orig and origid come from the shaken PASSporT; div from the last hop's dest, named only when it held several.
   * `ppt: 'div-o'` nests the last hop's PASSporT in the div's opt claim (RFC 8946 §5).
   */
  | { identity: string[]; dest: { tn?: string[]; uri?: string[] }; div?: DivTarget; iat?: number; ppt?: 'div' | 'div-o' };

export interface SignDivResponse {
  /** The Identity header value to add beside the received ones: `<jws>;info=<x5u>;alg=ES256;ppt=div` (or `ppt=div-o`). */
  identity: string;
  div: DivTarget;
  dest: { tn?: string[]; uri?: string[] };
  orig: { tn: string } | { uri: string };
  origid: string;
  iat: number;
  x5u: string;
}

/**
 * What `signRph()` takes, for a priority call (RFC 8443): the same shape as the HTTP API's rph body and the proto's
 * SignRphRequest. The account must have been granted every Resource-Priority namespace in `rph.auth`.
 */
export interface SignRphRequest {
  orig: { tn: string } | { uri: string };
  dest: { tn?: string[]; uri?: string[] };
  /** Resource-Priority r-values, RFC 4412 `namespace.priority`: `ets.0`, `wps.1`, `esnet.1`. */
  rph: { auth: string[] };
  /** `psap-callback` for a PSAP call-back (RFC 9027 §4). */
  sph?: 'psap-callback';
  iat?: number;
}

export interface SignRphResponse {
  /** The Identity header value to send beside the call's shaken one: `<jws>;info=<x5u>;alg=ES256;ppt=rph`. */
  identity: string;
  /** The r-values signed, lower-case: what the call's Resource-Priority header should carry. */
  rph: { auth: string[] };
  sph?: string;
  dest: { tn?: string[]; uri?: string[] };
  orig: { tn: string } | { uri: string };
  iat: number;
  x5u: string;
}

export interface SignResponse {
  /** The SIP Identity header value: `<jws>;info=<x5u>;alg=ES256;ppt=shaken`. */
  identity: string;
  attest: Attestation;
  requestedAttest: Attestation;
  downgraded: boolean;
  attestReason: string;
  origid: string;
  iat: number;
  x5u: string;
  /** A branded call: the profile signed, where its claims went, and the rcd PASSporT's Identity header if separate. */
  rcd?: { profile: string; placement: 'shaken' | 'rcd'; identity?: string };
}

export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN';

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface TransportMetrics {
  transport: string;
  requests: number;
  errors: number;
  errorsByCode: Record<string, number>;
  /** Calls signed below the requested attestation, by the policy's reason. */
  downgradesByReason: Record<string, number>;
  /** Microseconds spent in the server's signing core per request. */
  latencyUs: Latency;
}

export interface MetricsResponse {
  sinceMs: number;
  /** The answering process; with cluster workers each counts its own requests. */
  pid: number;
  transports: TransportMetrics[];
}
