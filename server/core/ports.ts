import type { KeyObject } from 'node:crypto';
import type { InventoryEntry } from './tn-inventory.js';
import type { RoutingRule } from './routing.js';
import type { RcdProfile } from './rcd/rcd-profile.js';
import type { SipSource } from './sip-sources.js';
import type { Attestation, AttestationReason, NonNumericOrigPolicy, PolicyMode, RequestKind, SourceKind, Transport } from './types.js';

/** Signs with a key that never leaves its store. The core needs nothing more of a key store. */
export interface KeySigner {
  /** ES256 over `data` (SHA-256 then ECDSA P-256): raw 64-byte R||S, as JWS wants (RFC 7518 §3.4). */
  sign(keyRef: string, data: Uint8Array): Promise<Uint8Array>;
  /** The public half, to check it against the certificate before the key is ever used. */
  publicKey(keyRef: string): Promise<KeyObject>;
}

export interface AccountRecord {
  id: string;
  name: string;
  defaultAttest: Attestation;
  maxAttest: Attestation;
  /** How far a caller-supplied iat may be from now, and how long a retired certificate stays published. */
  tokenTtlSec: number;
  enabled: boolean;
  /** `enforce`: A only for numbers in the inventory; `trust`: the caller's level, capped (RFC 8224 §6.1). */
  policyMode: PolicyMode;
  /** What an orig that is not a telephone number (anonymous, a SIP URI) gets. */
  nonNumericOrig: NonNumericOrigPolicy;
  /** Bumped by every inventory change, so nodes rebuild an inventory only when it changed. */
  inventoryVersion: number;
  /**
   * Resource-Priority namespaces (RFC 4412, lower-case: `ets`, `wps`, `esnet`) this account may sign rph PASSporTs
   * for (RFC 8443); absent or empty: none. Granted by an operator, never by the account itself.
   */
  rphNamespaces?: readonly string[];
  /**
   * Out-of-band SHAKEN (ATIS-1000096/1000105): present when this account's signed PASSporTs are also published to
   * the STI-CPS, for calls to these called-number prefixes (empty: every destination). Absent: off.
   */
  oobPublish?: { readonly destPrefixes: readonly string[] };
  createdAt: Date;
}

export type CredentialState = 'active' | 'retired';

export interface CredentialRecord {
  id: string;
  accountId: string;
  /** Key-store reference, e.g. `soft:<id>`; never key material. */
  keyRef: string;
  /** PEM chain, leaf first. */
  chainPem: string;
  /** Where verifiers fetch `chainPem` (RFC 8224 `info`, PASSporT `x5u`). */
  x5u: string;
  state: CredentialState;
  createdAt: Date;
  retiredAt: Date | null;
}

export interface ApiKeyRecord {
  id: string;
  accountId: string;
  name: string;
  /** hex SHA-256 of the secret part; the secret itself is shown once and never stored. */
  secretHash: string;
  /** A gateway/interconnect source can never get more than C (ATIS-1000074 §5.2.3). */
  sourceKind: SourceKind;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Read access the core needs to decide who is calling and what to sign with. */
export interface Directory {
  getAccount(id: string): Promise<AccountRecord | undefined>;
  getActiveCredential(accountId: string): Promise<CredentialRecord | undefined>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** The account's TN inventory in chunks, so a million entries never sit in one result or block one tick. */
  streamInventory(accountId: string, chunkSize?: number): AsyncIterable<InventoryEntry[]>;
  /** Source blocks of SIP trunks: every account's, or one account's. */
  listSipSources(accountId?: string): Promise<SipSource[]>;
  /** The account's routing rules, in insertion order. */
  listRoutingRules(accountId: string): Promise<RoutingRule[]>;
  /** The account's vetted RCD profiles (RFC 9795 brands), in insertion order. */
  listRcdProfiles(accountId: string): Promise<RcdProfile[]>;
}

export type RequestOutcome = 'ok' | 'error';

export interface RequestLogRecord {
  kind: RequestKind;
  time: Date;
  accountId: string | null;
  apiKeyId: string | null;
  transport: Transport;
  orig: string | null;
  /** Canonical destinations joined by `,`. */
  dest: string | null;
  attestRequested: Attestation | null;
  attestApplied: Attestation | null;
  /** Why the applied level is what it is (`tn-not-in-inventory`, `account-maximum`, ...). */
  attestReason: AttestationReason | null;
  outcome: RequestOutcome;
  errorCode: string | null;
  latencyUs: number;
  origid: string | null;
  /**
   * The PASSporT kinds of the call in order, joined by `,` (`shaken`, `div`, `shaken,div,div`): what was signed
   * for a sign record, the Identity headers judged for a verify record (RFC 8224 §6.2). Null when none.
   */
  passports: string | null;
  /** A signed branded call: the id of the RCD profile it used (RFC 9795). Null without RCD, and in older records. */
  rcdProfile: string | null;
  /** A verified call that carried RCD: true when its RCD verified (name, and every rcdi digest), false when not. */
  rcdVerified: boolean | null;
}

/**
 * Takes a finished request's record. A sink that makes the record durable before the answer leaves (the request
 * journal) returns a promise that settles, and never rejects, once the record is written; the core awaits it, so
 * every transport answers after the write. Other sinks (the metrics) return nothing and are not waited for.
 */
export interface RequestLogSink {
  record(entry: RequestLogRecord): void | Promise<void>;
}

export interface Clock {
  /** Milliseconds since the epoch. Injected so tests control time. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
