import { useState } from 'preact/hooks';
import { API_BASE, queryString } from '../api.js';
import { AccountSelect } from '../components/account-select.js';
import { ErrorMessage, ExpiryBadge } from '../components/status.js';
import { formatDate, utcDay } from '../format.js';
import { scopedAccount, useApp } from '../session.js';
import type { Account, Report } from '../types.js';
import { useLoad } from '../use-load.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function rangeProblem(from: string, to: string): string | null {
  if (!DAY.test(from) || !DAY.test(to)) return 'Choose both a first and a last day.';
  if (from > to) return 'The first day is after the last day.';
  return null;
}

export function ReportsPage() {
  const { api, user } = useApp();
  const scoped = scopedAccount(user);
  const accounts = useLoad(() => api.get<{ accounts: Account[] }>('/accounts').then((r) => r.accounts), []);
  const [from, setFrom] = useState(utcDay(-6));
  const [to, setTo] = useState(utcDay(0));
  const [account, setAccount] = useState(scoped ?? '');
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);

  const problem = rangeProblem(from, to);
  const href = (format: 'csv' | 'pdf') => `${API_BASE}/reports${queryString({ from, to, account, format })}`;

  const preview = async (e: Event) => {
    e.preventDefault();
    setReport(null);
    if (problem) return setError(new Error(problem));
    setError(null);
    try {
      setReport(await api.get<Report>('/reports', { from, to, account, format: 'json' }));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="reports-title">
      <h1 id="reports-title">Compliance reports</h1>
      <p class="help">
        Signed calls by account and attestation, with the forwarded calls (a div or div-o PASSporT, RFC 8946) signed and verified, branded calls (RCD, RFC 9795) per account and profile, failures by reason, and the certificate inventory, for whole UTC days (both
        inclusive).
      </p>
      <form class="toolbar" onSubmit={preview} aria-label="Report range">
        <span class="field-inline">
          <label for="report-from">From</label>
          <input id="report-from" type="date" required value={from} max={to} onInput={(e) => setFrom(e.currentTarget.value)} />
        </span>
        <span class="field-inline">
          <label for="report-to">To</label>
          <input id="report-to" type="date" required value={to} min={from} onInput={(e) => setTo(e.currentTarget.value)} />
        </span>
        <AccountSelect accounts={accounts.data ?? []} value={account} onChange={setAccount} scoped={scoped !== null} />
        <button type="submit">Show</button>
        {problem ? (
          <span class="muted">{problem}</span>
        ) : (
          <>
            <a class="button" href={href('csv')} download>
              Download CSV
            </a>
            <a class="button" href={href('pdf')} download>
              Download PDF
            </a>
          </>
        )}
      </form>
      <ErrorMessage error={error ?? accounts.error} />
      {report && <ReportView report={report} />}
    </section>
  );
}

function ReportView({ report }: { report: Report }) {
  const totals = report.signedByAccount.reduce(
    (t, r) => ({ A: t.A + r.A, B: t.B + r.B, C: t.C + r.C, total: t.total + r.total, fs: t.fs + r.forwardedSigned, fv: t.fv + r.forwardedVerified }),
    { A: 0, B: 0, C: 0, total: 0, fs: 0, fv: 0 },
  );
  return (
    <div data-testid="report">
      <h2>
        {report.from} to {report.to}
      </h2>
      <h3>Signed calls by account and attestation, and forwarded calls</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Account</th>
            <th scope="col" class="num">A</th>
            <th scope="col" class="num">B</th>
            <th scope="col" class="num">C</th>
            <th scope="col" class="num">Total</th>
            <th scope="col" class="num">Forwarded signed</th>
            <th scope="col" class="num">Forwarded verified</th>
          </tr>
        </thead>
        <tbody>
          {report.signedByAccount.map((r) => (
            <tr key={r.accountId}>
              <td>{r.accountName}</td>
              <td class="num">{r.A}</td>
              <td class="num">{r.B}</td>
              <td class="num">{r.C}</td>
              <td class="num">{r.total}</td>
              <td class="num">{r.forwardedSigned}</td>
              <td class="num">{r.forwardedVerified}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">All</th>
            <td class="num">{totals.A}</td>
            <td class="num">{totals.B}</td>
            <td class="num">{totals.C}</td>
            <td class="num" data-testid="report-total-signed">{totals.total}</td>
            <td class="num" data-testid="report-forwarded-signed">{totals.fs}</td>
            <td class="num" data-testid="report-forwarded-verified">{totals.fv}</td>
          </tr>
        </tfoot>
      </table>
      <h3>Branded calls (Rich Call Data, RFC 9795)</h3>
      {report.signedByAccount.every((r) => r.brandedSigned + r.rcdVerified + r.rcdFailed === 0) ? (
        <p>No branded calls.</p>
      ) : (
        <>
          <table data-testid="report-branded">
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col" class="num">Signed</th>
                <th scope="col" class="num">RCD verified</th>
                <th scope="col" class="num">RCD failed</th>
              </tr>
            </thead>
            <tbody>
              {report.signedByAccount
                .filter((r) => r.brandedSigned + r.rcdVerified + r.rcdFailed > 0)
                .map((r) => (
                  <tr key={r.accountId}>
                    <td>{r.accountName}</td>
                    <td class="num">{r.brandedSigned}</td>
                    <td class="num">{r.rcdVerified}</td>
                    <td class="num">{r.rcdFailed}</td>
                  </tr>
                ))}
            </tbody>
          </table>
          <table data-testid="report-branded-profiles">
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Brand</th>
                <th scope="col">Profile</th>
                <th scope="col" class="num">Signed</th>
              </tr>
            </thead>
            <tbody>
              {report.brandedByProfile.map((p) => (
                <tr key={p.profileId}>
                  <td>{p.accountName}</td>
                  <td>{p.profileName}</td>
                  <td class="mono">{p.profileId}</td>
                  <td class="num">{p.signed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h3>Failures by reason</h3>
      {report.failuresByReason.length === 0 ? (
        <p>No failures.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Error code</th>
              <th scope="col" class="num">Count</th>
            </tr>
          </thead>
          <tbody>
            {report.failuresByReason.map((f) => (
              <tr key={f.errorCode}>
                <td class="mono">{f.errorCode}</td>
                <td class="num">{f.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Certificate inventory</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Subject</th>
            <th scope="col">SPC</th>
            <th scope="col">State</th>
            <th scope="col">Valid until</th>
            <th scope="col">Expiry</th>
          </tr>
        </thead>
        <tbody>
          {report.certificates.map((c) => (
            <tr key={c.credentialId}>
              <td class="wrap">{c.subject}</td>
              <td>{c.spc}</td>
              <td>{c.state}</td>
              <td>{formatDate(c.notAfter)}</td>
              <td>
                <ExpiryBadge daysLeft={c.daysLeft} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
