import { daysUntilExpiry, parseCertificateChain } from '../core/cert-chain.js';
import { resolveX5u } from '../core/certificate-publisher.js';
import type { AccountRecord, ApiKeyRecord, CredentialRecord } from '../core/ports.js';
import type { AuditEntry, LogRow } from '../store/dashboard-store.js';

/* The JSON shapes of docs/dashboard-api.md, built from store records in one place. Never key material. */

export interface CredView {
  id: string;
  accountId: string;
  state: 'active' | 'retired';
  subject: string;
  issuer: string;
  spc: string | null;
  serial: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  x5u: string;
  keyStore: 'software' | 'pkcs11';
  createdAt: string;
  retiredAt: string | null;
}

/** `publicUrl`: this node's, which a hosted credential's stored x5u path is resolved against (as signing does). */
export function credView(c: CredentialRecord, nowMs: number, publicUrl = ''): CredView {
  const leaf = parseCertificateChain(c.chainPem).leaf;
  return {
    id: c.id,
    accountId: c.accountId,
    state: c.state,
    subject: leaf.subject,
    issuer: leaf.issuer,
    spc: leaf.spc,
    serial: leaf.serialNumber,
    notBefore: leaf.notBefore.toISOString(),
    notAfter: leaf.notAfter.toISOString(),
    daysLeft: daysUntilExpiry(leaf, nowMs),
    x5u: resolveX5u(c.x5u, publicUrl),
    keyStore: c.keyRef.startsWith('pkcs11:') ? 'pkcs11' : 'software',
    createdAt: c.createdAt.toISOString(),
    retiredAt: c.retiredAt?.toISOString() ?? null,
  };
}

/** Active first, then retired ones newest first. */
export function sortCredentials(list: CredentialRecord[]): CredentialRecord[] {
  return [...list].sort((a, b) => (a.state === b.state ? b.createdAt.getTime() - a.createdAt.getTime() : a.state === 'active' ? -1 : 1));
}

export function accountView(a: AccountRecord, active: CredView | null) {
  return {
    id: a.id,
    name: a.name,
    defaultAttest: a.defaultAttest,
    maxAttest: a.maxAttest,
    tokenTtlSec: a.tokenTtlSec,
    policyMode: a.policyMode,
    nonNumericOrig: a.nonNumericOrig,
    rphNamespaces: a.rphNamespaces ?? [],
    oobPublish: a.oobPublish ?? null,
    enabled: a.enabled,
    createdAt: a.createdAt.toISOString(),
    activeCredential: active,
  };
}

export function apiKeyView(k: ApiKeyRecord) {
  return { id: k.id, name: k.name, sourceKind: k.sourceKind, createdAt: k.createdAt.toISOString(), revokedAt: k.revokedAt?.toISOString() ?? null };
}

export function logRowView(r: LogRow) {
  return {
    id: r.id,
    time: r.time.toISOString(),
    kind: r.kind,
    accountId: r.accountId,
    apiKeyId: r.apiKeyId,
    transport: r.transport,
    orig: r.orig,
    dest: r.dest === null ? [] : r.dest.split(','),
    attestRequested: r.attestRequested,
    attestApplied: r.attestApplied,
    attestReason: r.attestReason,
    outcome: r.outcome,
    errorCode: r.errorCode,
    latencyUs: r.latencyUs,
    origid: r.origid,
    // In order, as the record names them (`["shaken","div"]`); empty when none were recorded (rows before 009).
    passports: r.passports === null ? [] : r.passports.split(','),
    // Branded calls (RFC 9795): the RCD profile a signature used, whether a verification's RCD verified; null otherwise.
    rcdProfile: r.rcdProfile,
    rcdVerified: r.rcdVerified,
  };
}

export function auditView(e: AuditEntry) {
  let detail: unknown = null;
  if (e.detail !== null) {
    try {
      detail = JSON.parse(e.detail);
    } catch {
      detail = e.detail;
    }
  }
  return { time: e.time.toISOString(), userId: e.userId, username: e.username, action: e.action, target: e.target, accountId: e.accountId, detail };
}
