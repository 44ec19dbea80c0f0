import type { Clock } from '../core/ports.js';
import type { DashboardUserRecord } from '../store/dashboard-store.js';
import type { Store } from '../store/store.js';

/** Who changed what: one row per change made through the dashboard, the `user` CLI or a management rule that audits itself (SIP source overlaps); never secrets. */
export interface AuditInput {
  action: string;
  target: string;
  accountId?: string | null;
  detail?: Record<string, unknown>;
}

/** A dashboard user, or a named tool without a user record (`cli`, `admin-api`). */
export type AuditActor = Pick<DashboardUserRecord, 'id' | 'username'> | { id: null; username: string };

export function writeAudit(store: Store, clock: Clock, actor: AuditActor, e: AuditInput): Promise<void> {
  return store.dashboard.appendAudit({
    time: new Date(clock.now()),
    userId: actor.id,
    username: actor.username,
    action: e.action,
    target: e.target,
    accountId: e.accountId ?? null,
    detail: e.detail === undefined ? null : JSON.stringify(e.detail),
  });
}
