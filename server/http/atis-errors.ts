import { DASHBOARD_ERROR_CODES, ShakenError, type ErrorCode } from '../core/errors.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_STATUS, toShakenError } from './errors.js';

// ATIS-1000082 §6 error bodies: {"requestError":{"serviceException"|"policyException":{messageId,text,variables}}}.
// SVC4000-SVC4006, POL4050 and POL5000 are the standard's; the POL1xxx ids are ours, in the range Parlay X leaves
// to implementers, for outcomes the standard does not name (authentication, unusable credential). SVC4002 (an
// Accept we cannot serve) and SVC4007 (no Content-Length) are never answered: every answer is JSON, and Node reads
// chunked bodies.
type AtisMessage = { id: string; text: string };

const MISSING: AtisMessage = { id: 'SVC4001', text: "Missing mandatory parameter '%1'" };
const INVALID: AtisMessage = { id: 'SVC4005', text: "Invalid '%1' parameter value: %2" };

export const ATIS_MESSAGE = {
  ERR_REQ_MALFORMED: { id: 'SVC4006', text: 'Failed to parse received message body: %1' },
  ERR_REQ_BODY_MISSING: { id: 'SVC4000', text: 'Missing request body' },
  ERR_REQ_CONTENT_TYPE: { id: 'SVC4004', text: "Unsupported request body type, expected '%1'" },
  ERR_REQ_TOO_LARGE: { id: 'SVC4006', text: 'Failed to parse received message body: %1' },
  ERR_REQ_FIELD_MISSING: MISSING,
  ERR_REQ_FIELD_INVALID: INVALID,
  ERR_REQ_ORIGID_INVALID: INVALID,
  ERR_REQ_IAT_INVALID: INVALID,
  ERR_REQ_IAT_STALE: INVALID,
  ERR_REQ_NOT_FOUND: { id: 'SVC4003', text: 'Requested resource was not found' },
  ERR_REQ_METHOD_NOT_ALLOWED: { id: 'POL4050', text: 'Method not allowed' },
  // Raised only by the 3GPP Ms resources (http/ms-errors.ts); ATIS-1000082's id for the same refusal.
  ERR_REQ_NOT_ACCEPTABLE: { id: 'SVC4002', text: "Requested response body type '%1' is not supported" },
  // Management only: never raised on these resources; the message of its HTTP class.
  ERR_REQ_CONFLICT: { id: 'POL1004', text: 'Conflict: %1' },
  ERR_TN_INVALID: INVALID,
  ERR_URI_INVALID: INVALID,
  ERR_DEST_EMPTY: INVALID,
  ERR_ATTEST_INVALID: INVALID,
  ERR_ATTEST_REFUSED: { id: 'POL1002', text: 'Not authorized: %1' },
  ERR_AUTH_MISSING: { id: 'POL1001', text: 'Authentication required: %1' },
  ERR_AUTH_INVALID: { id: 'POL1001', text: 'Authentication required: %1' },
  ERR_AUTH_REVOKED: { id: 'POL1002', text: 'Not authorized: %1' },
  ERR_AUTH_ACCOUNT_DISABLED: { id: 'POL1002', text: 'Not authorized: %1' },
  ERR_CRED_NONE: { id: 'POL1003', text: 'No usable signing credential: %1' },
  ERR_CRED_EXPIRED: { id: 'POL1003', text: 'No usable signing credential: %1' },
  ERR_CRED_NOT_YET_VALID: { id: 'POL1003', text: 'No usable signing credential: %1' },
  ERR_CRED_KEY_MISMATCH: { id: 'POL1003', text: 'No usable signing credential: %1' },
  ERR_CRED_INVALID: { id: 'POL1003', text: 'No usable signing credential: %1' },
  ERR_KEYSTORE_UNAVAILABLE: { id: 'POL5000', text: 'Internal Server Error. Please try again later' },
  ERR_KEYSTORE_KEY_NOT_FOUND: { id: 'POL1003', text: 'No usable signing credential: %1' },
  ERR_KEYSTORE_CONFIG: { id: 'POL5000', text: 'Internal Server Error. Please try again later' },
  ERR_KEYSTORE_LOGIN_FAILED: { id: 'POL5000', text: 'Internal Server Error. Please try again later' },
  ERR_STORE_UNAVAILABLE: { id: 'POL5000', text: 'Internal Server Error. Please try again later' },
  // The dashboard's codes never reach these endpoints; each gets the message of its HTTP class.
  ERR_LOGIN_FAILED: { id: 'POL1001', text: 'Authentication required: %1' },
  ERR_LOGIN_RATE_LIMITED: { id: 'POL1005', text: 'Too many requests: %1' },
  ERR_LOGIN_BUSY: { id: 'POL5000', text: 'Internal Server Error. Please try again later' },
  ERR_SESSION_REQUIRED: { id: 'POL1001', text: 'Authentication required: %1' },
  ERR_SESSION_CSRF: { id: 'POL1002', text: 'Not authorized: %1' },
  ERR_ROLE_FORBIDDEN: { id: 'POL1002', text: 'Not authorized: %1' },
  ERR_INTERNAL: { id: 'POL5000', text: 'Internal Server Error. Please try again later' },
} as const satisfies Record<ErrorCode, AtisMessage>;

