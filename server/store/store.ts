import type {
  AccountRecord,
  ApiKeyRecord,
  CredentialRecord,
  Directory,
  RequestLogRecord,
} from '../core/ports.js';
import type { InventoryEntry } from '../core/tn-inventory.js';
import type { RoutingRule } from '../core/routing.js';
import type { RcdProfile } from '../core/rcd/rcd-profile.js';
import type { DashboardStore } from './dashboard-store.js';
import type { PassportFilter } from './passport-filter.js';
import type { SbcDialect } from '../core/sbc-dialect.js';
import type { SipSource } from '../core/sip-sources.js';
import type { Attestation, NonNumericOrigPolicy, PolicyMode, SourceKind, Transport } from '../core/types.js';

export interface NewAccount {
  name: string;
  defaultAttest: Attestation;
  maxAttest: Attestation;
  tokenTtlSec: number;
  policyMode: PolicyMode;
  nonNumericOrig: NonNumericOrigPolicy;
}

export interface AccountPatch {
  defaultAttest?: Attestation;
  maxAttest?: Attestation;
  tokenTtlSec?: number;
  enabled?: boolean;
  policyMode?: PolicyMode;
  nonNumericOrig?: NonNumericOrigPolicy;
  /** Replaces the granted Resource-Priority namespaces (RFC 8443); `[]` clears them. */
  rphNamespaces?: readonly string[];
  /** Out-of-band publishing (docs/out-of-band.md): on for these called-number prefixes (`[]`: every one), or `null` off. */
  oobPublish?: { destPrefixes: readonly string[] } | null;
}

export interface NewCredential {
  accountId: string;
  keyRef: string;
  chainPem: string;
  /**
   * Where verifiers fetch the chain: an absolute URL hosted elsewhere, or, for a chain this service hosts, its
   * path (`/certs/<fingerprint>.pem`), resolved against the serving node's publicUrl (`resolveX5u`).
   */
  x5u: string;
}

export interface NewApiKey {
  accountId: string;
  name: string;
  secretHash: string;
  sourceKind: SourceKind;
}

/** A request-log record as stored: shipped from the journal, it carries the key of where it was journaled. */
export type StoredRequestLogRecord = RequestLogRecord & { journalKey?: string };

export interface RequestLogQuery {
  accountId?: string;
  transport?: Transport;
  outcome?: 'ok' | 'error';
  /** Records whose PASSporT list names this kind, or (`forwarded`) any diversion PASSporT: div or div-o (RFC 8946). */
  passport?: PassportFilter;
  since?: Date;
  until?: Date;
  limit?: number;
}

/** An encrypted private key blob of the software key store (AES-256-GCM envelope; never plaintext). */
export interface KeyBlob {
  ref: string;
  blob: Uint8Array;
  createdAt: Date;
}

/**
 * Persistence for accounts, credentials, API keys, software key blobs and the request log. One interface,
 * two engines (embedded SQLite file, PostgreSQL), one set of queries.
 */
export interface Store extends Directory {
  readonly engine: 'embedded' | 'postgres';
  /** Dashboard users, sessions, audit log and the request-log insight queries (issue 7). */
  readonly dashboard: DashboardStore;

  createAccount(a: NewAccount): Promise<AccountRecord>;
  updateAccount(id: string, patch: AccountPatch): Promise<AccountRecord>;
  listAccounts(): Promise<AccountRecord[]>;
  findAccountByName(name: string): Promise<AccountRecord | undefined>;

  /**
   * Adds a credential as the account's active one; the previous active credential becomes `retired` in the
   * same transaction (it stays published at its x5u). Returns the new record.
   */
  addCredential(c: NewCredential): Promise<CredentialRecord>;
  getCredential(id: string): Promise<CredentialRecord | undefined>;
  listCredentials(accountId?: string): Promise<CredentialRecord[]>;

