import { status, type Metadata, type ServiceError, type StatusObject } from '@grpc/grpc-js';

/**
 * A refused or failed call. `code`, `field` and `reason` are the server's (docs/errors.md) when the server
 * refused the request; for transport failures (deadline, connection) `code` is undefined and `reason` is
 * gRPC's message.
 */
export class SignerError extends Error {
  /** gRPC status code (`status.INVALID_ARGUMENT`, `status.DEADLINE_EXCEEDED`, ...). */
  readonly status: status;
  /** `ERR_*` from the server, when it refused the request. */
  readonly code: string | undefined;
  readonly field: string | undefined;
  readonly reason: string;

  constructor(grpcStatus: status, reason: string, code?: string, field?: string) {
    super(`${code ?? status[grpcStatus] ?? grpcStatus}${field ? ` ${field}` : ''}: ${reason}`);
    this.name = 'SignerError';
    this.status = grpcStatus;
    this.code = code;
    this.field = field;
    this.reason = reason;
  }
}

function trailer(metadata: Metadata | undefined, key: string): string | undefined {
  const v = metadata?.get(key)[0];
  if (typeof v !== 'string') return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** A failed unary call: the server's code, field and reason come in trailers (see signer.proto). */
export function fromStatus(e: ServiceError | StatusObject): SignerError {
  const code = trailer(e.metadata, 'shakenstack-error-code');
  return new SignerError(e.code, trailer(e.metadata, 'shakenstack-error-reason') ?? e.details, code, trailer(e.metadata, 'shakenstack-error-field'));
}

/** A refused SignStream item. */
export function fromItemError(e: { code?: string; field?: string; reason?: string; status?: number }): SignerError {
  return new SignerError(e.status ?? status.UNKNOWN, e.reason ?? '', e.code, e.field);
}
