import { useEffect, useRef, useState } from 'preact/hooks';
import { API_BASE, queryString } from '../api.js';
import { AccountSelect } from '../components/account-select.js';
import { ErrorMessage } from '../components/status.js';
import { formatTime } from '../format.js';
import { scopedAccount, useApp } from '../session.js';
import type { Account, LogRow } from '../types.js';
import { useLoad } from '../use-load.js';

/** Rows kept on screen, and rows held back while paused; older ones are dropped (the store keeps them all). */
const MAX_ROWS = 500;

interface Filters {
  account: string;
  transport: string;
  outcome: string;
  /** `forwarded` (a div or div-o among the call's PASSporTs), or a kind the call must carry; '' for all. */
  passport: string;
  number: string;
}

type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

const rowKey = (r: LogRow) => String(r.id);

/** Newest first, without duplicates (the initial page and the stream can overlap), at most MAX_ROWS. */
function merge(newer: LogRow[], older: LogRow[]): LogRow[] {
  const seen = new Set<string>();
  const out: LogRow[] = [];
  for (const r of [...newer, ...older]) {
    const k = rowKey(r);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(r);
    if (out.length >= MAX_ROWS) break;
  }
  return out;
}

export function LiveLogPage() {
  const { api, user } = useApp();
  const scoped = scopedAccount(user);
  const accounts = useLoad(() => api.get<{ accounts: Account[] }>('/accounts').then((r) => r.accounts), []);
  const [filters, setFilters] = useState<Filters>({ account: scoped ?? '', transport: '', outcome: '', passport: '', number: '' });
  const [numberDraft, setNumberDraft] = useState('');
  const [rows, setRows] = useState<LogRow[]>([]);
  const [held, setHeld] = useState<LogRow[]>([]);
  const [paused, setPaused] = useState(false);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<unknown>(null);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  // The stream starts after the newest row the server has when it connects, so the latest page is fetched once the
  // stream is open: no row falls between the two, and merge() drops any overlap.
  useEffect(() => {
    const query = { account: filters.account, transport: filters.transport, outcome: filters.outcome, passport: filters.passport, number: filters.number };
    setRows([]);
    setHeld([]);
    setState('connecting');
    const source = new EventSource(`${API_BASE}/logs/stream${queryString(query)}`);
    let live = true;
    let fetched = false;
    source.onopen = () => {
      setState('live');
      // On a reconnect the browser sends Last-Event-ID and the server resumes from it: nothing to fetch.
      if (fetched) return;
      fetched = true;
      api.get<{ rows: LogRow[] }>('/logs', { ...query, limit: 100 }).then(
        (r) => {
          if (live) setRows((cur) => merge(cur, r.rows));
        },
        (e: unknown) => live && setError(e),
      );
    };
    // EventSource retries by itself after a network error, but gives up for good on an HTTP error (e.g. 401).
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    source.addEventListener('log', (ev) => {
      const row = JSON.parse((ev as MessageEvent<string>).data) as LogRow;
      if (pausedRef.current) setHeld((h) => merge([row], h));
      else setRows((r) => merge([row], r));
    });
    return () => {
      live = false;
      source.close();
    };
  }, [api, filters]);

  const togglePause = () => {
    if (paused) {
      setRows((r) => merge(held, r));
      setHeld([]);
    }
    setPaused(!paused);
  };

  const set = (k: keyof Filters, v: string) => setFilters((f) => ({ ...f, [k]: v }));

  return (
    <section aria-labelledby="live-title">
      <h1 id="live-title">Live request log</h1>
      <form
        class="toolbar"
        aria-label="Log filters"
        onSubmit={(e) => {
          e.preventDefault();
          set('number', numberDraft.trim());
        }}
      >
        <AccountSelect accounts={accounts.data ?? []} value={filters.account} onChange={(v) => set('account', v)} scoped={scoped !== null} />
        <span class="field-inline">
          <label for="log-transport">Transport</label>
          <select id="log-transport" value={filters.transport} onChange={(e) => set('transport', e.currentTarget.value)}>
            <option value="">All</option>
            <option value="http">HTTP</option>
            <option value="grpc">gRPC</option>
            <option value="sip">SIP</option>
            <option value="cli">CLI</option>
          </select>
        </span>
        <span class="field-inline">
          <label for="log-outcome">Outcome</label>
          <select id="log-outcome" value={filters.outcome} onChange={(e) => set('outcome', e.currentTarget.value)}>
            <option value="">All</option>
            <option value="ok">OK</option>
            <option value="error">Error</option>
          </select>
        </span>
        <span class="field-inline">
          <label for="log-passport">PASSporTs</label>
          <select id="log-passport" value={filters.passport} onChange={(e) => set('passport', e.currentTarget.value)}>
            <option value="">All calls</option>
            <option value="forwarded">Forwarded calls only (div, div-o)</option>
            <option value="branded">Branded calls only (RCD)</option>
            <option value="shaken">With a shaken PASSporT</option>
          </select>
        </span>
        <span class="field-inline">
          <label for="log-number">Number</label>
          <input id="log-number" inputMode="tel" size={16} value={numberDraft} onInput={(e) => setNumberDraft(e.currentTarget.value)} placeholder="orig or dest" />
        </span>
        <button type="submit">Apply</button>
        <button type="button" onClick={togglePause} aria-pressed={paused}>
          {paused ? `Resume (${held.length} new)` : 'Pause'}
        </button>
        <span class="muted" role="status" data-testid="stream-state">
          {paused ? 'Paused' : state === 'live' ? '● Live' : state === 'connecting' ? 'Connecting…' : state === 'closed' ? 'Disconnected: reload the page' : 'Reconnecting…'}
        </span>
      </form>
      <ErrorMessage error={error ?? accounts.error} />
      <LogTable rows={rows} accounts={accounts.data ?? []} />
    </section>
  );
}

