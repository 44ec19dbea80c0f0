import { isShakenError, ShakenError } from '../core/errors.js';
import { findAccount } from '../manage/accounts.js';
import type { DashboardRole, DashboardUserRecord } from '../store/dashboard-store.js';
import type { Store } from '../store/store.js';
import { invalid, notFound } from './errors.js';
import { sharedPasswordHasher, type PasswordHasher } from './password-hasher.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, randomPassword } from './passwords.js';

export const ROLES: readonly DashboardRole[] = ['admin', 'operator', 'viewer'];
const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,62}$/i;

/** What the API and the CLI show of a user: never the hash. */
export interface PublicUser {
  id: string;
  username: string;
  role: DashboardRole;
  accountId: string | null;
}

export function publicUser(u: DashboardUserRecord): PublicUser {
  return { id: u.id, username: u.username, role: u.role, accountId: u.accountId };
}

function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw invalid(`the password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`, 'password');
  }
  return password;
}

function checkRole(role: unknown): DashboardRole {
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw invalid(`role must be one of ${ROLES.join(', ')}`, 'role');
  return role as DashboardRole;
}

/** admin: never bound to an account; operator: always; viewer: optionally. The account may be given by id or name. */
async function checkAccount(store: Store, role: DashboardRole, account: unknown): Promise<string | null> {
  if (account === undefined || account === null || account === '') {
    if (role === 'operator') throw invalid('an operator is bound to one account: give accountId', 'accountId');
    return null;
  }
  if (role === 'admin') throw invalid('an admin is not bound to an account', 'accountId');
  if (typeof account !== 'string') throw invalid('accountId must be a string', 'accountId');
  try {
    return (await findAccount(store, account)).id;
  } catch (e) {
    if (isShakenError(e) && e.code === 'ERR_REQ_NOT_FOUND') throw invalid(`account ${account} does not exist`, 'accountId');
    throw e;
  }
}

export interface NewUserInput {
  username: unknown;
  password: unknown;
  role: unknown;
  accountId?: unknown;
}

/**
 * Validates and creates a dashboard user with a scrypt-hashed password. Used by the API, the CLI, first start
 * and tests (the frontend's e2e tests create their users with it). The hash is made on the password threads:
 * the node's dashboard passes its own; one-off callers get the shared one.
 */
export async function createDashboardUser(store: Store, input: NewUserInput, passwords: PasswordHasher = sharedPasswordHasher()): Promise<DashboardUserRecord> {
  if (typeof input.username !== 'string' || !USERNAME.test(input.username)) {
    throw invalid('username must be 1-63 letters, digits, dot, dash, underscore or @', 'username');
  }
  const role = checkRole(input.role);
  const password = checkPassword(input.password);
  const accountId = await checkAccount(store, role, input.accountId);
  return store.dashboard.createUser({ username: input.username, passwordHash: await passwords.hash(password), role, accountId });
}

export interface UserChange {
  password?: unknown;
  role?: unknown;
  accountId?: unknown;
}

/** Changes a user; its sessions end (the store does that) so the new rights apply at once. */
export async function updateDashboardUser(store: Store, id: string, change: UserChange, passwords: PasswordHasher = sharedPasswordHasher()): Promise<DashboardUserRecord> {
  const current = await store.dashboard.getUser(id);
  if (!current) throw notFound(`user ${id}`);
  const role = change.role === undefined ? current.role : checkRole(change.role);
  const accountId = change.accountId === undefined && change.role === undefined ? current.accountId : await checkAccount(store, role, change.accountId === undefined ? current.accountId : change.accountId);
  if (current.role === 'admin' && role !== 'admin') await refuseLastAdmin(store, current);
  return store.dashboard.updateUser(id, {
    passwordHash: change.password === undefined ? undefined : await passwords.hash(checkPassword(change.password)),
    role,
    accountId,
  });
}

async function refuseLastAdmin(store: Store, user: DashboardUserRecord): Promise<void> {
  const admins = (await store.dashboard.listUsers()).filter((u) => u.role === 'admin' && u.id !== user.id);
  if (admins.length === 0) throw new ShakenError('ERR_REQ_CONFLICT', 'this is the last admin; create another admin first');
}

export async function removeDashboardUser(store: Store, idOrName: string): Promise<DashboardUserRecord> {
  const user = (await store.dashboard.getUser(idOrName)) ?? (await store.dashboard.findUserByUsername(idOrName));
  if (!user) throw notFound(`user ${idOrName}`);
  if (user.role === 'admin') await refuseLastAdmin(store, user);
  return store.dashboard.removeUser(user.id);
}

/**
 * First start: with no dashboard user at all, creates `admin` with a random password, returned once for the
 * banner. Another node winning the race is not an error (undefined).
 */
export async function ensureFirstAdmin(store: Store): Promise<{ username: string; password: string } | undefined> {
  if ((await store.dashboard.countUsers()) > 0) return undefined;
  const password = randomPassword();
  try {
    await createDashboardUser(store, { username: 'admin', password, role: 'admin' });
  } catch (e) {
    if (isShakenError(e) && e.code === 'ERR_REQ_CONFLICT') return undefined;
    throw e;
  }
  return { username: 'admin', password };
}
