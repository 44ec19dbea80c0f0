import type { LinkedContentCache } from '../core/rcd/linked-content.js';
import type { RcdContentDeps } from '../manage/rcd-profiles.js';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Clock, KeySigner } from '../core/ports.js';
import type { Config } from '../config/schema.js';
import type { SoftwareKeyStore } from '../../hsm/software/software-store.js';
import type { DashboardUserRecord } from '../store/dashboard-store.js';
import type { Insights } from './insight-service.js';
import type { Store } from '../store/store.js';
import { writeAudit, type AuditInput } from '../manage/audit.js';
import { ShakenError } from '../core/errors.js';
import type { LiveTails } from './live-tail.js';
import type { LoginGate } from './login-gate.js';
import type { LoginLimiter } from './login-limit.js';
import type { PasswordHasher } from './password-hasher.js';
import type { ActiveSession, DashboardSessions } from './sessions.js';

/** The key stores a credential upload writes to (the software one) or reads a key reference from (any). */
export interface DashboardKeys {
  software: SoftwareKeyStore;
  router: KeySigner;
}

/** What the dashboard routes share. */
export interface DashboardContext {
  store: Store;
  keys: DashboardKeys;
  clock: Clock;
  logger: Logger;
  config: Config;
  sessions: DashboardSessions;
  /** Per-address rate and the cap on logins in progress, checked before any store or hashing work. */
  gate: LoginGate;
  limiter: LoginLimiter;
  /** Every password hash and check of the dashboard, on threads of its own (never the signing pool). */
  passwords: PasswordHasher;
  tails: LiveTails;
  /** The heavy request-log queries of stats and reports, off the event loop where the engine is synchronous. */
  insights: Insights;
  /** How RCD profiles' linked content is fetched, and the logos fetched for showing. */
  rcdContent: RcdContentDeps;
  logos: LinkedContentCache;
  /** The base URL of hosted x5u links, known once the server listens (port 0 in tests). */
  publicUrl(): string;
}

const active = new WeakMap<FastifyRequest, ActiveSession>();

export function setSession(request: FastifyRequest, s: ActiveSession): void {
  active.set(request, s);
}

/** The request's session; the auth hook has made sure there is one on every route but the login. */
export function sessionOf(request: FastifyRequest): ActiveSession {
  const s = active.get(request);
  if (!s) throw new ShakenError('ERR_SESSION_REQUIRED', 'log in first');
  return s;
}

export const userOf = (request: FastifyRequest): DashboardUserRecord => sessionOf(request).user;

export function audit(ctx: DashboardContext, request: FastifyRequest, e: AuditInput): Promise<void> {
  return writeAudit(ctx.store, ctx.clock, userOf(request), e);
}

/** A JSON object body, or a 400. */
export function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new ShakenError('ERR_REQ_MALFORMED', 'the body must be a JSON object', { field: 'body' });
  return b as Record<string, unknown>;
}