  createApiKey(k: NewApiKey): Promise<ApiKeyRecord>;
  revokeApiKey(id: string): Promise<ApiKeyRecord>;
  listApiKeys(accountId?: string): Promise<ApiKeyRecord[]>;

  putKeyBlob(ref: string, blob: Uint8Array): Promise<void>;
  getKeyBlob(ref: string): Promise<KeyBlob | undefined>;
  listKeyBlobs(): Promise<KeyBlob[]>;

  /**
   * Adds (or updates the count of) inventory entries in one transaction, all or none, and bumps the account's
   * inventory version. With `replace`, the account's other entries are removed in the same transaction.
   */
  addInventory(accountId: string, entries: readonly InventoryEntry[] | AsyncIterable<readonly InventoryEntry[]>, opts?: { replace?: boolean }): Promise<void>;
  /** Removes the given entries (matched by kind and number/start/prefix); returns how many existed. */
  removeInventory(accountId: string, entries: readonly InventoryEntry[]): Promise<number>;
  countInventory(accountId: string): Promise<number>;

  addRoutingRule(rule: Omit<RoutingRule, 'id'>): Promise<RoutingRule>;
  /** Removes a rule; ERR_REQ_NOT_FOUND when there is none with that id. */
  removeRoutingRule(id: string): Promise<RoutingRule>;

  /**
   * Adds a source block (canonical CIDR), checked against every block in the same transaction by the core's
   * `admitSipSource`: ERR_REQ_CONFLICT for the account's own duplicate, or for a block overlapping another
   * account's unless `allowOverlap`. Returns the other accounts' blocks it overlaps (empty unless allowed).
   */
  addSipSource(source: SipSource, options?: { allowOverlap?: boolean }): Promise<{ source: SipSource; overlaps: SipSource[] }>;
  /** Removes a block; ERR_REQ_NOT_FOUND when there is none. */
  removeSipSource(cidr: string): Promise<SipSource>;
  /** Replaces a block's SBC dialect (every quirk as given); ERR_REQ_NOT_FOUND when there is no such block. */
  setSipSourceDialect(cidr: string, dialect: SbcDialect): Promise<SipSource>;

  /** Adds an RCD profile (RFC 9795 brand) an operator vetted; ERR_REQ_NOT_FOUND when the account does not exist. */
  addRcdProfile(profile: Omit<RcdProfile, 'id' | 'createdAt'>): Promise<RcdProfile>;
  /** Records the digests of a profile's linked content as just fetched; ERR_REQ_NOT_FOUND when there is none. */
  updateRcdProfileContent(id: string, content: { icnDigest: string | null; jclDigest: string | null; nestedDigests?: Record<string, string>; checkedAt: Date }): Promise<RcdProfile>;
  /** Removes a profile; ERR_REQ_NOT_FOUND when there is none with that id. */
  removeRcdProfile(id: string): Promise<RcdProfile>;
  getRcdProfile(id: string): Promise<RcdProfile | undefined>;

  /**
   * Inserts many records in one transaction: all or none. A record whose `journalKey` is already stored is
   * skipped, so shipping a journal segment twice (replay after a crash) inserts each record once.
   */
  appendRequestLog(records: readonly StoredRequestLogRecord[]): Promise<void>;
  queryRequestLog(q: RequestLogQuery): Promise<RequestLogRecord[]>;
  countRequestLog(): Promise<number>;

  /**
   * A counter bumped by every change to accounts, credentials or API keys, so that each running node (or
   * cluster worker) can drop its caches when another process changed something.
   */
  changeVersion(): Promise<number>;
  /**
   * Calls `listener` after each change of that kind made through this handle has committed, so the process that
   * made it (admin API, dashboard, CLI) drops its caches at once instead of at the next poll of `changeVersion`.
   * The listener is given the change's version. Returns the function that removes the listener.
   */
  onCommittedChange(listener: (version: number) => void): () => void;

  /** Cheap liveness probe for readiness endpoints. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
