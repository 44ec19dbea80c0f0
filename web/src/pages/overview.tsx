import { useEffect, useState } from 'preact/hooks';
import { AccountSelect } from '../components/account-select.js';
import { CertWarnings } from '../components/cert-warnings.js';
import { ErrorMessage } from '../components/status.js';
import { TimeChart } from '../components/time-chart.js';
import { formatMs, formatPercent, formatTime, toEpochSeconds } from '../format.js';
import { scopedAccount, useApp } from '../session.js';
import type { Account, Integration, Stats, StatsWindow, Warning } from '../types.js';
import { useLoad } from '../use-load.js';

const WINDOWS: { value: StatsWindow; label: string }[] = [
  { value: '15m', label: 'Last 15 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
];

/** How often the charts and the table are refreshed while the page is open. */
const REFRESH_MS = 5000;

export function OverviewPage() {
  const { api, user } = useApp();
  const scoped = scopedAccount(user);
  const [window_, setWindow] = useState<StatsWindow>('1h');
  const [account, setAccount] = useState(scoped ?? '');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(t);
  }, []);

  const accounts = useLoad(() => api.get<{ accounts: Account[] }>('/accounts').then((r) => r.accounts), []);
  const warnings = useLoad(() => api.get<{ warnings: Warning[] }>('/warnings').then((r) => r.warnings), [tick]);
  const stats = useLoad(() => api.get<Stats>('/stats', { window: window_, account }), [window_, account, tick]);
  const names = new Map((accounts.data ?? []).map((a) => [a.id, a.name]));

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <CertWarnings warnings={warnings.data ?? []} accountNames={names} />
      <ErrorMessage error={warnings.error ?? accounts.error} />
      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Chart options">
        <span class="field-inline">
          <label for="stats-window">Window</label>
          <select id="stats-window" name="window" value={window_} onChange={(e) => setWindow(e.currentTarget.value as StatsWindow)}>
            {WINDOWS.map((w) => (
              <option key={w.value} value={w.value}>
                {w.label}
              </option>
            ))}
          </select>
        </span>
        <AccountSelect accounts={accounts.data ?? []} value={account} onChange={setAccount} scoped={scoped !== null} />
        <button type="button" onClick={() => setTick((n) => n + 1)}>
          Refresh
        </button>
        {stats.data && <span class="muted">Buckets of {stats.data.bucketSec} s, refreshed every {REFRESH_MS / 1000} s</span>}
      </form>
      <ErrorMessage error={stats.error} />
      {stats.data && <StatsView stats={stats.data} />}
    </section>
  );
}

