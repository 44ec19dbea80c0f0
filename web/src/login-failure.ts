import { ApiError, errorText } from './api.js';

/** "Try again in …", in the unit the wait is best read in. */
function waitText(retryAfterSec: number | undefined): string {
  if (!retryAfterSec) return ' Try again later.';
  if (retryAfterSec < 60) return ` Try again in ${retryAfterSec} second(s).`;
  return ` Try again in ${Math.ceil(retryAfterSec / 60)} minute(s).`;
}

/**
 * Why a sign-in failed, in words a person can act on. Two limits answer 429 ERR_LOGIN_RATE_LIMITED: the login
 * gate's, on attempts from one address whatever the username ("… from this address"), and the limiter's, on
 * failed attempts for one username from that address. Only their reasons tell them apart.
 */
export function loginFailure(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'Wrong username or password.';
    if (err.status === 429) {
      if (/from this address/.test(err.reason)) return `Too many sign-in attempts from this address.${waitText(err.retryAfterSec)}`;
      return `Too many failed sign-ins for this username.${waitText(err.retryAfterSec)}`;
    }
  }
  return errorText(err);
}
