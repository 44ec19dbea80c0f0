import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './api.js';
import type { User } from './types.js';

export interface AppContextValue {
  api: ApiClient;
  user: User;
  logout(): void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('useApp outside a signed-in session');
  return ctx;
}

/**
 * Who may change an account's data (docs/dashboard-api.md, Session): admins any account, operators their
 * own, viewers none. The backend enforces the same; the UI only hides controls that would be refused.
 */
export function canWriteAccount(user: User, accountId: string): boolean {
  return user.role === 'admin' || (user.role === 'operator' && user.accountId === accountId);
}

export const isAdmin = (user: User): boolean => user.role === 'admin';

/** The one account a user is scoped to (operator, or a viewer with an account), else null for all. */
export function scopedAccount(user: User): string | null {
  return user.role === 'admin' ? null : user.accountId;
}
