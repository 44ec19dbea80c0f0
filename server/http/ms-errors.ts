import Negotiator from 'negotiator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ShakenError, type ErrorCode } from '../core/errors.js';
import { HTTP_STATUS, toShakenError } from './errors.js';

// The error answers of the 3GPP Ms resources (docs/3gpp-ms.md): `{"error":"…"}`. The texts of the service
// errors (400, 404, 406, 411, 415) and policy errors (405, 500) are those of TS 24.229 Annex V as the public
// OpenAPI description ("3GPP-based Call Authentication APIs") and Oracle's SBC documentation list them; we could
// not read the 3GPP text itself. Each answer is that text, then what was wrong. The statuses are our HTTP table's
// (errors.ts): they are the spec's wherever the spec names the case, and ours (401, 403, 409, 413, 503) where it
// is silent. 411 is never answered: Node reads chunked bodies, so a missing Content-Length harms nothing.
const MISSING_BODY = 'Missing request body';
const MISSING = 'Missing mandatory parameter';
const INVALID = 'Invalid parameter value';
const UNPARSABLE = 'Failed to parse message body';
const UNAUTHORIZED = 'Unauthorized';
const FORBIDDEN = 'Forbidden';
const NO_CREDENTIAL = 'No usable signing credential';
const UNAVAILABLE = 'Service unavailable';
const INTERNAL = 'Internal server error';

export const MS_ERROR_TEXT = {
  ERR_REQ_MALFORMED: UNPARSABLE,
  ERR_REQ_BODY_MISSING: MISSING_BODY,
  ERR_REQ_CONTENT_TYPE: 'Unsupported request body type',
  ERR_REQ_TOO_LARGE: 'Request body too large',
  ERR_REQ_FIELD_MISSING: MISSING,
  ERR_REQ_FIELD_INVALID: INVALID,
  ERR_REQ_ORIGID_INVALID: INVALID,
  ERR_REQ_IAT_INVALID: INVALID,
  ERR_REQ_IAT_STALE: INVALID,
  ERR_REQ_NOT_FOUND: 'Requested resource not found',
  ERR_REQ_METHOD_NOT_ALLOWED: 'Method not allowed',
  ERR_REQ_NOT_ACCEPTABLE: 'Requested response body type is not supported',
  // Management only: never raised on these resources; the text of its HTTP class.
  ERR_REQ_CONFLICT: 'Conflict',
  ERR_TN_INVALID: INVALID,
  ERR_URI_INVALID: INVALID,
  ERR_DEST_EMPTY: INVALID,
  ERR_ATTEST_INVALID: INVALID,
  ERR_ATTEST_REFUSED: FORBIDDEN,
  ERR_AUTH_MISSING: UNAUTHORIZED,
  ERR_AUTH_INVALID: UNAUTHORIZED,
  ERR_AUTH_REVOKED: FORBIDDEN,
  ERR_AUTH_ACCOUNT_DISABLED: FORBIDDEN,
  ERR_CRED_NONE: NO_CREDENTIAL,
  ERR_CRED_EXPIRED: NO_CREDENTIAL,
  ERR_CRED_NOT_YET_VALID: NO_CREDENTIAL,
  ERR_CRED_KEY_MISMATCH: NO_CREDENTIAL,
  ERR_CRED_INVALID: NO_CREDENTIAL,
  ERR_KEYSTORE_UNAVAILABLE: UNAVAILABLE,
  ERR_KEYSTORE_KEY_NOT_FOUND: NO_CREDENTIAL,
  ERR_KEYSTORE_CONFIG: UNAVAILABLE,
  ERR_KEYSTORE_LOGIN_FAILED: UNAVAILABLE,
  ERR_STORE_UNAVAILABLE: UNAVAILABLE,
  // The dashboard's codes never reach these resources; each gets the text of its HTTP class.
  ERR_LOGIN_FAILED: UNAUTHORIZED,
  ERR_LOGIN_RATE_LIMITED: 'Too many requests',
  ERR_LOGIN_BUSY: UNAVAILABLE,
  ERR_SESSION_REQUIRED: UNAUTHORIZED,
  ERR_SESSION_CSRF: FORBIDDEN,
  ERR_ROLE_FORBIDDEN: FORBIDDEN,
  ERR_INTERNAL: INTERNAL,
} as const satisfies Record<ErrorCode, string>;

/** Codes no request to a 3GPP Ms resource can raise: management's and the dashboard's. */
export const NOT_RAISED_ON_MS_RESOURCES: readonly ErrorCode[] = ['ERR_REQ_CONFLICT', 'ERR_LOGIN_FAILED', 'ERR_LOGIN_RATE_LIMITED', 'ERR_LOGIN_BUSY', 'ERR_SESSION_REQUIRED', 'ERR_SESSION_CSRF', 'ERR_ROLE_FORBIDDEN'];

