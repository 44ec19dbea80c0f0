import { useId } from 'preact/hooks';
import type { Account } from '../types.js';

/**
 * The account filter of the overview, live log and reports. A user scoped to one account sees only that
 * account (the backend scopes the list), without the "All accounts" choice.
 */
export function AccountSelect({ accounts, value, onChange, scoped }: { accounts: Account[]; value: string; onChange(v: string): void; scoped: boolean }) {
  const id = useId();
  return (
    <span class="field-inline">
      <label for={id}>Account</label>
      <select id={id} name="account" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {!scoped && <option value="">All accounts</option>}
        {accounts.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </select>
    </span>
  );
}
