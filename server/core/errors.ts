/** A person at the dashboard: logging in, their session, what their role allows. No call raises these. */
export const DASHBOARD_ERROR_CODES = ['ERR_LOGIN_FAILED', 'ERR_LOGIN_RATE_LIMITED', 'ERR_LOGIN_BUSY', 'ERR_SESSION_REQUIRED', 'ERR_SESSION_CSRF', 'ERR_ROLE_FORBIDDEN'] as const;

/**
 * The one registry of error codes. Every transport maps each code exactly once (see its errors.ts);
 * a new code here fails the build until every table has it.
 */
export const ERROR_CODES = [
  'ERR_REQ_MALFORMED',
  'ERR_REQ_BODY_MISSING',
  'ERR_REQ_CONTENT_TYPE',
  'ERR_REQ_TOO_LARGE',
  'ERR_REQ_FIELD_MISSING',
  'ERR_REQ_FIELD_INVALID',
  'ERR_REQ_ORIGID_INVALID',
  'ERR_REQ_IAT_INVALID',
  'ERR_REQ_IAT_STALE',
  'ERR_REQ_NOT_FOUND',
  'ERR_REQ_METHOD_NOT_ALLOWED',
  'ERR_REQ_NOT_ACCEPTABLE',
  'ERR_REQ_CONFLICT',
  'ERR_TN_INVALID',
  'ERR_URI_INVALID',
  'ERR_DEST_EMPTY',
  'ERR_ATTEST_INVALID',
  'ERR_ATTEST_REFUSED',
  'ERR_AUTH_MISSING',
  'ERR_AUTH_INVALID',
  'ERR_AUTH_REVOKED',
  'ERR_AUTH_ACCOUNT_DISABLED',
  'ERR_CRED_NONE',
  'ERR_CRED_EXPIRED',
  'ERR_CRED_NOT_YET_VALID',
  'ERR_CRED_KEY_MISMATCH',
  'ERR_CRED_INVALID',
  'ERR_KEYSTORE_UNAVAILABLE',
  'ERR_KEYSTORE_KEY_NOT_FOUND',
  'ERR_KEYSTORE_CONFIG',
  'ERR_KEYSTORE_LOGIN_FAILED',
  'ERR_STORE_UNAVAILABLE',
  ...DASHBOARD_ERROR_CODES,
  'ERR_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ShakenErrorOptions {
  field?: string;
  cause?: unknown;
  /** Structured facts a caller can act on (e.g. the bad rows of an import); never secrets. */
  details?: unknown;
  /** When the caller may try again, in seconds (an overload or a rate limit); HTTP sends it as Retry-After. */
  retryAfterSec?: number;
}

/** A failure the caller can act on. `reason` is shown to callers: never put secrets or key material in it. */
export class ShakenError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly reason: string;
  readonly details: unknown;
  readonly retryAfterSec: number | undefined;

  constructor(code: ErrorCode, reason: string, options: ShakenErrorOptions = {}) {
    super(`${code}: ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShakenError';
    this.code = code;
    this.field = options.field;
    this.reason = reason;
    this.details = options.details;
    this.retryAfterSec = options.retryAfterSec;
  }
}

export function isShakenError(e: unknown): e is ShakenError {
  return e instanceof ShakenError;
}

/** The store cannot serve us now (refused, reset, timed out, busy): retry later, or answer from cache. */
export function isStoreUnavailable(e: unknown): e is ShakenError {
  return e instanceof ShakenError && e.code === 'ERR_STORE_UNAVAILABLE';
}
