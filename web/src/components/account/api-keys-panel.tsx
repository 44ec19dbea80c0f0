import { useState } from 'preact/hooks';
import { formatDate, formatTime } from '../../format.js';
import { useApp } from '../../session.js';
import type { ApiKey, SourceKind } from '../../types.js';
import { ErrorMessage } from '../status.js';

interface Props {
  apiKeys: ApiKey[];
  base: string;
  writable: boolean;
  onChanged(): void;
}

export function ApiKeysPanel({ apiKeys, base, writable, onChanged }: Props) {
  const { api } = useApp();
  const [error, setError] = useState<unknown>(null);

  const revoke = async (k: ApiKey) => {
    if (!window.confirm(`Revoke API key "${k.name}"? Calls with it are refused from then on.`)) return;
    setError(null);
    try {
      await api.delete(`${base}/api-keys/${encodeURIComponent(k.id)}`);
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section class="card" aria-labelledby="apikeys-title">
      <h2 id="apikeys-title">API keys</h2>
      {apiKeys.length === 0 ? (
        <p>No API keys.</p>
      ) : (
        <div class="table-scroll">
          <table data-testid="api-keys">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Source</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                {writable && <th scope="col"><span class="sr-only">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {apiKeys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>{k.sourceKind}</td>
                  <td title={formatTime(k.createdAt)}>{formatDate(k.createdAt)}</td>
                  <td>{k.revokedAt ? `Revoked ${formatDate(k.revokedAt)}` : 'Active'}</td>
                  {writable && (
                    <td>
                      {!k.revokedAt && (
                        <button type="button" class="danger small" onClick={() => revoke(k)} aria-label={`Revoke API key ${k.name}`}>
                          Revoke
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorMessage error={error} />
      {writable && <CreateApiKey base={base} onCreated={onChanged} />}
    </section>
  );
}

function CreateApiKey({ base, onCreated }: { base: string; onCreated(): void }) {
  const { api } = useApp();
  const [name, setName] = useState('');
  const [sourceKind, setSourceKind] = useState<SourceKind>('customer');
  const [token, setToken] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setCopied(false);
    try {
      const r = await api.post<{ apiKey: ApiKey; token: string }>(`${base}/api-keys`, { name: name.trim(), sourceKind });
      setToken(r.token);
      setName('');
      onCreated();
    } catch (err) {
      setError(err);
    }
  };

  const copy = async () => {
    if (!token) return;
    try {
      await navigator.clipboard.writeText(token);
      setCopied(true);
    } catch {
      setError(new Error('The browser refused to copy; select the key and copy it by hand.'));
    }
  };

  return (
    <form onSubmit={submit} class="subform" aria-labelledby="new-apikey-title">
      <h3 id="new-apikey-title">New API key</h3>
      <div class="form-row">
        <span class="field">
          <label for="apikey-name">Name</label>
          <input id="apikey-name" required maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="sbc-1" />
        </span>
        <span class="field">
          <label for="apikey-kind">Source</label>
          <select id="apikey-kind" value={sourceKind} onChange={(e) => setSourceKind(e.currentTarget.value as SourceKind)}>
            <option value="customer">customer (authenticated caller)</option>
            <option value="gateway">gateway (attestation C)</option>
          </select>
        </span>
        <button type="submit">Create key</button>
      </div>
      <ErrorMessage error={error} />
      {token && (
        <div class="secret" role="status">
          <p>
            <strong>
              <span aria-hidden="true">⚠ </span>Shown only now:
            </strong>{' '}
            copy this key and keep it safe; it cannot be shown again.
          </p>
          <code data-testid="new-api-token">{token}</code>{' '}
          <button type="button" class="small" onClick={copy}>
            {copied ? 'Copied' : 'Copy'}
          </button>{' '}
          <button type="button" class="small link-button" onClick={() => setToken(null)}>
            Hide
          </button>
        </div>
      )}
    </form>
  );
}
