// Shapes of docs/dashboard-api.md, the one contract with server/dashboard/.

export type Role = 'admin' | 'operator' | 'viewer';
export type Attest = 'A' | 'B' | 'C';
export type SourceKind = 'customer' | 'gateway';

export interface User {
  id: string;
  username: string;
  role: Role;
  accountId: string | null;
}

export interface UserWithDates extends User {
  createdAt: string;
}

export interface Session {
  user: User;
  csrfToken: string;
}

export interface Credential {
  id: string;
  state: 'active' | 'retired';
  subject: string;
  issuer: string;
  spc: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  x5u: string;
  keyStore: 'software' | 'pkcs11';
  createdAt: string;
  retiredAt: string | null;
}

export interface Account {
  id: string;
  name: string;
  defaultAttest: Attest;
  maxAttest: Attest;
  tokenTtlSec: number;
  policyMode: string;
  nonNumericOrig: string;
  /** Resource-Priority namespaces granted for priority calls (rph PASSporTs, RFC 8443). */
  rphNamespaces: string[];
  /** Out-of-band publishing to the STI-CPS: on for these called-number prefixes (`[]`: every one), or null off. */
  oobPublish: { destPrefixes: string[] } | null;
  enabled: boolean;
  createdAt: string;
  activeCredential: Credential | null;
}

export interface ApiKey {
  id: string;
  name: string;
  sourceKind: SourceKind;
  createdAt: string;
  revokedAt: string | null;
}

/** How the SBC behind a SIP source wants the redirect server's 3xx (docs/sip-redirect-server.md#sbc-dialects). */
export interface SbcDialect {
  identityInContact: boolean;
  multipleChoices: boolean;
  attestationHeaders: boolean;
}

export interface SipSource {
  cidr: string;
  sourceKind: SourceKind;
  dialect: SbcDialect;
}

export interface RouteRule {
  id: string;
  prefix: string;
  target: string;
  priority: number;
}

export interface AccountDetail {
  account: Account;
  credentials: Credential[];
  apiKeys: ApiKey[];
  sipSources: SipSource[];
  routes: RouteRule[];
  rcdProfiles: RcdProfile[];
}

/** A vetted brand (RFC 9795 Rich Call Data; docs/branded-calls.md). `logo` is our own URL of its logo. */
export interface RcdProfile {
  id: string;
  rcd: { nam: string; apn?: string; icn?: string; jcl?: string; jcd?: unknown[] };
  crn: string[];
  tns: string[];
  prefixes: string[];
  placement: 'shaken' | 'rcd';
  icnDigest: string | null;
  jclDigest: string | null;
  /** Digests of the photos and logos its jCard links: JSON pointer (`/jcd/1/1/3`) → digest. */
  nestedDigests?: Record<string, string>;
  contentCheckedAt: string | null;
  logo: string | null;
}

export interface LogRow {
  id: string | number;
  time: string;
  kind: 'sign' | 'verify';
  accountId: string | null;
  apiKeyId: string | null;
  transport: string;
  orig: string | null;
  dest: string[] | string | null;
  attestRequested: string | null;
  attestApplied: string | null;
  attestReason: string | null;
  outcome: 'ok' | 'error';
  errorCode: string | null;
  latencyUs: number;
  origid: string | null;
  /** The call's PASSporT kinds in order (`["shaken", "div"]`); empty when none were recorded. */
  passports: string[];
  /** Branded calls (RFC 9795): the RCD profile a signature used; whether a verification's RCD verified. */
  rcdProfile?: string | null;
  rcdVerified?: boolean | null;
}

export type StatsWindow = '15m' | '1h' | '24h' | '7d';

export interface StatsBucket {
  t: string | number;
  count: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  byAttest: { A: number; B: number; C: number };
  /** Requests whose PASSporTs include a div or div-o (forwarded calls). */
  forwarded: number;
  /** Requests of branded calls (RCD, RFC 9795). */
  branded: number;
}

export interface Integration {
  apiKeyId: string | null;
  apiKeyName: string | null;
  transport: string;
  count: number;
  errors: number;
  errorRate: number;
  p99Ms: number | null;
  lastSeen: string | null;
}

export interface Stats {
  window: StatsWindow;
  bucketSec: number;
  buckets: StatsBucket[];
  totals: { count: number; errors: number; errorRate: number; forwarded: number; branded: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null };
  integrations: Integration[];
}

export interface Warning {
  kind: 'certificate-expiring' | 'certificate-expired';
  accountId: string;
  credentialId: string;
  notAfter: string;
  daysLeft: number;
}

export interface Report {
  from: string;
  to: string;
  signedByAccount: { accountId: string; accountName: string; A: number; B: number; C: number; total: number; forwardedSigned: number; forwardedVerified: number; brandedSigned: number; rcdVerified: number; rcdFailed: number }[];
  brandedByProfile: { accountId: string; accountName: string; profileId: string; profileName: string; signed: number }[];
  failuresByReason: { errorCode: string; count: number }[];
  certificates: { accountId: string; credentialId: string; subject: string; spc: string; notAfter: string; daysLeft: number; state: string }[];
}

export interface AuditEntry {
  time: string;
  userId: string | null;
  username: string | null;
  action: string;
  target: string | null;
  detail: unknown;
}
