import type { RequestLogRecord } from '../core/ports.js';
import type { Attestation, RequestKind, Transport } from '../core/types.js';
import type { DashboardRole } from './dashboard-schema.js';
import type { PassportFilter } from './passport-filter.js';

export type { DashboardRole } from './dashboard-schema.js';

export interface DashboardUserRecord {
  id: string;
  username: string;
  /** scrypt hash string (see server/dashboard/passwords.ts); never leaves the server. */
  passwordHash: string;
  role: DashboardRole;
  accountId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewDashboardUser {
  username: string;
  passwordHash: string;
  role: DashboardRole;
  accountId: string | null;
}

export interface DashboardUserPatch {
  passwordHash?: string;
  role?: DashboardRole;
  accountId?: string | null;
}

export interface DashboardSessionRecord {
  idHash: string;
  userId: string;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

export interface AuditEntry {
  time: Date;
  userId: string | null;
  username: string;
  action: string;
  target: string;
  accountId: string | null;
  detail: string | null;
}

/** A request-log row with its store id (the live tail's cursor). */
export interface LogRow extends RequestLogRecord {
  id: number;
}

export interface LogRowFilter {
  accountId?: string;
  transport?: Transport;
  outcome?: 'ok' | 'error';
  /** Rows whose PASSporT list names this kind, or (`forwarded`) any diversion PASSporT: div or div-o (RFC 8946). */
  passport?: PassportFilter;
  /** Canonical digits: matches orig or any one of the dest numbers exactly. */
  number?: string;
  /** Rows with a smaller id (paging back). */
  beforeId?: number;
  /** Rows with a larger id (the live tail); ordered oldest first then. */
  afterId?: number;
  limit: number;
}

export interface TimeWindow {
  /** Inclusive, epoch ms. */
  since: number;
  /** Exclusive, epoch ms. */
  until: number;
  accountId?: string;
}

export interface StatsBucketRow {
  /** Bucket index from `since`, 0-based. */
  bucket: number;
  count: number;
  errors: number;
  A: number;
  B: number;
  C: number;
  /** Requests (sign or verify, any outcome) of forwarded calls: a div or div-o among their PASSporTs. */
  forwarded: number;
  /** Requests of branded calls (RFC 9795): signed under an RCD profile, or verified with RCD. */
  branded: number;
}

export interface LatencySample {
  time: number;
  latencyUs: number;
  apiKeyId: string | null;
  transport: Transport;
}

export interface IntegrationRow {
  apiKeyId: string | null;
  transport: Transport;
  count: number;
  errors: number;
  lastSeen: number;
}

export interface SignedCountRow {
  accountId: string | null;
  attest: Attestation | null;
  count: number;
}

/** Forwarded calls (their PASSporTs include a div or div-o, RFC 8946) signed or verified successfully, by account. */
export interface ForwardedCountRow {
  accountId: string | null;
  kind: RequestKind;
  count: number;
}

/**
 * Branded calls (RFC 9795 Rich Call Data) by account: successful signatures by the RCD profile they used
 * (`verified` null), and verifications of any outcome by whether their RCD verified (`profile` null).
 */
export interface BrandedCountRow {
  accountId: string | null;
  kind: RequestKind;
  profile: string | null;
  verified: boolean | null;
  count: number;
}

export interface FailureCountRow {
  errorCode: string | null;
  count: number;
}

/**
 * What the dashboard keeps and asks of the store: users, sessions, login failures, the audit log, and the
 * request-log queries behind logs, stats, reports and retention. Same queries on both engines.
 */
export interface DashboardStore {
  createUser(u: NewDashboardUser): Promise<DashboardUserRecord>;
  getUser(id: string): Promise<DashboardUserRecord | undefined>;
  findUserByUsername(username: string): Promise<DashboardUserRecord | undefined>;
  listUsers(): Promise<DashboardUserRecord[]>;
  countUsers(): Promise<number>;
  /** ERR_REQ_NOT_FOUND for an unknown id. Changing the password or role ends the user's sessions. */
  updateUser(id: string, patch: DashboardUserPatch): Promise<DashboardUserRecord>;
  /** Removes the user and its sessions; ERR_REQ_NOT_FOUND for an unknown id. */
  removeUser(id: string): Promise<DashboardUserRecord>;

  createSession(s: DashboardSessionRecord): Promise<void>;
  getSession(idHash: string): Promise<DashboardSessionRecord | undefined>;
  touchSession(idHash: string, lastSeenMs: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** Deletes sessions past their absolute expiry or idle for longer than `idleMs`; returns how many. */
  purgeSessions(nowMs: number, idleMs: number): Promise<number>;

  /**
   * Counts one login attempt for `key`, atomically on both engines (one upsert), and returns the attempts in the
   * current window including this one and when that window began. A window older than `windowMs` starts over at
   * this attempt. Concurrent calls for one key each get a different count.
   */
  reserveLoginAttempt(key: string, nowMs: number, windowMs: number): Promise<{ attempts: number; windowStartMs: number }>;
  /** A successful login: the key's attempts are forgotten. */
  clearLoginAttempts(key: string): Promise<void>;
  /** Deletes windows that began before `beforeMs`; returns how many. */
  purgeLoginAttempts(beforeMs: number): Promise<number>;

  appendAudit(e: AuditEntry): Promise<void>;
  /** Newest first; with `accountId`, only that account's entries. */
  listAudit(q: { accountId?: string; limit: number }): Promise<AuditEntry[]>;

  /** Claims the once-a-day expiry notice for a credential; false when some process already sent it that day. */
  claimExpiryNotice(credentialId: string, day: string): Promise<boolean>;

  logRows(f: LogRowFilter): Promise<LogRow[]>;
  /** The newest request-log id, 0 when empty: where a live tail starts. */
  lastLogId(): Promise<number>;
  countLogRows(w: TimeWindow): Promise<number>;
  statsBuckets(w: TimeWindow, bucketMs: number): Promise<StatsBucketRow[]>;
  /** Latencies in the window; every `every`-th row by id when the window holds more than the caller can take. */
  latencySamples(w: TimeWindow, every: number): Promise<LatencySample[]>;
  integrations(w: TimeWindow): Promise<IntegrationRow[]>;
  /** Signatures that succeeded, by account and applied attestation. */
  signedByAccount(w: TimeWindow): Promise<SignedCountRow[]>;
  /** Successful signatures and verifications of forwarded calls (a div or div-o among their PASSporTs), by account and kind. */
  forwardedByAccount(w: TimeWindow): Promise<ForwardedCountRow[]>;
  /** Branded calls (RFC 9795): signed by RCD profile, and verified by whether their RCD verified, by account. */
  brandedByAccount(w: TimeWindow): Promise<BrandedCountRow[]>;
  /** Signatures refused, by error code. */
  failuresByReason(w: TimeWindow): Promise<FailureCountRow[]>;
  /** Deletes up to `batch` rows older than `beforeMs`; returns how many went. */
  purgeRequestLog(beforeMs: number, batch: number): Promise<number>;
}