function StatsView({ stats }: { stats: Stats }) {
  const x = stats.buckets.map((b) => toEpochSeconds(b.t));
  const t = stats.totals;
  // The volume and branded-calls charts both draw every request as their first line, on the same scale.
  const requests = { label: 'Requests', values: stats.buckets.map((b) => b.count), stroke: '#1f5fa8' };
  const formatCount = (v: number | null) => (v === null ? '—' : String(v));
  return (
    <>
      <dl class="totals" aria-label="Totals for the window">
        <div>
          <dt>Requests</dt>
          <dd data-testid="total-count">{t.count}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd data-testid="total-errors">{t.errors}</dd>
        </div>
        <div>
          <dt>Error rate</dt>
          <dd data-testid="total-error-rate">{formatPercent(t.errorRate)}</dd>
        </div>
        <div>
          <dt title="Requests whose PASSporTs include a div or div-o (RFC 8946)">Forwarded calls</dt>
          <dd data-testid="total-forwarded">{t.forwarded}</dd>
        </div>
        <div>
          <dt title="Requests of calls with Rich Call Data (RFC 9795): signed under an RCD profile, or verified with RCD">Branded calls</dt>
          <dd data-testid="total-branded">{t.branded}</dd>
        </div>
        <div>
          <dt>Latency p50 / p95 / p99</dt>
          <dd>
            {formatMs(t.p50Ms)} / {formatMs(t.p95Ms)} / {formatMs(t.p99Ms)}
          </dd>
        </div>
      </dl>
      <div class="charts">
        <TimeChart
          title="Volume (requests per bucket)"
          unit="requests"
          x={x}
          format={formatCount}
          series={[
            requests,
            { label: 'Signed A', values: stats.buckets.map((b) => b.byAttest.A), stroke: '#2e7d32', dash: [6, 3] },
            { label: 'Signed B', values: stats.buckets.map((b) => b.byAttest.B), stroke: '#8d6e00', dash: [2, 3] },
            { label: 'Signed C', values: stats.buckets.map((b) => b.byAttest.C), stroke: '#6a1b9a', dash: [10, 3, 2, 3] },
          ]}
        />
        <TimeChart
          title="Branded calls (requests per bucket)"
          unit="requests"
          x={x}
          format={formatCount}
          series={[
            requests,
            { label: 'Branded (RCD)', values: stats.buckets.map((b) => b.branded), stroke: '#00796b', dash: [6, 3] },
          ]}
        />
        <TimeChart
          title="Latency"
          unit="ms"
          x={x}
          points
          format={formatMs}
          series={[
            { label: 'p50', values: stats.buckets.map((b) => b.p50Ms), stroke: '#2e7d32' },
            { label: 'p95', values: stats.buckets.map((b) => b.p95Ms), stroke: '#8d6e00', dash: [6, 3] },
            { label: 'p99', values: stats.buckets.map((b) => b.p99Ms), stroke: '#b71c1c', dash: [2, 3] },
          ]}
        />
        <TimeChart
          title="Error rate"
          unit="%"
          x={x}
          points
          format={(v) => (v === null ? '—' : `${v.toFixed(1)} %`)}
          series={[{ label: 'Errors', values: stats.buckets.map((b) => (b.count > 0 ? (100 * b.errors) / b.count : null)), stroke: '#b71c1c' }]}
        />
      </div>
      <IntegrationTable rows={stats.integrations} />
    </>
  );
}

/** Health in words and a symbol: more than half failing, some failing, or none. */
function health(i: Integration): { text: string; icon: string; cls: string } {
  if (i.count > 0 && i.errorRate > 0.5) return { text: 'Failing', icon: '✖', cls: 'badge-bad' };
  if (i.errors > 0) return { text: 'Degraded', icon: '⚠', cls: 'badge-warn' };
  return { text: 'Healthy', icon: '✔', cls: 'badge-ok' };
}

function IntegrationTable({ rows }: { rows: Integration[] }) {
  return (
    <section aria-labelledby="integrations-title">
      <h2 id="integrations-title">Integrations (API key × transport)</h2>
      {rows.length === 0 ? (
        <p>No requests in this window.</p>
      ) : (
        <div class="table-scroll">
          <table data-testid="integrations">
            <thead>
              <tr>
                <th scope="col">API key</th>
                <th scope="col">Transport</th>
                <th scope="col">Health</th>
                <th scope="col" class="num">Requests</th>
                <th scope="col" class="num">Errors</th>
                <th scope="col" class="num">Error rate</th>
                <th scope="col" class="num">p99</th>
                <th scope="col">Last seen (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((i) => {
                const h = health(i);
                return (
                  <tr key={`${i.apiKeyId ?? '-'}|${i.transport}`}>
                    <td>{i.apiKeyName ?? i.apiKeyId ?? '(no API key)'}</td>
                    <td>{i.transport}</td>
                    <td>
                      <span class={`badge ${h.cls}`}>
                        <span aria-hidden="true">{h.icon} </span>
                        {h.text}
                      </span>
                    </td>
                    <td class="num">{i.count}</td>
                    <td class="num">{i.errors}</td>
                    <td class="num">{formatPercent(i.errorRate)}</td>
                    <td class="num">{formatMs(i.p99Ms)}</td>
                    <td>{formatTime(i.lastSeen)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