export const MS_PREFIX = '/3gpp/ms/v1/';

/** The 3GPP Ms resources and the methods each offers (RFC 9110 §15.5.6: a 405 names them in Allow). */
export const MS_RESOURCES: Readonly<Record<string, string>> = {
  [`${MS_PREFIX}signing`]: 'POST',
  [`${MS_PREFIX}verification`]: 'POST',
  [`${MS_PREFIX}openapi.json`]: 'GET, HEAD',
};

/**
 * The core names the verification request's members as our own API does; the Ms request calls `identity`
 * `identityHeader` and the number called now (our `ruri`) `dest`. Only the first segment differs.
 */
const MS_FIELD: Readonly<Record<string, string>> = { identity: 'identityHeader', ruri: 'dest' };

function msField(field: string): string {
  const head = /^[A-Za-z]+/.exec(field)?.[0] ?? '';
  const renamed = MS_FIELD[head];
  return renamed === undefined ? field : renamed + field.slice(head.length);
}

export interface MsErrorBody {
  error: string;
}

/** The one mapping of an error to a Ms answer: the status of our HTTP table, the spec's text, then why. */
export function msError(e: ShakenError): { status: number; body: MsErrorBody } {
  const text: string = MS_ERROR_TEXT[e.code];
  // A fault of ours is never explained to the caller (it is logged with its stack).
  if (e.code === 'ERR_INTERNAL') return { status: HTTP_STATUS[e.code], body: { error: text } };
  const field = e.field === undefined ? '' : ` '${msField(e.field)}'`;
  return { status: HTTP_STATUS[e.code], body: { error: `${text}${field}: ${e.reason}` } };
}

/**
 * fastify reports an empty JSON body as its own error, which our API answers ERR_REQ_MALFORMED; the Ms service
 * errors tell it apart ("Missing request body").
 */
function toMsShakenError(err: unknown): ShakenError {
  if ((err as { code?: unknown } | null)?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new ShakenError('ERR_REQ_BODY_MISSING', 'the request has no body', { cause: err });
  return toShakenError(err);
}

/** The route-level error handler of the Ms resources. */
export function msErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toMsShakenError(err);
  if (e.code === 'ERR_INTERNAL') request.log.error({ err }, 'unhandled error');
  const { status, body } = msError(e);
  if (e.code === 'ERR_AUTH_MISSING' || e.code === 'ERR_AUTH_INVALID') void reply.header('www-authenticate', 'Bearer');
  if (e.retryAfterSec !== undefined) void reply.header('retry-after', String(e.retryAfterSec));
  return reply.code(status).send(body);
}

// Every answer is JSON; `charset` is listed so that an Accept naming it matches too (negotiator compares parameters).
const JSON_TYPES = ['application/json', 'application/json; charset=utf-8'];

/**
 * `onRequest` hook of the Ms resources: an Accept that admits no JSON answer is 406 (TS 24.229 Annex V service
 * error), judged before the body is read. No Accept at all means any type (RFC 9110 §12.5.1).
 */
export async function requireJsonAnswer(request: FastifyRequest): Promise<void> {
  const accept = request.headers.accept;
  if (accept === undefined) return;
  if (new Negotiator({ headers: { accept } }).mediaType(JSON_TYPES) === undefined) {
    throw new ShakenError('ERR_REQ_NOT_ACCEPTABLE', `every answer is application/json; Accept was ${JSON.stringify(accept.slice(0, 100))}`, { field: 'Accept' });
  }
}

/**
 * The not-found answer under `/3gpp/ms/v1/`: a resource there asked with another method is 405 with `Allow`;
 * any other path 404. Returns false for paths outside the prefix.
 */
export function answerMsNoRoute(request: FastifyRequest, reply: FastifyReply): boolean {
  const path = request.url.split('?')[0]!;
  if (!path.startsWith(MS_PREFIX)) return false;
  const allow = MS_RESOURCES[path];
  const e = allow
    ? new ShakenError('ERR_REQ_METHOD_NOT_ALLOWED', `${request.method.slice(0, 20)} is not allowed on ${path}; use ${allow}`)
    : new ShakenError('ERR_REQ_NOT_FOUND', `no resource ${path.slice(0, 200)}`);
  if (allow) void reply.header('allow', allow);
  const { status, body } = msError(e);
  void reply.code(status).send(body);
  return true;
}
