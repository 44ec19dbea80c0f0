import type { ErrorCode } from '../core/errors.js';

export interface SipStatus {
  code: number;
  phrase: string;
}

const BAD_REQUEST = { code: 400, phrase: 'Bad Request' };
const FORBIDDEN = { code: 403, phrase: 'Forbidden' };
const ADDRESS_INCOMPLETE = { code: 484, phrase: 'Address Incomplete' };
const UNAVAILABLE = { code: 503, phrase: 'Service Unavailable' };

/**
 * The SIP transport's one error table (STYLE.md §2): the status a call that cannot be signed is answered
 * with under `sip.onSignFailure = reject`, and the `cause` of the Reason header under `redirect`. The
 * Reason text is the code itself, never the error's reason: that may quote the caller's input.
 */
export const SIP_STATUS = {
  ERR_REQ_MALFORMED: BAD_REQUEST,
  ERR_REQ_BODY_MISSING: BAD_REQUEST,
  ERR_REQ_CONTENT_TYPE: BAD_REQUEST,
  ERR_REQ_TOO_LARGE: { code: 513, phrase: 'Message Too Large' },
  ERR_REQ_FIELD_MISSING: BAD_REQUEST,
  ERR_REQ_FIELD_INVALID: BAD_REQUEST,
  ERR_REQ_ORIGID_INVALID: BAD_REQUEST,
  ERR_REQ_IAT_INVALID: BAD_REQUEST,
  // RFC 8224 §6.2.1: a Date too far from now is "403 Stale Date".
  ERR_REQ_IAT_STALE: { code: 403, phrase: 'Stale Date' },
  ERR_REQ_NOT_FOUND: { code: 404, phrase: 'Not Found' },
  ERR_REQ_METHOD_NOT_ALLOWED: { code: 405, phrase: 'Method Not Allowed' },
  // Raised by the 3GPP Ms HTTP resources only; SIP's status for an Accept it cannot serve (RFC 3261 §21.4.7).
  ERR_REQ_NOT_ACCEPTABLE: { code: 406, phrase: 'Not Acceptable' },
  ERR_REQ_CONFLICT: FORBIDDEN,
  ERR_TN_INVALID: ADDRESS_INCOMPLETE,
  ERR_URI_INVALID: { code: 416, phrase: 'Unsupported URI Scheme' },
  ERR_DEST_EMPTY: ADDRESS_INCOMPLETE,
  ERR_ATTEST_INVALID: BAD_REQUEST,
  ERR_ATTEST_REFUSED: { code: 603, phrase: 'Decline' },
  ERR_AUTH_MISSING: FORBIDDEN,
  ERR_AUTH_INVALID: FORBIDDEN,
  ERR_AUTH_REVOKED: FORBIDDEN,
  ERR_AUTH_ACCOUNT_DISABLED: FORBIDDEN,
  ERR_CRED_NONE: UNAVAILABLE,
  ERR_CRED_EXPIRED: UNAVAILABLE,
  ERR_CRED_NOT_YET_VALID: UNAVAILABLE,
  ERR_CRED_KEY_MISMATCH: UNAVAILABLE,
  ERR_CRED_INVALID: UNAVAILABLE,
  ERR_KEYSTORE_UNAVAILABLE: UNAVAILABLE,
  ERR_KEYSTORE_KEY_NOT_FOUND: UNAVAILABLE,
  ERR_KEYSTORE_CONFIG: UNAVAILABLE,
  ERR_KEYSTORE_LOGIN_FAILED: UNAVAILABLE,
  ERR_STORE_UNAVAILABLE: UNAVAILABLE,
  // The dashboard's codes never reach SIP; mapped as the API key refusals and overloads above are.
  ERR_LOGIN_FAILED: FORBIDDEN,
  ERR_LOGIN_RATE_LIMITED: UNAVAILABLE,
  ERR_LOGIN_BUSY: UNAVAILABLE,
  ERR_SESSION_REQUIRED: FORBIDDEN,
  ERR_SESSION_CSRF: FORBIDDEN,
  ERR_ROLE_FORBIDDEN: FORBIDDEN,
  ERR_INTERNAL: { code: 500, phrase: 'Server Internal Error' },
} as const satisfies Record<ErrorCode, SipStatus>;
