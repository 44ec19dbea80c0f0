import { ApiKeysPanel } from '../components/account/api-keys-panel.js';
import { CredentialsPanel } from '../components/account/credentials-panel.js';
import { BrandsPanel } from '../components/account/brands-panel.js';
import { RoutesPanel } from '../components/account/routes-panel.js';
import { SettingsForm } from '../components/account/settings-form.js';
import { SipSourcesPanel } from '../components/account/sip-sources-panel.js';
import { ErrorMessage, Loading } from '../components/status.js';
import { ApiError } from '../api.js';
import { Link } from '../router.js';
import { canWriteAccount, isAdmin, useApp } from '../session.js';
import type { AccountDetail } from '../types.js';
import { useLoad } from '../use-load.js';

export function AccountPage({ id }: { id: string }) {
  const { api, user } = useApp();
  const detail = useLoad(() => api.get<AccountDetail>(`/accounts/${encodeURIComponent(id)}`), [id]);
  if (detail.error instanceof ApiError && detail.error.status === 404)
    return (
      <section>
        <h1>Account not found</h1>
        <p>
          There is no account here that you may see. <Link to="/">Back to the overview</Link>
        </p>
      </section>
    );
  if (!detail.data) return detail.error ? <ErrorMessage error={detail.error} /> : <Loading />;
  const d = detail.data;
  const writable = canWriteAccount(user, d.account.id);
  const base = `/accounts/${encodeURIComponent(d.account.id)}`;
  return (
    <section aria-labelledby="account-title">
      <h1 id="account-title">
        Account <span data-testid="account-name">{d.account.name}</span>
        {!d.account.enabled && <span class="badge badge-bad">Disabled</span>}
      </h1>
      {!writable && <p class="muted">Read-only: your role may look at this account but not change it.</p>}
      <ErrorMessage error={detail.error} />
      <div class="account-grid">
        <SettingsForm account={d.account} base={base} writable={writable} onSaved={detail.reload} />
        <ApiKeysPanel apiKeys={d.apiKeys} base={base} writable={writable} onChanged={detail.reload} />
        <CredentialsPanel credentials={d.credentials} base={base} writable={writable} onChanged={detail.reload} />
        <SipSourcesPanel sources={d.sipSources} base={base} writable={writable} onChanged={detail.reload} />
        <RoutesPanel routes={d.routes} base={base} writable={writable} onChanged={detail.reload} />
        <BrandsPanel profiles={d.rcdProfiles} base={base} admin={isAdmin(user)} onChanged={detail.reload} />
      </div>
    </section>
  );
}
