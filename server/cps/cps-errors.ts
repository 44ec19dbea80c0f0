import type { CpsRefusal } from '../core/cps/cps-result.js';

/**
 * The CPS's one HTTP table. 401 when the request is not authenticated (RFC 9110 §15.5.2), 403 when the
 * authenticated provider may not do this, 404 when nothing is stored, 429 and 503 with Retry-After. The numbers
 * follow HTTP semantics: the ATIS texts' own response tables could not be read (docs/out-of-band.md).
 */
export const CPS_HTTP_STATUS = {
  token_missing: 401,
  token_refused: 401,
  forbidden: 403,
  token_replayed: 403,
  request_invalid: 400,
  rate_limited: 429,
  not_found: 404,
  unavailable: 503,
} as const satisfies Record<CpsRefusal, number>;
