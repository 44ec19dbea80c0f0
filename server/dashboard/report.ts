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
    /** Branded calls (RFC 9795 RCD): signed under one of the account's profiles, verified with RCD that verified, or failed. */
    brandedSigned: number;
    rcdVerified: number;
    rcdFailed: number;
  }[];
  /** Successful branded signatures per RCD profile; `profileName` is the brand (`nam`) now, empty for a removed profile. */
  brandedByProfile: { accountId: string; accountName: string; profileId: string; profileName: string; signed: number }[];
  failuresByReason: { errorCode: string; count: number }[];
  certificates: { accountId: string; credentialId: string; subject: string; spc: string | null; notAfter: string; daysLeft: number; state: string }[];
  totals: { signed: number; failures: number; forwardedSigned: number; forwardedVerified: number; brandedSigned: number; rcdVerified: number; rcdFailed: number };
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
 * as of now, and the branded calls (RCD, RFC 9795) signed per account and profile and verified or failed per
 * account. An account appears when it signed, or verified a forwarded or branded call, in the range.
 */
export async function buildReport(
  store: Store,
  insights: Pick<Insights, 'reportCounts'>,
  q: { from: unknown; to: unknown; accountId?: string; nowMs: number },
): Promise<Report> {
  const range = parseReportRange(q.from, q.to);
  const w = { since: range.since, until: range.until, accountId: q.accountId };
  // The request-log aggregates scan the whole range: they run where `insights` runs them. The rest is small.
  const [{ signed, forwarded, branded, failures }, accounts, credentials] = await Promise.all([
    insights.reportCounts(w),
    store.listAccounts(),
    store.listCredentials(q.accountId),
  ]);
  // The brand names of the profiles that signed, as they are now: one small read per account with branded calls.
  const brandedAccounts = [...new Set(branded.flatMap((r) => (r.kind === 'sign' && r.accountId !== null ? [r.accountId] : [])))];
  const profiles = (await Promise.all(brandedAccounts.map((id) => store.listRcdProfiles(id)))).flat();
  const brands = new Map(profiles.map((p) => [p.id, p.rcd.nam]));
  const names = new Map(accounts.map((a) => [a.id, a.name]));
  const byAccount = new Map<string, Report['signedByAccount'][number]>();
  const rowOf = (accountId: string | null) => {
    const id = accountId ?? '';
    let row = byAccount.get(id);
    if (!row) byAccount.set(id, (row = { accountId: id, accountName: names.get(id) ?? '', A: 0, B: 0, C: 0, total: 0, forwardedSigned: 0, forwardedVerified: 0, brandedSigned: 0, rcdVerified: 0, rcdFailed: 0 }));
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
  const byProfile = new Map<string, Report['brandedByProfile'][number]>();
  for (const r of branded) {
    const row = rowOf(r.accountId);
    if (r.kind === 'sign' && r.profile !== null) {
      row.brandedSigned += r.count;
      let p = byProfile.get(r.profile);
      if (!p) byProfile.set(r.profile, (p = { accountId: row.accountId, accountName: row.accountName, profileId: r.profile, profileName: brands.get(r.profile) ?? '', signed: 0 }));
      p.signed += r.count;
    } else if (r.kind === 'verify' && r.verified !== null) {
      if (r.verified) row.rcdVerified += r.count;
      else row.rcdFailed += r.count;
    }
  }
  const brandedByProfile = [...byProfile.values()].sort((a, b) => a.accountName.localeCompare(b.accountName) || a.accountId.localeCompare(b.accountId) || b.signed - a.signed || a.profileId.localeCompare(b.profileId));
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
    brandedByProfile,
    failuresByReason,
    certificates,
    totals: {
      signed: signedByAccount.reduce((s, r) => s + r.total, 0),
      failures: failuresByReason.reduce((s, r) => s + r.count, 0),
      forwardedSigned: signedByAccount.reduce((s, r) => s + r.forwardedSigned, 0),
      forwardedVerified: signedByAccount.reduce((s, r) => s + r.forwardedVerified, 0),
      brandedSigned: signedByAccount.reduce((s, r) => s + r.brandedSigned, 0),
      rcdVerified: signedByAccount.reduce((s, r) => s + r.rcdVerified, 0),
      rcdFailed: signedByAccount.reduce((s, r) => s + r.rcdFailed, 0),
    },
  };
}
