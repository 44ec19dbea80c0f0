import { useState } from 'preact/hooks';
import { ErrorMessage, Loading, Notice } from '../components/status.js';
import { formatTime } from '../format.js';
import { useApp } from '../session.js';
import type { Account, Role, UserWithDates } from '../types.js';
import { useLoad } from '../use-load.js';

const MIN_PASSWORD = 12;

const ROLE_HELP: Record<Role, string> = {
  admin: 'everything, all accounts',
  operator: 'reads and changes one account',
  viewer: 'reads one account, or all',
};

export function UsersPage() {
  const { api, user: me } = useApp();
  const users = useLoad(() => api.get<{ users: UserWithDates[] }>('/users').then((r) => r.users), []);
  const accounts = useLoad(() => api.get<{ accounts: Account[] }>('/accounts').then((r) => r.accounts), []);
  const [error, setError] = useState<unknown>(null);
  const names = new Map((accounts.data ?? []).map((a) => [a.id, a.name]));

  const remove = async (u: UserWithDates) => {
    if (!window.confirm(`Delete user "${u.username}"?`)) return;
    setError(null);
    try {
      await api.delete(`/users/${encodeURIComponent(u.id)}`);
      users.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Dashboard users</h1>
      <ErrorMessage error={users.error ?? error} />
      {!users.data && !users.error && <Loading />}
      {users.data && (
        <table data-testid="users">
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Role</th>
              <th scope="col">Account</th>
              <th scope="col">Created (UTC)</th>
              <th scope="col"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.id}>
                <td>{u.username}</td>
                <td>{u.role}</td>
                <td>{u.accountId ? (names.get(u.accountId) ?? u.accountId) : 'All accounts'}</td>
                <td>{formatTime(u.createdAt)}</td>
                <td>
                  {u.id !== me.id && (
                    <button type="button" class="danger small" onClick={() => remove(u)} aria-label={`Delete user ${u.username}`}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="two-col">
        <CreateUser accounts={accounts.data ?? []} onCreated={users.reload} />
        <ChangeUser users={users.data ?? []} accounts={accounts.data ?? []} onChanged={users.reload} />
      </div>
    </section>
  );
}

function AccountField({ id, role, accounts, value, onChange }: { id: string; role: Role; accounts: Account[]; value: string; onChange(v: string): void }) {
  if (role === 'admin') return null;
  return (
    <>
      <label for={id}>Account</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)} required={role === 'operator'}>
        <option value="">{role === 'viewer' ? 'All accounts' : 'Choose an account'}</option>
        {accounts.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </select>
    </>
  );
}

function RoleSelect({ id, value, onChange }: { id: string; value: Role; onChange(r: Role): void }) {
  return (
    <>
      <label for={id}>Role</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value as Role)}>
        {(Object.keys(ROLE_HELP) as Role[]).map((r) => (
          <option key={r} value={r}>
            {r} — {ROLE_HELP[r]}
          </option>
        ))}
      </select>
    </>
  );
}

function CreateUser({ accounts, onCreated }: { accounts: Account[]; onCreated(): void }) {
  const { api } = useApp();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [accountId, setAccountId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setDone(null);
    if (password.length < MIN_PASSWORD) return setError(new Error(`The password needs at least ${MIN_PASSWORD} characters.`));
    if (role === 'operator' && accountId === '') return setError(new Error('An operator needs an account.'));
    setError(null);
    try {
      await api.post('/users', { username: username.trim(), password, role, accountId: role === 'admin' || accountId === '' ? null : accountId });
      setDone(`User ${username.trim()} created.`);
      setUsername('');
      setPassword('');
      onCreated();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="new-user-title">
      <h2 id="new-user-title">New user</h2>
      <div class="form-grid">
        <label for="new-user-name">Username</label>
        <input id="new-user-name" required autocomplete="off" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        <label for="new-user-password">Password</label>
        <input id="new-user-password" type="password" required autocomplete="new-password" minLength={MIN_PASSWORD} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <RoleSelect id="new-user-role" value={role} onChange={setRole} />
        <AccountField id="new-user-account" role={role} accounts={accounts} value={accountId} onChange={setAccountId} />
      </div>
      <ErrorMessage error={error} />
      {done && <Notice>{done}</Notice>}
      <button type="submit">Create user</button>
    </form>
  );
}

function ChangeUser({ users, accounts, onChanged }: { users: UserWithDates[]; accounts: Account[]; onChanged(): void }) {
  const { api } = useApp();
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [accountId, setAccountId] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  const choose = (id: string) => {
    setUserId(id);
    const u = users.find((x) => x.id === id);
    if (u) {
      setRole(u.role);
      setAccountId(u.accountId ?? '');
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setDone(null);
    if (userId === '') return setError(new Error('Choose a user.'));
    if (password !== '' && password.length < MIN_PASSWORD) return setError(new Error(`The password needs at least ${MIN_PASSWORD} characters.`));
    if (role === 'operator' && accountId === '') return setError(new Error('An operator needs an account.'));
    setError(null);
    const change: Record<string, unknown> = { role, accountId: role === 'admin' || accountId === '' ? null : accountId };
    if (password !== '') change.password = password;
    try {
      await api.patch(`/users/${encodeURIComponent(userId)}`, change);
      setDone('User changed.');
      setPassword('');
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="change-user-title">
      <h2 id="change-user-title">Change a user</h2>
      <div class="form-grid">
        <label for="change-user">User</label>
        <select id="change-user" value={userId} onChange={(e) => choose(e.currentTarget.value)}>
          <option value="">Choose a user</option>
          {users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.username}
            </option>
          ))}
        </select>
        <RoleSelect id="change-user-role" value={role} onChange={setRole} />
        <AccountField id="change-user-account" role={role} accounts={accounts} value={accountId} onChange={setAccountId} />
        <label for="change-user-password">New password (optional)</label>
        <input id="change-user-password" type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </div>
      <ErrorMessage error={error} />
      {done && <Notice>{done}</Notice>}
      <button type="submit">Save user</button>
    </form>
  );
}
