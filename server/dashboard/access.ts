import type { AccountRecord } from '../core/ports.js';
import { findAccount } from '../manage/accounts.js';
import type { DashboardUserRecord } from '../store/dashboard-store.js';
import type { Store } from '../store/store.js';
import { ShakenError } from '../core/errors.js';
import { notFound } from './errors.js';

/*
 * Role rules of docs/dashboard-api.md. admin: everything. operator: read and write its own account. viewer:
 * read only, its own account or (accountId null) all. Another account's data is answered 404, never 403, so
 * that its existence does not leak.
 */

export function canSee(user: DashboardUserRecord, accountId: string | null): boolean {
  return user.role === 'admin' || user.accountId === null || user.accountId === accountId;
}

export function requireAdmin(user: DashboardUserRecord): void {
  if (user.role !== 'admin') throw new ShakenError('ERR_ROLE_FORBIDDEN', 'only an admin may do this');
}

/** The account named by `idOrName` if the user may read it; 404 otherwise, whether it exists or not. */
export async function readableAccount(store: Store, user: DashboardUserRecord, idOrName: string): Promise<AccountRecord> {
  const account = await findAccount(store, idOrName).catch(() => undefined);
  if (!account || !canSee(user, account.id)) throw notFound(`account ${idOrName}`);
  return account;
}

/** As readableAccount, and the user may change it: a viewer gets 403 on an account it can see. */
export async function writableAccount(store: Store, user: DashboardUserRecord, idOrName: string): Promise<AccountRecord> {
  const account = await readableAccount(store, user, idOrName);
  if (user.role === 'viewer') throw new ShakenError('ERR_ROLE_FORBIDDEN', 'a viewer cannot change anything');
  return account;
}

/**
 * The account filter of an insight query: a bound user always sees its own account (asking for another is
 * 404), an unbound one the account asked for, or all.
 */
export async function accountScope(store: Store, user: DashboardUserRecord, requested: string | undefined): Promise<string | undefined> {
  if (requested === undefined || requested === '') return user.role === 'admin' ? undefined : (user.accountId ?? undefined);
  return (await readableAccount(store, user, requested)).id;
}