/**
 * Codes that no request to an ATIS-1000082 resource can raise: the dashboard's, management's and the 3GPP Ms
 * resources' Accept refusal (these resources never refuse an Accept: every answer is JSON). The others'
 * message ids are the list of answers in README.md (checked by test/http/atis-error-table.test.ts).
 */
export const NOT_RAISED_ON_ATIS_RESOURCES: readonly ErrorCode[] = ['ERR_REQ_CONFLICT', 'ERR_REQ_NOT_ACCEPTABLE', ...DASHBOARD_ERROR_CODES];

/** Every message id an ATIS-1000082 resource can answer, in the table's order. */
export const ATIS_ANSWERABLE_IDS: readonly string[] = [
  ...new Set((Object.entries(ATIS_MESSAGE) as [ErrorCode, AtisMessage][]).filter(([code]) => !NOT_RAISED_ON_ATIS_RESOURCES.includes(code)).map(([, m]) => m.id)),
];

/** The ATIS-1000082 resources and the one method each offers (RFC 9110 §15.5.6: a 405 names them in Allow). */
export const ATIS_RESOURCES: Readonly<Record<string, string>> = { '/stir/v1/signing': 'POST', '/stir/v1/verification': 'POST' };
const ATIS_PREFIX = '/stir/v1/';

function variablesFor(e: ShakenError, m: AtisMessage): string[] {
  if (m === MISSING) return [e.field ?? ''];
  if (m.text.includes('%2')) return [e.field ?? '', e.reason];
  if (e.code === 'ERR_REQ_CONTENT_TYPE') return ['application/json'];
  return m.text.includes('%1') ? [e.reason] : [];
}

/**
 * ATIS-1000082 tells an empty body (SVC4000) from one that does not parse (SVC4006); fastify reports an empty
 * JSON body as its own error, which our API answers ERR_REQ_MALFORMED. Here it is ERR_REQ_BODY_MISSING.
 */
function toAtisShakenError(err: unknown): ShakenError {
  if ((err as { code?: unknown } | null)?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new ShakenError('ERR_REQ_BODY_MISSING', 'the request has no body', { cause: err });
  return toShakenError(err);
}

/** The route-level error handler of the ATIS-1000082 endpoints: the standard's error bodies, not ours. */
export function atisErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toAtisShakenError(err);
  if (e.code === 'ERR_INTERNAL') request.log.error({ err }, 'unhandled error');
  const { status, body } = atisError(e);
  return reply.code(status).send(body);
}

export function atisError(e: ShakenError): { status: number; body: unknown } {
  const m: AtisMessage = ATIS_MESSAGE[e.code];
  const kind = m.id.startsWith('SVC') ? 'serviceException' : 'policyException';
  return { status: HTTP_STATUS[e.code], body: { requestError: { [kind]: { messageId: m.id, text: m.text, variables: variablesFor(e, m) } } } };
}

/**
 * The not-found answer under `/stir/v1/`: a resource there asked with another method is 405 POL4050 with
 * `Allow` (RFC 9110 §15.5.6); any other path is 404 SVC4003. Returns false for paths outside the prefix, which
 * keep our own 404.
 */
export function answerAtisNoRoute(request: FastifyRequest, reply: FastifyReply): boolean {
  const path = request.url.split('?')[0]!;
  if (!path.startsWith(ATIS_PREFIX)) return false;
  const allow = ATIS_RESOURCES[path];
  const e = allow
    ? new ShakenError('ERR_REQ_METHOD_NOT_ALLOWED', `${request.method.slice(0, 20)} is not allowed on ${path}; use ${allow}`)
    : new ShakenError('ERR_REQ_NOT_FOUND', `no resource ${path.slice(0, 200)}`);
  if (allow) void reply.header('allow', allow);
  const { status, body } = atisError(e);
  void reply.code(status).send(body);
  return true;
}