function LogTable({ rows, accounts }: { rows: LogRow[]; accounts: Account[] }) {
  const names = new Map(accounts.map((a) => [a.id, a.name]));
  if (rows.length === 0) return <p>No requests yet that match these filters.</p>;
  return (
    <div class="table-scroll tall">
      <table data-testid="log-rows" class="dense">
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            <th scope="col">Kind</th>
            <th scope="col" title="The call's PASSporTs in order: shaken, then one div per forwarding (RFC 8946)">PASSporTs</th>
            <th scope="col">Account</th>
            <th scope="col">Transport</th>
            <th scope="col">Orig</th>
            <th scope="col">Dest</th>
            <th scope="col">Attest (asked → given)</th>
            <th scope="col">Outcome</th>
            <th scope="col" class="num">Latency</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)} data-origid={r.origid ?? undefined}>
              <td>{formatTime(r.time)}</td>
              <td>{r.kind}</td>
              <td class="mono" data-testid="passports">
                <Passports kinds={r.passports ?? []} />
                <Branded profile={r.rcdProfile ?? null} verified={r.rcdVerified ?? null} />
              </td>
              <td>{r.accountId ? (names.get(r.accountId) ?? r.accountId) : '—'}</td>
              <td>{r.transport}</td>
              <td class="mono">{r.orig ?? '—'}</td>
              <td class="mono wrap">{Array.isArray(r.dest) ? r.dest.join(', ') : (r.dest ?? '—')}</td>
              <td>
                {r.attestRequested ?? '—'} → {r.attestApplied ?? '—'}
                {r.attestReason && r.attestReason !== 'requested' ? <span class="muted"> ({r.attestReason})</span> : null}
              </td>
              <td>
                {r.outcome === 'ok' ? (
                  <span class="badge badge-ok">
                    <span aria-hidden="true">✔ </span>OK
                  </span>
                ) : (
                  <span class="badge badge-bad">
                    <span aria-hidden="true">✖ </span>
                    {r.errorCode ?? 'error'}
                  </span>
                )}
              </td>
              <td class="num">{(r.latencyUs / 1000).toFixed(1)} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A branded call (RFC 9795): the RCD profile it was signed with, or whether its RCD verified. */
function Branded({ profile, verified }: { profile: string | null; verified: boolean | null }) {
  if (profile !== null) return <span class="muted" data-testid="rcd"> (branded: {profile})</span>;
  if (verified !== null) return <span class="muted" data-testid="rcd"> (RCD {verified ? 'verified' : 'failed'})</span>;
  return null;
}

/** The call's PASSporT kinds in order; a call that carries a div or div-o (forwarded, RFC 8946) says so in words too. */
function Passports({ kinds }: { kinds: string[] }) {
  if (kinds.length === 0) return <span class="muted">—</span>;
  const hops = kinds.filter((k) => k === 'div' || k === 'div-o').length;
  return (
    <>
      {kinds.join(', ')}
      {hops > 0 ? <span class="muted"> (forwarded{hops > 1 ? ` ×${hops}` : ''})</span> : null}
    </>
  );
}
