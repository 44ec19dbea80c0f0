import { HTTP_STATUS, toShakenError } from '../http/errors.js';

export type DashboardErrorCode =
  | 'ERR_DASH_LOGIN'
  | 'ERR_DASH_SESSION'
  | 'ERR_DASH_CSRF'
  | 'ERR_DASH_FORBIDDEN'
  | 'ERR_DASH_NOT_FOUND'
  | 'ERR_DASH_INVALID'
  | 'ERR_DASH_CONFLICT'
  | 'ERR_DASH_RATE_LIMITED'
  | 'ERR_DASH_BUSY';

const STATUS = {
  ERR_DASH_LOGIN: 401,
  ERR_DASH_SESSION: 401,
  ERR_DASH_CSRF: 403,
  ERR_DASH_FORBIDDEN: 403,
  ERR_DASH_NOT_FOUND: 404,
  ERR_DASH_INVALID: 400,
  ERR_DASH_CONFLICT: 409,
  ERR_DASH_RATE_LIMITED: 429,
  ERR_DASH_BUSY: 503,
} as const satisfies Record<DashboardErrorCode, number>;

/** A refusal of the dashboard API (docs/dashboard-api.md): `{code, reason, field?}` with its status. */
export class DashboardError extends Error {
  constructor(
    readonly code: DashboardErrorCode,
    readonly reason: string,
    readonly options: { field?: string; retryAfterSec?: number } = {},
  ) {
    super(`${code}: ${reason}`);
    this.name = 'DashboardError';
  }

  get status(): number {
    return STATUS[this.code];
  }
}

export const notFound = (what: string): DashboardError => new DashboardError('ERR_DASH_NOT_FOUND', `${what} does not exist`);
export const invalid = (reason: string, field?: string): DashboardError => new DashboardError('ERR_DASH_INVALID', reason, { field });

export interface DashboardErrorReply {
  status: number;
  body: { code: string; reason: string; field?: string };
  retryAfterSec?: number;
}

/**
 * One mapping for the dashboard API. Core errors keep their code and the status of the HTTP table, except
 * that a missing thing is ERR_DASH_NOT_FOUND and a credential refused at upload is a 400 (the form was wrong,
 * not the account's state). Anything unknown is ERR_INTERNAL, logged by the caller, never echoed.
 */
export function dashboardErrorReply(err: unknown): DashboardErrorReply {
  if (err instanceof DashboardError) {
    return { status: err.status, body: { code: err.code, reason: err.reason, ...(err.options.field && { field: err.options.field }) }, retryAfterSec: err.options.retryAfterSec };
  }
  const e = toShakenError(err);
  if (e.code === 'ERR_REQ_NOT_FOUND') return { status: 404, body: { code: 'ERR_DASH_NOT_FOUND', reason: e.reason } };
  const status = e.code.startsWith('ERR_CRED_') || e.code === 'ERR_KEYSTORE_KEY_NOT_FOUND' ? 400 : HTTP_STATUS[e.code];
  return { status, body: { code: e.code, reason: e.reason, ...(e.field && { field: e.field }) } };
}
