import { useState } from 'preact/hooks';
import { useApp } from '../../session.js';
import type { RouteRule } from '../../types.js';
import { ErrorMessage } from '../status.js';

interface Props {
  routes: RouteRule[];
  base: string;
  writable: boolean;
  onChanged(): void;
}

/** Routing rules: the longest matching prefix wins, then the lowest priority number. */
export function RoutesPanel({ routes, base, writable, onChanged }: Props) {
  const { api } = useApp();
  const [prefix, setPrefix] = useState('');
  const [target, setTarget] = useState('');
  const [priority, setPriority] = useState('10');
  const [error, setError] = useState<unknown>(null);

  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!/^\d*$/.test(prefix.trim())) return setError(new Error('The prefix is digits only (empty matches every number).'));
    if (!/^sips?:/i.test(target.trim())) return setError(new Error('The target is a SIP URI starting with sip: or sips:.'));
    const p = Number(priority);
    if (!Number.isInteger(p) || p < 0 || p > 65_535) return setError(new Error('The priority is a whole number from 0 to 65535.'));
    try {
      await api.post(`${base}/routes`, { prefix: prefix.trim(), target: target.trim(), priority: p });
      setPrefix('');
      setTarget('');
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  const remove = async (r: RouteRule) => {
    setError(null);
    try {
      await api.delete(`${base}/routes/${encodeURIComponent(r.id)}`);
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section class="card" aria-labelledby="routes-title">
      <h2 id="routes-title">Routing rules</h2>
      {routes.length === 0 ? (
        <p>No routing rules.</p>
      ) : (
        <table data-testid="routes">
          <thead>
            <tr>
              <th scope="col">Prefix</th>
              <th scope="col">Target</th>
              <th scope="col" class="num">Priority</th>
              {writable && <th scope="col"><span class="sr-only">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {routes.map((r) => (
              <tr key={r.id}>
                <td>{r.prefix === '' ? '(any)' : r.prefix}</td>
                <td class="wrap">
                  <code>{r.target}</code>
                </td>
                <td class="num">{r.priority}</td>
                {writable && (
                  <td>
                    <button type="button" class="danger small" onClick={() => remove(r)} aria-label={`Remove route ${r.prefix || 'any'} to ${r.target}`}>
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {writable && (
        <form onSubmit={add} class="form-row" aria-label="Add a routing rule">
          <span class="field">
            <label for="route-prefix">Prefix</label>
            <input id="route-prefix" inputMode="numeric" size={10} value={prefix} onInput={(e) => setPrefix(e.currentTarget.value)} placeholder="1404" />
          </span>
          <span class="field">
            <label for="route-target">Target</label>
            <input id="route-target" required value={target} onInput={(e) => setTarget(e.currentTarget.value)} placeholder="sip:carrier.example.net" />
          </span>
          <span class="field">
            <label for="route-priority">Priority</label>
            <input id="route-priority" inputMode="numeric" size={5} value={priority} onInput={(e) => setPriority(e.currentTarget.value)} />
          </span>
          <button type="submit">Add</button>
        </form>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}
