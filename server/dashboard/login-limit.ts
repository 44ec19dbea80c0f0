import { createHash } from 'node:crypto';
import type { Clock } from '../core/ports.js';
import type { Store } from '../store/store.js';
import { ShakenError } from '../core/errors.js';

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const LOGIN_MAX_FAILURES = 5;

/**
 * Login attempts per username and client address, counted in the store so that the limit holds across cluster
 * workers and nodes: 5 attempts in a 15-minute window are checked; further attempts in that window (right
 * password or not) get 429 until it ends. An attempt is counted before its password is checked, in one atomic
 * statement, so parallel guesses cannot all pass a count that none of them has raised yet; a successful login
 * clears the count, so only failures remain counted.
 */
export class LoginLimiter {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  private key(username: string, address: string): string {
    return createHash('sha256').update(`${username.toLowerCase()}\0${address}`, 'utf8').digest('hex');
  }

  /** Counts this attempt, or throws ERR_LOGIN_RATE_LIMITED when the window's attempts are used up. */
  async reserve(username: string, address: string): Promise<void> {
    const now = this.clock.now();
    const { attempts, windowStartMs } = await this.store.dashboard.reserveLoginAttempt(this.key(username, address), now, LOGIN_WINDOW_MS);
    if (attempts > LOGIN_MAX_FAILURES) {
      const retryAfterSec = Math.max(1, Math.ceil((windowStartMs + LOGIN_WINDOW_MS - now) / 1000));
      throw new ShakenError('ERR_LOGIN_RATE_LIMITED', `too many failed logins; try again in ${retryAfterSec} s`, { retryAfterSec });
    }
  }

  succeeded(username: string, address: string): Promise<void> {
    return this.store.dashboard.clearLoginAttempts(this.key(username, address));
  }
}
