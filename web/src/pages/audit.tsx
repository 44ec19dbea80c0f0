import { useState } from 'preact/hooks';
import { ErrorMessage, Loading } from '../components/status.js';
import { formatTime } from '../format.js';
import { useApp } from '../session.js';
import type { AuditEntry } from '../types.js';
import { useLoad } from '../use-load.js';

const LIMITS = [100, 500, 1000];

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return '';
  return typeof detail === 'string' ? detail : JSON.stringify(detail);
}

export function AuditPage() {
  const { api } = useApp();
  const [limit, setLimit] = useState(100);
  const audit = useLoad(() => api.get<{ entries: AuditEntry[] }>('/audit', { limit }).then((r) => r.entries), [limit]);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <p class="help">Every change made through the dashboard: who, what, when.</p>
      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Audit options">
        <span class="field-inline">
          <label for="audit-limit">Show the latest</label>
          <select id="audit-limit" value={limit} onChange={(e) => setLimit(Number(e.currentTarget.value))}>
            {LIMITS.map((l) => (
              <option key={l} value={l}>
                {l} entries
              </option>
            ))}
          </select>
        </span>
        <button type="button" onClick={audit.reload}>
          Refresh
        </button>
      </form>
      <ErrorMessage error={audit.error} />
      {!audit.data && !audit.error && <Loading />}
      {audit.data && audit.data.length === 0 && <p>No changes recorded yet.</p>}
      {audit.data && audit.data.length > 0 && (
        <div class="table-scroll tall">
          <table data-testid="audit" class="dense">
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {audit.data.map((a, i) => (
                <tr key={`${a.time}-${i}`}>
                  <td>{formatTime(a.time)}</td>
                  <td>{a.username ?? a.userId ?? '—'}</td>
                  <td class="mono">{a.action}</td>
                  <td class="mono wrap">{a.target ?? '—'}</td>
                  <td class="wrap">{detailText(a.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
