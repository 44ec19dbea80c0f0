import { useEffect, useMemo, useState } from 'preact/hooks';
import { type ApiClient, errorText } from './api.js';
import { Loading } from './components/status.js';
import { AccountPage } from './pages/account.js';
import { AccountsPage } from './pages/accounts.js';
import { AuditPage } from './pages/audit.js';
import { LiveLogPage } from './pages/live-log.js';
import { LoginPage } from './pages/login.js';
import { OverviewPage } from './pages/overview.js';
import { ReportsPage } from './pages/reports.js';
import { UsersPage } from './pages/users.js';
import { Link, matchRoute, navigate, useRoute } from './router.js';
import { AppContext, type AppContextValue, isAdmin } from './session.js';
import type { User } from './types.js';

type SessionState = { state: 'checking' } | { state: 'signed-out'; note?: string } | { state: 'signed-in'; user: User };

export function App({ api }: { api: ApiClient }) {
  const [session, setSession] = useState<SessionState>({ state: 'checking' });
  const [startError, setStartError] = useState<string | null>(null);

  useEffect(() => {
    api.currentSession().then(
      (s) => setSession(s ? { state: 'signed-in', user: s.user } : { state: 'signed-out' }),
      (e: unknown) => setStartError(errorText(e)),
    );
    return api.onSessionExpired(() => setSession({ state: 'signed-out', note: 'Your session ended; please sign in again.' }));
  }, [api]);

  if (startError) return <p class="msg msg-error" role="alert">{startError}</p>;
  if (session.state === 'checking') return <Loading />;
  if (session.state === 'signed-out')
    return <LoginPage api={api} note={session.note} onSignedIn={(user) => setSession({ state: 'signed-in', user })} />;
  return <SignedIn api={api} user={session.user} onSignedOut={() => setSession({ state: 'signed-out' })} />;
}

function SignedIn({ api, user, onSignedOut }: { api: ApiClient; user: User; onSignedOut(): void }) {
  const route = useRoute();
  const ctx = useMemo<AppContextValue>(
    () => ({
      api,
      user,
      logout: () => {
        api.logout().finally(() => {
          onSignedOut();
          navigate('/');
        });
      },
    }),
    [api, user, onSignedOut],
  );
  // An operator has exactly one account: "Accounts" is that account's page.
  const accountsLink = user.role === 'operator' && user.accountId ? `/accounts/${encodeURIComponent(user.accountId)}` : '/accounts';
  const nav: { to: string; label: string; match: (r: string) => boolean }[] = [
    { to: '/', label: 'Overview', match: (r) => r === '/' },
    { to: accountsLink, label: user.role === 'operator' ? 'My account' : 'Accounts', match: (r) => r.startsWith('/accounts') },
    { to: '/logs', label: 'Live log', match: (r) => r === '/logs' },
    { to: '/reports', label: 'Reports', match: (r) => r === '/reports' },
  ];
  if (isAdmin(user)) nav.push({ to: '/users', label: 'Users', match: (r) => r === '/users' });
  nav.push({ to: '/audit', label: 'Audit log', match: (r) => r === '/audit' });

  return (
    <AppContext.Provider value={ctx}>
      <header class="topbar">
        <span class="brand">shakenstack</span>
        <nav aria-label="Main">
          <ul>
            {nav.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={n.match(route) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          <span data-testid="current-user">{user.username}</span> <span class="role">({user.role})</span>
          <button type="button" class="link-button" onClick={ctx.logout}>
            Sign out
          </button>
        </span>
      </header>
      <main>{page(route, user)}</main>
    </AppContext.Provider>
  );
}

function page(route: string, user: User) {
  if (route === '/' || route === '/login') return <OverviewPage />;
  if (route === '/accounts') return <AccountsPage />;
  const account = matchRoute('/accounts/:id', route);
  if (account) return <AccountPage id={account.id!} key={account.id} />;
  if (route === '/logs') return <LiveLogPage />;
  if (route === '/reports') return <ReportsPage />;
  if (route === '/users' && isAdmin(user)) return <UsersPage />;
  if (route === '/audit') return <AuditPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at this address. <Link to="/">Back to the overview</Link>
      </p>
    </section>
  );
}
