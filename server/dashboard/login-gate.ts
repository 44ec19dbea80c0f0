import type { Clock } from '../core/ports.js';
import { ShakenError } from '../core/errors.js';
import { sourceKey } from '../net/connection-guard.js';
import { makeRoom } from '../core/oldest-first.js';

export interface LoginGateOptions {
  /** Logins in progress at once; at least 1. */
  maxPending: number;
  /** Attempts per minute per source, bursting up to the same number; 0: no per-source limit. */
  ratePerMinute: number;
  /** Sources remembered at most; the least recently seen is forgotten first. */
  maxSources?: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/**
 * The first thing a login meets, in memory and before any store or hashing work, so that a flood of
 * unauthenticated logins costs little more than parsing it: a token bucket per client address, and a cap on
 * logins in progress in this process (each holds a place in the password threads' queue). Per process on
 * purpose: the shared, store-backed count of failures per user (login-limit.ts) comes after it.
 */
export class LoginGate {
  private pending = 0;
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxPending: number;
  private readonly maxSources: number;

  constructor(
    private readonly clock: Clock,
    private readonly options: LoginGateOptions,
  ) {
    this.maxPending = Math.max(1, options.maxPending);
    this.maxSources = options.maxSources ?? 10_000;
  }

  /**
   * Admits a login from `address` or throws ERR_LOGIN_RATE_LIMITED (429, this source is too fast) or
   * ERR_LOGIN_BUSY (503, too many logins in progress). The caller must call the returned function once the
   * login's work is done, whatever its outcome.
   */
  enter(address: string): () => void {
    this.takeToken(address);
    if (this.pending >= this.maxPending) {
      throw new ShakenError('ERR_LOGIN_BUSY', 'too many logins in progress; try again shortly', { retryAfterSec: 1 });
    }
    this.pending++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.pending--;
    };
  }

  private takeToken(address: string): void {
    const rate = this.options.ratePerMinute;
    if (rate <= 0) return;
    const key = sourceKey(address);
    const now = this.clock.now();
    const perMs = rate / 60_000;
    const old = this.buckets.get(key);
    const tokens = old ? Math.min(rate, old.tokens + Math.max(0, now - old.atMs) * perMs) : rate;
    // Re-inserted at the end: the Map's order is then least recently seen first.
    this.buckets.delete(key);
    // Bounded memory however many addresses a flood comes from: a forgotten source starts with a full bucket.
    makeRoom([this.buckets], this.maxSources);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, atMs: now });
      throw new ShakenError('ERR_LOGIN_RATE_LIMITED', 'too many logins from this address; try again later', {
        retryAfterSec: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)),
      });
    }
    this.buckets.set(key, { tokens: tokens - 1, atMs: now });
  }
}
