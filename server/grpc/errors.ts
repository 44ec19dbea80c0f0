import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { ShakenError, isShakenError, type ErrorCode } from '../core/errors.js';

/** The gRPC status of every error code: the one mapping for this transport (HTTP's twin: http/errors.ts). */
export const GRPC_STATUS = {
  ERR_REQ_MALFORMED: status.INVALID_ARGUMENT,
  ERR_REQ_BODY_MISSING: status.INVALID_ARGUMENT,
  // Cannot happen on gRPC (grpc-js checks the content type); mapped like the other request errors.
  ERR_REQ_CONTENT_TYPE: status.INVALID_ARGUMENT,
  // What grpc-js itself answers for a message above the receive limit.
  ERR_REQ_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  ERR_REQ_FIELD_MISSING: status.INVALID_ARGUMENT,
  ERR_REQ_FIELD_INVALID: status.INVALID_ARGUMENT,
  ERR_REQ_ORIGID_INVALID: status.INVALID_ARGUMENT,
  ERR_REQ_IAT_INVALID: status.INVALID_ARGUMENT,
  ERR_REQ_IAT_STALE: status.INVALID_ARGUMENT,
  ERR_REQ_NOT_FOUND: status.NOT_FOUND,
  // Raised by HTTP resources only (gRPC has no methods on a resource); the gRPC name of the same idea.
  ERR_REQ_METHOD_NOT_ALLOWED: status.UNIMPLEMENTED,
  // Raised by the 3GPP Ms HTTP resources only (an Accept they cannot serve); gRPC's name for a request it will not serve.
  ERR_REQ_NOT_ACCEPTABLE: status.INVALID_ARGUMENT,
  ERR_REQ_CONFLICT: status.ALREADY_EXISTS,
  ERR_TN_INVALID: status.INVALID_ARGUMENT,
  ERR_URI_INVALID: status.INVALID_ARGUMENT,
  ERR_DEST_EMPTY: status.INVALID_ARGUMENT,
  ERR_ATTEST_INVALID: status.INVALID_ARGUMENT,
  ERR_ATTEST_REFUSED: status.PERMISSION_DENIED,
  ERR_AUTH_MISSING: status.UNAUTHENTICATED,
  ERR_AUTH_INVALID: status.UNAUTHENTICATED,
  ERR_AUTH_REVOKED: status.PERMISSION_DENIED,
  ERR_AUTH_ACCOUNT_DISABLED: status.PERMISSION_DENIED,
  ERR_CRED_NONE: status.FAILED_PRECONDITION,
  ERR_CRED_EXPIRED: status.FAILED_PRECONDITION,
  ERR_CRED_NOT_YET_VALID: status.FAILED_PRECONDITION,
  ERR_CRED_KEY_MISMATCH: status.FAILED_PRECONDITION,
  ERR_CRED_INVALID: status.FAILED_PRECONDITION,
  ERR_KEYSTORE_UNAVAILABLE: status.UNAVAILABLE,
  ERR_KEYSTORE_KEY_NOT_FOUND: status.FAILED_PRECONDITION,
  ERR_KEYSTORE_CONFIG: status.UNAVAILABLE,
  ERR_KEYSTORE_LOGIN_FAILED: status.UNAVAILABLE,
  ERR_STORE_UNAVAILABLE: status.UNAVAILABLE,
  // The dashboard's codes never reach gRPC; each is mapped like its HTTP status (statuscodes.md pairs them).
  ERR_LOGIN_FAILED: status.UNAUTHENTICATED,
  ERR_LOGIN_RATE_LIMITED: status.RESOURCE_EXHAUSTED,
  ERR_LOGIN_BUSY: status.UNAVAILABLE,
  ERR_SESSION_REQUIRED: status.UNAUTHENTICATED,
  ERR_SESSION_CSRF: status.PERMISSION_DENIED,
  ERR_ROLE_FORBIDDEN: status.PERMISSION_DENIED,
  ERR_INTERNAL: status.INTERNAL,
} as const satisfies Record<ErrorCode, status>;

/**
 * Trailing metadata of a refused call, so clients need not parse the message: the code, the field (when one is
 * at fault) and the reason, percent-encoded the way gRPC encodes grpc-message (text metadata must be printable
 * ASCII, and a reason may hold a `§`).
 */
export const ERROR_CODE_KEY = 'shakenstack-error-code';
export const ERROR_FIELD_KEY = 'shakenstack-error-field';
export const ERROR_REASON_KEY = 'shakenstack-error-reason';

/** Anything thrown while serving a call, as a ShakenError; unknown errors become ERR_INTERNAL (never echoed). */
export function toShakenError(err: unknown): ShakenError {
  return isShakenError(err) ? err : new ShakenError('ERR_INTERNAL', 'internal error', { cause: err });
}

/** The proto's SignError: what a refused stream item carries. */
export interface SignErrorMessage {
  code: ErrorCode;
  field?: string;
  reason: string;
  status: status;
}

export function signErrorMessage(e: ShakenError): SignErrorMessage {
  const m: SignErrorMessage = { code: e.code, reason: e.reason, status: GRPC_STATUS[e.code] };
  if (e.field) m.field = e.field;
  return m;
}

/** gRPC's grpc-message encoding (PROTOCOL-HTTP2.md): UTF-8 bytes outside printable ASCII, and `%`, as %XX. */
export function percentEncode(text: string): string {
  return text.replace(/[^\x20-\x24\x26-\x7e]+/gu, (s) => encodeURIComponent(s));
}

/** The status a refused unary call ends with. The message repeats code and field for people reading grpcurl output. */
export function grpcStatus(e: ShakenError): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_KEY, e.code);
  if (e.field) metadata.set(ERROR_FIELD_KEY, percentEncode(e.field));
  metadata.set(ERROR_REASON_KEY, percentEncode(e.reason));
  return {
    code: GRPC_STATUS[e.code],
    details: `${e.code}${e.field ? ` ${e.field}` : ''}: ${e.reason}`,
    metadata,
  };
}
