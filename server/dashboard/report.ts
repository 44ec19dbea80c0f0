import type { Store } from '../store/store.js';
import { invalid } from './errors.js';
import type { Insights } from './insight-service.js';
import { credView, sortCredentials } from './views.js';

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

export interface Report {
  from: string;
  to: string;
  generatedAt: string;
  /**
   * Per account: successful signatures by applied attestation and their total, and the forwarded calls (their
   * PASSporTs include a div or div-o, RFC 8946) among the successful signatures and among the successful
   * verifications.
   */
  signedByAccount: {
    accountId: string;
    accountName: string;
    A: number;
    B: number;
    C: number;
    total: number;
    forwardedSigned: number;
    forwardedVerified: number;
  }[];
  failuresByReason: { errorCode: string; count: number }[];
  certificates: { accountId: string; credentialId: string; subject: string; spc: string | null; notAfter: string; daysLeft: number; state: string }[];
  totals: { signed: number; failures: number; forwardedSigned: number; forwardedVerified: number };
}

function parseDay(v: unknown, field: string): number {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw invalid(`${field} must be a date YYYY-MM-DD`, field);
  const ms = Date.parse(`${v}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== v) throw invalid(`${field} is not a calendar date`, field);
  return ms;
}

export function parseReportRange(from: unknown, to: unknown): { from: string; to: string; since: number; until: number } {
  const since = parseDay(from, 'from');
  const last = parseDay(to, 'to');
  if (last < since) throw invalid('to must not be before from', 'to');
  if ((last - since) / DAY_MS + 1 > MAX_DAYS) throw invalid(`a report covers at most ${MAX_DAYS} days`, 'to');
  return { from: from as string, to: to as string, since, until: last + DAY_MS };
}

/**
 * The numbers of a compliance report, the one source of the JSON, CSV and PDF forms: successful signatures by
 * account and applied attestation, with the forwarded calls signed and verified beside them, refused
 * signatures by error code (all over `from`..`to`, whole UTC days), and the certificate inventory with expiry
 * as of now. An account appears when it signed, or verified a forwarded call, in the range.
 */
export async function buildReport(
  store: Store,
  insights: Pick<Insights, 'reportCounts'>,
  q: { from: unknown; to: unknown; accountId?: string; nowMs: number },
): Promise<Report> {
  const range = parseReportRange(q.from, q.to);
  const w = { since: range.since, until: range.until, accountId: q.accountId };
  // The request-log aggregates scan the whole range: they run where `insights` runs them. The rest is small.
  const [{ signed, forwarded, failures }, accounts, credentials] = await Promise.all([
    insights.reportCounts(w),
    store.listAccounts(),
    store.listCredentials(q.accountId),
  ]);
  const names = new Map(accounts.map((a) => [a.id, a.name]));
  const byAccount = new Map<string, Report['signedByAccount'][number]>();
  const rowOf = (accountId: string | null) => {
    const id = accountId ?? '';
    let row = byAccount.get(id);
    if (!row) byAccount.set(id, (row = { accountId: id, accountName: names.get(id) ?? '', A: 0, B: 0, C: 0, total: 0, forwardedSigned: 0, forwardedVerified: 0 }));
    return row;
  };
  for (const r of signed) {
    const row = rowOf(r.accountId);
    if (r.attest) row[r.attest] += r.count;
    row.total += r.count;
  }
  for (const r of forwarded) {
    const row = rowOf(r.accountId);
    if (r.kind === 'sign') row.forwardedSigned += r.count;
    else row.forwardedVerified += r.count;
  }
  const signedByAccount = [...byAccount.values()].sort((a, b) => a.accountName.localeCompare(b.accountName) || a.accountId.localeCompare(b.accountId));
  const failuresByReason = failures.map((f) => ({ errorCode: f.errorCode ?? 'ERR_INTERNAL', count: f.count }));
  const certificates = sortCredentials(credentials).map((c) => {
    const v = credView(c, q.nowMs);
    return { accountId: c.accountId, credentialId: c.id, subject: v.subject, spc: v.spc, notAfter: v.notAfter, daysLeft: v.daysLeft, state: v.state };
  });
  return {
    from: range.from,
    to: range.to,
    generatedAt: new Date(q.nowMs).toISOString(),
    signedByAccount,
    failuresByReason,
    certificates,
    totals: {
      signed: signedByAccount.reduce((s, r) => s + r.total, 0),
      failures: failuresByReason.reduce((s, r) => s + r.count, 0),
      forwardedSigned: signedByAccount.reduce((s, r) => s + r.forwardedSigned, 0),
      forwardedVerified: signedByAccount.reduce((s, r) => s + r.forwardedVerified, 0),
    },
  };
}
