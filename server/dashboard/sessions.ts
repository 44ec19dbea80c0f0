import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/ports.js';
import type { DashboardSessionRecord, DashboardUserRecord } from '../store/dashboard-store.js';
import type { Store } from '../store/store.js';

export const SESSION_COOKIE = 'shakenstack_session';
/** Writing last-seen on every request would make each read a write; a minute of slack on the idle timeout is fine. */
const TOUCH_EVERY_MS = 60_000;

export interface SessionOptions {
  /** Idle expiry. */
  idleMs: number;
  /** Absolute expiry from login. */
  maxMs: number;
  /** Secure cookie attribute: set when the public URL is https. */
  secure: boolean;
}

export interface ActiveSession {
  session: DashboardSessionRecord;
  user: DashboardUserRecord;
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** The value of one cookie in a Cookie header (RFC 6265 §5.4: `name=value` pairs joined by `; `). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Server-side sessions in the store, so any worker or node accepts a cookie another one issued. The cookie
 * holds only a random 256-bit id; the store keeps its SHA-256, the user, a CSRF token and the expiry times.
 */
export class DashboardSessions {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: SessionOptions,
  ) {}

  async open(user: DashboardUserRecord): Promise<{ cookie: string; csrfToken: string }> {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const csrfToken = randomBytes(32).toString('base64url');
    await this.store.dashboard.createSession({
      idHash: sha256(id),
      userId: user.id,
      csrfToken,
      createdAt: new Date(now),
      lastSeenAt: new Date(now),
      expiresAt: new Date(now + this.options.maxMs),
    });
    return { cookie: this.cookie(id, Math.floor(this.options.maxMs / 1000)), csrfToken };
  }

  /** The live session named by the request's cookie, or undefined (none, unknown, idle too long, too old). */
  async resolve(cookieHeader: string | undefined): Promise<ActiveSession | undefined> {
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    if (!id || id.length > 100) return undefined;
    const idHash = sha256(id);
    const session = await this.store.dashboard.getSession(idHash);
    if (!session) return undefined;
    const now = this.clock.now();
    if (now >= session.expiresAt.getTime() || now - session.lastSeenAt.getTime() >= this.options.idleMs) {
      await this.store.dashboard.deleteSession(idHash);
      return undefined;
    }
    const user = await this.store.dashboard.getUser(session.userId);
    if (!user) return undefined;
    if (now - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await this.store.dashboard.touchSession(idHash, now);
    return { session, user };
  }

  async close(cookieHeader: string | undefined): Promise<void> {
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    if (id) await this.store.dashboard.deleteSession(sha256(id));
  }

  /** A Set-Cookie that removes the session cookie. */
  clearedCookie(): string {
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAgeSec: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}${this.options.secure ? '; Secure' : ''}`;
  }
}

/** Constant-time check of the X-CSRF-Token header against the session's token. */
export function csrfMatches(session: DashboardSessionRecord, header: unknown): boolean {
  if (typeof header !== 'string' || header === '') return false;
  const a = Buffer.from(sha256(header));
  const b = Buffer.from(sha256(session.csrfToken));
  return timingSafeEqual(a, b);
}
