import type { ErrorCode, ShakenError } from '../core/errors.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_STATUS, toShakenError } from './errors.js';

// ATIS-1000082 §6 error bodies: {"requestError":{"serviceException"|"policyException":{messageId,text,variables}}}.
// SVC4000-SVC4007 and POL5000 are the standard's; the POL1xxx ids are ours, in the range Parlay X leaves to
// implementers, for outcomes the standard does not name (authentication, unusable credential).
type AtisMessage = { id: string; text: string };

const MISSING: AtisMessage = { id: 'SVC4001', text: "Missing mandatory parameter '%1'" };
const INVALID: AtisMessage = { id: 'SVC4005', text: "Invalid '%1' parameter value: %2" };

export const ATIS_MESSAGE = {
  ERR_REQ_MALFORMED: { id: 'SVC4006', text: 'Failed to parse received message body: %1' },
  ERR_REQ_CONTENT_TYPE: { id: 'SVC4004', text: "Unsupported request body type, expected '%1'" },
  ERR_REQ_TOO_LARGE: { id: 'SVC4006', text: 'Failed to parse received message body: %1' },
  ERR_REQ_FIELD_MISSING: MISSING,
  ERR_REQ_FIELD_INVALID: INVALID,
  ERR_REQ_ORIGID_INVALID: INVALID,
  ERR_REQ_IAT_INVALID: INVALID,
  ERR_REQ_IAT_STALE: INVALID,
  ERR_REQ_NOT_FOUND: { id: 'SVC4003', text: 'Requested resource was not found' },
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

function variablesFor(e: ShakenError, m: AtisMessage): string[] {
  if (m === MISSING) return [e.field ?? ''];
  if (m.text.includes('%2')) return [e.field ?? '', e.reason];
  if (e.code === 'ERR_REQ_CONTENT_TYPE') return ['application/json'];
  return m.text.includes('%1') ? [e.reason] : [];
}

/** The route-level error handler of the ATIS-1000082 endpoints: the standard's error bodies, not ours. */
export function atisErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toShakenError(err);
  if (e.code === 'ERR_INTERNAL') request.log.error({ err }, 'unhandled error');
  const { status, body } = atisError(e);
  return reply.code(status).send(body);
}

export function atisError(e: ShakenError): { status: number; body: unknown } {
  const m: AtisMessage = ATIS_MESSAGE[e.code];
  const kind = m.id.startsWith('SVC') ? 'serviceException' : 'policyException';
  return { status: HTTP_STATUS[e.code], body: { requestError: { [kind]: { messageId: m.id, text: m.text, variables: variablesFor(e, m) } } } };
}
