import type { FastifyReply, FastifyRequest } from 'fastify';
import { ShakenError, isShakenError, type ErrorCode } from '../core/errors.js';

/** The HTTP status of every error code: the one mapping for the whole HTTP surface (API, admin, dashboard). */
export const HTTP_STATUS = {
  ERR_REQ_MALFORMED: 400,
  ERR_REQ_BODY_MISSING: 400,
  ERR_REQ_CONTENT_TYPE: 415,
  ERR_REQ_TOO_LARGE: 413,
  ERR_REQ_FIELD_MISSING: 400,
  ERR_REQ_FIELD_INVALID: 400,
  ERR_REQ_ORIGID_INVALID: 400,
  ERR_REQ_IAT_INVALID: 400,
  ERR_REQ_IAT_STALE: 400,
  ERR_REQ_NOT_FOUND: 404,
  ERR_REQ_METHOD_NOT_ALLOWED: 405,
  ERR_REQ_NOT_ACCEPTABLE: 406,
  ERR_REQ_CONFLICT: 409,
  ERR_TN_INVALID: 400,
  ERR_URI_INVALID: 400,
  ERR_DEST_EMPTY: 400,
  ERR_ATTEST_INVALID: 400,
  ERR_ATTEST_REFUSED: 403,
  ERR_AUTH_MISSING: 401,
  ERR_AUTH_INVALID: 401,
  ERR_AUTH_REVOKED: 403,
  ERR_AUTH_ACCOUNT_DISABLED: 403,
  ERR_CRED_NONE: 409,
  ERR_CRED_EXPIRED: 409,
  ERR_CRED_NOT_YET_VALID: 409,
  ERR_CRED_KEY_MISMATCH: 409,
  ERR_CRED_INVALID: 409,
  ERR_KEYSTORE_UNAVAILABLE: 503,
  ERR_KEYSTORE_KEY_NOT_FOUND: 409,
  ERR_KEYSTORE_CONFIG: 503,
  ERR_KEYSTORE_LOGIN_FAILED: 503,
  ERR_STORE_UNAVAILABLE: 503,
  ERR_LOGIN_FAILED: 401,
  ERR_LOGIN_RATE_LIMITED: 429,
  ERR_LOGIN_BUSY: 503,
  ERR_SESSION_REQUIRED: 401,
  ERR_SESSION_CSRF: 403,
  ERR_ROLE_FORBIDDEN: 403,
  ERR_INTERNAL: 500,
} as const satisfies Record<ErrorCode, number>;

// fastify's own request errors, translated once into our codes (its body parser runs before our handlers).
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'ERR_REQ_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ERR_REQ_CONTENT_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ERR_REQ_MALFORMED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'ERR_REQ_MALFORMED',
  FST_ERR_CTP_INVALID_JSON_BODY: 'ERR_REQ_MALFORMED',
};

const FASTIFY_REASONS: Partial<Record<ErrorCode, string>> = {
  ERR_REQ_TOO_LARGE: 'request body is larger than the configured limit',
  ERR_REQ_CONTENT_TYPE: 'Content-Type must be application/json',
  ERR_REQ_MALFORMED: 'request body is not valid JSON',
};

/** Turns anything thrown on a request into a ShakenError; unknown errors become ERR_INTERNAL. */
export function toShakenError(err: unknown): ShakenError {
  if (isShakenError(err)) return err;
  const e = err as { code?: string; statusCode?: number } | null;
  const code = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (code) return new ShakenError(code, FASTIFY_REASONS[code]!, { cause: err });
  // fastify's JSON parser marks a syntax error 400 without a code of its own.
  if (e?.statusCode === 400 && err instanceof SyntaxError) {
    return new ShakenError('ERR_REQ_MALFORMED', FASTIFY_REASONS.ERR_REQ_MALFORMED!, { cause: err });
  }
  return new ShakenError('ERR_INTERNAL', 'internal error', { cause: err });
}

/** The one error body of every JSON endpoint but the ATIS-1000082 ones (whose standard fixes theirs). */
export interface HttpErrorBody {
  error: { code: ErrorCode; field?: string; reason: string; details?: unknown };
}

export function httpError(e: ShakenError): { status: number; body: HttpErrorBody } {
  const body: HttpErrorBody = { error: { code: e.code, reason: e.reason } };
  if (e.field) body.error.field = e.field;
  if (e.details !== undefined) body.error.details = e.details;
  return { status: HTTP_STATUS[e.code], body };
}

/**
 * Answers a request with the error `err`: its status, the one body and, for an overload or a rate limit,
 * Retry-After. Anything unknown is ERR_INTERNAL, logged with its stack here and never echoed.
 */
export function sendHttpError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toShakenError(err);
  if (e.code === 'ERR_INTERNAL') request.log.error({ err }, 'unhandled error');
  const { status, body } = httpError(e);
  if (e.retryAfterSec !== undefined) void reply.header('retry-after', String(e.retryAfterSec));
  return reply.code(status).send(body);
}

/** Answers a request no route matched: 404 ERR_REQ_NOT_FOUND naming the method and path (query left out). */
export function sendNoRoute(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0]!.slice(0, 200);
  return sendHttpError(new ShakenError('ERR_REQ_NOT_FOUND', `no route ${request.method} ${path}`), request, reply);
}
