import { useState } from 'preact/hooks';
import { ErrorMessage, ExpiryBadge, Loading } from '../components/status.js';
import { Link, navigate } from '../router.js';
import { isAdmin, useApp } from '../session.js';
import type { Account, Attest } from '../types.js';
import { useLoad } from '../use-load.js';

export function AccountsPage() {
  const { api, user } = useApp();
  const accounts = useLoad(() => api.get<{ accounts: Account[] }>('/accounts').then((r) => r.accounts), []);
  return (
    <section aria-labelledby="accounts-title">
      <h1 id="accounts-title">Accounts</h1>
      <ErrorMessage error={accounts.error} />
      {accounts.loading && !accounts.data && <Loading />}
      {accounts.data && <AccountTable accounts={accounts.data} />}
      {isAdmin(user) && <CreateAccount />}
    </section>
  );
}

function AccountTable({ accounts }: { accounts: Account[] }) {
  if (accounts.length === 0) return <p>No accounts yet.</p>;
  return (
    <div class="table-scroll">
      <table data-testid="accounts">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Attestation (default / max)</th>
            <th scope="col">Policy</th>
            <th scope="col">Certificate (SPC)</th>
            <th scope="col">Expiry</th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((a) => (
            <tr key={a.id}>
              <td>
                <Link to={`/accounts/${encodeURIComponent(a.id)}`}>{a.name}</Link>
              </td>
              <td>{a.enabled ? 'Enabled' : 'Disabled'}</td>
              <td>
                {a.defaultAttest} / {a.maxAttest}
              </td>
              <td>{a.policyMode}</td>
              <td>{a.activeCredential ? a.activeCredential.spc : 'No credential'}</td>
              <td>{a.activeCredential ? <ExpiryBadge daysLeft={a.activeCredential.daysLeft} /> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CreateAccount() {
  const { api } = useApp();
  const [name, setName] = useState('');
  const [defaultAttest, setDefault] = useState<Attest>('B');
  const [maxAttest, setMax] = useState<Attest>('A');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { account } = await api.post<{ account: Account }>('/accounts', { name: name.trim(), defaultAttest, maxAttest });
      navigate(`/accounts/${encodeURIComponent(account.id)}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-account-title">
      <h2 id="create-account-title">New account</h2>
      <div class="form-row">
        <span class="field">
          <label for="new-account-name">Name</label>
          <input id="new-account-name" required maxLength={63} pattern="[A-Za-z0-9._\-]+" title="1 to 63 letters, digits, dot, dash or underscore" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </span>
        <span class="field">
          <label for="new-account-default">Default attestation</label>
          <select id="new-account-default" value={defaultAttest} onChange={(e) => setDefault(e.currentTarget.value as Attest)}>
            <AttestOptions />
          </select>
        </span>
        <span class="field">
          <label for="new-account-max">Maximum attestation</label>
          <select id="new-account-max" value={maxAttest} onChange={(e) => setMax(e.currentTarget.value as Attest)}>
            <AttestOptions />
          </select>
        </span>
      </div>
      <ErrorMessage error={error} />
      <button type="submit" disabled={busy}>
        Create account
      </button>
    </form>
  );
}

export function AttestOptions() {
  return (
    <>
      <option value="A">A — full</option>
      <option value="B">B — partial</option>
      <option value="C">C — gateway</option>
    </>
  );
}
