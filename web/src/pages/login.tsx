import { useState } from 'preact/hooks';
import type { ApiClient } from '../api.js';
import { loginFailure } from '../login-failure.js';
import type { User } from '../types.js';

export function LoginPage({ api, note, onSignedIn }: { api: ApiClient; note?: string; onSignedIn(user: User): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api.login(username, password);
      onSignedIn(session.user);
    } catch (err) {
      setError(loginFailure(err));
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form onSubmit={submit} aria-labelledby="login-title" class="card">
        <h1 id="login-title">Sign in to shakenstack</h1>
        {note && !error && <p class="msg">{note}</p>}
        <label for="login-username">Username</label>
        <input id="login-username" name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        <label for="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {error && (
          <p class="msg msg-error" role="alert">
            <span aria-hidden="true">✖ </span>
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
