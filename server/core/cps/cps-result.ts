/**
 * Every way the CPS refuses a request, as data. Each transport maps them once (server/cps/cps-errors.ts,
 * `satisfies Record<CpsRefusal, …>`).
 */
export type CpsRefusal =
  /** No `Authorization: Bearer <JWT>`. */
  | 'token_missing'
  /** The token failed the verifier's checks: signature, certificate path to the STI-CA anchors, validity, freshness. */
  | 'token_refused'
  /** Authenticated, but not allowed: wrong aud or action, iss/spc not the certificate's SPC, orig/dest or digest not the request's. */
  | 'forbidden'
  /** A token (jti) seen before. */
  | 'token_replayed'
  /** Path, body, exp or a PASSporT malformed or out of bounds. */
  | 'request_invalid'
  /** More requests from this provider in this second than the CPS allows. */
  | 'rate_limited'
  /** No unexpired PASSporT for this called and calling number. */
  | 'not_found'
  /** The PASSporT store (Redis) does not answer. */
  | 'unavailable';

export type CpsResult =
  | { ok: true; kind: 'stored'; count: number; exp: number }
  | { ok: true; kind: 'found'; passports: string[] }
  | { ok: true; kind: 'healthy' }
  | { ok: false; refusal: CpsRefusal; detail: string; retryAfterSec?: number };

export function refused(refusal: CpsRefusal, detail: string, retryAfterSec?: number): CpsResult {
  return retryAfterSec === undefined ? { ok: false, refusal, detail } : { ok: false, refusal, detail, retryAfterSec };
}
