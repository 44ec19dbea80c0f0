import type { Report } from './report.js';

/**
 * RFC 4180 field: quoted when it holds a comma, quote or line break. A leading = + - @ would make a
 * spreadsheet evaluate the cell, so such text gets a leading apostrophe (numbers are written as numbers).
 */
function field(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const line = (cells: (string | number | null)[]): string => cells.map(field).join(',') + '\r\n';

/** Five sections, each a title row, a header row and its rows, separated by an empty line. */
export function reportCsv(r: Report): string {
  const sum = (k: 'A' | 'B' | 'C') => r.signedByAccount.reduce((n, s) => n + s[k], 0);
  let out = line([`Signed calls by account and attestation, and forwarded calls (div or div-o) signed and verified, ${r.from} to ${r.to} (UTC)`]);
  out += line(['account_id', 'account_name', 'A', 'B', 'C', 'total', 'forwarded_signed', 'forwarded_verified']);
  for (const s of r.signedByAccount) out += line([s.accountId, s.accountName, s.A, s.B, s.C, s.total, s.forwardedSigned, s.forwardedVerified]);
  out += line(['TOTAL', '', sum('A'), sum('B'), sum('C'), r.totals.signed, r.totals.forwardedSigned, r.totals.forwardedVerified]);
  out += '\r\n' + line([`Branded calls (Rich Call Data, RFC 9795) by account: signed, and verified with RCD that verified or failed, ${r.from} to ${r.to} (UTC)`]);
  out += line(['account_id', 'account_name', 'branded_signed', 'rcd_verified', 'rcd_failed']);
  for (const s of r.signedByAccount) if (s.brandedSigned + s.rcdVerified + s.rcdFailed > 0) out += line([s.accountId, s.accountName, s.brandedSigned, s.rcdVerified, s.rcdFailed]);
  out += line(['TOTAL', '', r.totals.brandedSigned, r.totals.rcdVerified, r.totals.rcdFailed]);
  out += '\r\n' + line([`Branded calls signed by RCD profile, ${r.from} to ${r.to} (UTC)`]);
  out += line(['account_id', 'account_name', 'profile_id', 'brand', 'signed']);
  for (const p of r.brandedByProfile) out += line([p.accountId, p.accountName, p.profileId, p.profileName, p.signed]);
  out += '\r\n' + line([`Failed signing requests by reason, ${r.from} to ${r.to} (UTC)`]);
  out += line(['error_code', 'count']);
  for (const f of r.failuresByReason) out += line([f.errorCode, f.count]);
  out += line(['TOTAL', r.totals.failures]);
  out += '\r\n' + line([`Certificate inventory as of ${r.generatedAt}`]);
  out += line(['account_id', 'credential_id', 'subject', 'spc', 'not_after', 'days_left', 'state']);
  for (const c of r.certificates) out += line([c.accountId, c.credentialId, c.subject, c.spc, c.notAfter, c.daysLeft, c.state]);
  return out;
}
