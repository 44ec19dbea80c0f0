import type { ColumnType, Generated } from 'kysely';
import type { Attestation, AttestationReason, NonNumericOrigPolicy, PolicyMode, RequestKind, SourceKind, Transport } from '../core/types.js';
import type { Store } from './store.js';
import type { DashboardTables } from './dashboard-schema.js';

export type StoreEngine = Store['engine'];

/*
 * Row shapes as both engines return them. Times are epoch milliseconds in a bigint column (PostgreSQL's int8
 * is parsed to a number by the pool, see open-store.ts); booleans are 0/1 integers because libsql aborts the
 * process on a bound JS boolean and SQLite has no boolean type anyway.
 */

export interface AccountsTable {
  id: string;
  name: string;
  default_attest: Attestation;
  max_attest: Attestation;
  token_ttl_sec: number;
  enabled: 0 | 1;
  policy_mode: PolicyMode;
  non_numeric_orig: NonNumericOrigPolicy;
  inventory_version: number;
  /** Granted Resource-Priority namespaces joined by `,` (migration 010); null: none. */
  rph_namespaces: string | null;
  /** Out-of-band publishing (migration 014): null off, `*` every destination, else called-number prefixes joined by `,`. */
  oob_publish: string | null;
  created_at: number;
}

export interface CredentialsTable {
  id: string;
  account_id: string;
  key_ref: string;
  chain_pem: string;
  x5u: string;
  state: 'active' | 'retired';
  created_at: number;
  retired_at: number | null;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  name: string;
  secret_hash: string;
  source_kind: SourceKind;
  created_at: number;
  revoked_at: number | null;
}

export interface KeyBlobsTable {
  ref: string;
  /** SQLite (libsql) returns an ArrayBuffer, PostgreSQL a Buffer. */
  blob: ColumnType<ArrayBuffer | Uint8Array, Uint8Array, Uint8Array>;
  created_at: number;
}

export interface RequestLogTable {
  id: Generated<number>;
  time: number;
  account_id: string | null;
  api_key_id: string | null;
  transport: Transport;
  orig: string | null;
  dest: string | null;
  attest_requested: Attestation | null;
  attest_applied: Attestation | null;
  attest_reason: AttestationReason | null;
  outcome: 'ok' | 'error';
  error_code: string | null;
  latency_us: number;
  origid: string | null;
  kind: Generated<RequestKind>;
  /** `<segment>:<byte offset>` of a record shipped from the request-log journal; null otherwise. */
  journal_key: string | null;
  /** The call's PASSporT kinds in order joined by `,` (migration 009); null before it, or when there were none. */
  passports: string | null;
  /** The RCD profile id a signed call used (migration 013); null before it, or for a call without RCD. */
  rcd_profile: string | null;
  /** A verification's RCD (RFC 9795): 1 verified, 0 failed (migration 013); null before it, or without RCD. */
  rcd_verified: number | null;
}

export interface MetaTable {
  /** Always 1: the table holds one row. */
  id: number;
  change_version: number;
}

export interface TnInventoryTable {
  account_id: string;
  kind: 'tn' | 'range' | 'prefix';
  /** The number, the range start or the prefix. */
  value: string;
  /** Range length; 1 for a single number, 0 for a prefix. */
  count: number;
}

export interface RoutingRulesTable {
  id: string;
  account_id: string;
  prefix: string;
  target: string;
  priority: number;
  created_at: number;
}

export interface SipSourcesTable {
  account_id: string;
  /** Canonical CIDR text (`192.0.2.0/24`, `2001:db8::/32`); a single address is a /32 or /128. */
  cidr: string;
  source_kind: SourceKind;
  created_at: number;
  /** SBC dialect quirks (migration 011), 0/1 each; see server/core/sbc-dialect.ts. */
  identity_in_contact: number;
  multiple_choices: number;
  attestation_headers: number;
}

export interface RcdProfilesTable {
  id: string;
  account_id: string;
  /** The `rcd` claim (RFC 9795 §5), canonical JSON. */
  rcd: string;
  /** JSON arrays of strings: call reasons, canonical numbers, number prefixes. */
  crn: string;
  tns: string;
  prefixes: string;
  placement: 'shaken' | 'rcd';
  icn_digest: string | null;
  jcl_digest: string | null;
  /** Digests of photos and logos nested in the jCard (migration 015): canonical JSON pointer → digest; null: none. */
  nested_digests: string | null;
  content_checked_at: number | null;
  created_at: number;
}

export interface Database extends DashboardTables {
  accounts: AccountsTable;
  credentials: CredentialsTable;
  api_keys: ApiKeysTable;
  key_blobs: KeyBlobsTable;
  request_log: RequestLogTable;
  meta: MetaTable;
  tn_inventory: TnInventoryTable;
  routing_rules: RoutingRulesTable;
  sip_sources: SipSourcesTable;
  rcd_profiles: RcdProfilesTable;
}
