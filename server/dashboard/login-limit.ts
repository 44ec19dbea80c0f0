import { createHash } from 'node:crypto';
import type { Clock } from '../core/ports.js';
import type { Store } from '../store/store.js';
import { DashboardError } from './errors.js';

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const LOGIN_MAX_FAILURES = 5;

/**
 * Login rate limiting per username and client address, counted in the store so that it holds across cluster
 * workers and nodes: after 5 failures within 15 minutes, further attempts (right password or not) get 429
 * until the oldest failure leaves the window. A success clears the count.
 */
export class LoginLimiter {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  private key(username: string, address: string): string {
    return createHash('sha256').update(`${username.toLowerCase()}\0${address}`, 'utf8').digest('hex');
  }

  async check(username: string, address: string): Promise<void> {
    const now = this.clock.now();
    const { count, oldest } = await this.store.dashboard.loginFailures(this.key(username, address), now - LOGIN_WINDOW_MS);
    if (count >= LOGIN_MAX_FAILURES) {
      const retryAfterSec = Math.max(1, Math.ceil(((oldest ?? now) + LOGIN_WINDOW_MS - now) / 1000));
      throw new DashboardError('ERR_DASH_RATE_LIMITED', `too many failed logins; try again in ${retryAfterSec} s`, { retryAfterSec });
    }
  }

  failed(username: string, address: string): Promise<void> {
    return this.store.dashboard.recordLoginFailure(this.key(username, address), this.clock.now());
  }

  succeeded(username: string, address: string): Promise<void> {
    return this.store.dashboard.clearLoginFailures(this.key(username, address));
  }
}
