import type { Generated } from 'kysely';

/** Row shapes of migration 005-dashboard; times are epoch milliseconds, as everywhere in the store. */

export type DashboardRole = 'admin' | 'operator' | 'viewer';

export interface DashboardUsersTable {
  id: string;
  username: string;
  /** `scrypt$N$r$p$<salt b64>$<key b64>`: never the password. */
  password_hash: string;
  role: DashboardRole;
  account_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface DashboardSessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  /** Absolute expiry: login time + `dashboard.sessionMaxMs`. */
  expires_at: number;
}

/** Migration 008: attempts per username+address key, counted before each password check. */
export interface DashboardLoginAttemptsTable {
  key: string;
  /** When the current 15-minute window began: the first attempt after the previous window ended. */
  window_start: number;
  attempts: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  time: number;
  user_id: string | null;
  username: string;
  action: string;
  target: string;
  account_id: string | null;
  detail: string | null;
}

export interface ExpiryNoticesTable {
  credential_id: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
}

export interface DashboardTables {
  dashboard_users: DashboardUsersTable;
  dashboard_sessions: DashboardSessionsTable;
  dashboard_login_attempts: DashboardLoginAttemptsTable;
  audit_log: AuditLogTable;
  expiry_notices: ExpiryNoticesTable;
}
