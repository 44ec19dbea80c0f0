import type { Insertable, Selectable } from 'kysely';
import type { AccountRecord, ApiKeyRecord, CredentialRecord, RequestLogRecord } from '../core/ports.js';
import type { KeyBlob, StoredRequestLogRecord } from './store.js';
import type { AccountsTable, ApiKeysTable, CredentialsTable, KeyBlobsTable, RequestLogTable } from './schema.js';

/* Rows to records and back: epoch milliseconds become Dates and 0/1 becomes a boolean here and nowhere else. */

function dateOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

export function toAccount(r: Selectable<AccountsTable>): AccountRecord {
  return {
    id: r.id,
    name: r.name,
    defaultAttest: r.default_attest,
    maxAttest: r.max_attest,
    tokenTtlSec: r.token_ttl_sec,
    enabled: r.enabled === 1,
    policyMode: r.policy_mode,
    nonNumericOrig: r.non_numeric_orig,
    inventoryVersion: Number(r.inventory_version),
    rphNamespaces: rphNamespacesOf(r.rph_namespaces),
    oobPublish: oobPublishOf(r.oob_publish),
    createdAt: new Date(r.created_at),
  };
}

/** The `rph_namespaces` column: `ets,wps` ↔ `['ets', 'wps']`; none is null, never an empty string. */
export function rphNamespacesOf(column: string | null): string[] {
  return column === null || column === '' ? [] : column.split(',');
}

export function rphNamespacesColumn(namespaces: readonly string[]): string | null {
  return namespaces.length === 0 ? null : namespaces.join(',');
}

/** The `oob_publish` column: null ↔ off (absent), `*` ↔ every destination (`[]`), `1404,1202` ↔ those prefixes. */
export function oobPublishOf(column: string | null): { destPrefixes: string[] } | undefined {
  if (column === null) return undefined;
  return { destPrefixes: column === '*' || column === '' ? [] : column.split(',') };
}

export function oobPublishColumn(publish: { destPrefixes: readonly string[] } | null): string | null {
  if (publish === null) return null;
  return publish.destPrefixes.length === 0 ? '*' : publish.destPrefixes.join(',');
}

export function toCredential(r: Selectable<CredentialsTable>): CredentialRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    keyRef: r.key_ref,
    chainPem: r.chain_pem,
    x5u: r.x5u,
    state: r.state,
    createdAt: new Date(r.created_at),
    retiredAt: dateOrNull(r.retired_at),
  };
}

export function toApiKey(r: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    secretHash: r.secret_hash,
    sourceKind: r.source_kind,
    createdAt: new Date(r.created_at),
    revokedAt: dateOrNull(r.revoked_at),
  };
}

export function toKeyBlob(r: Selectable<KeyBlobsTable>): KeyBlob {
  // A fresh Uint8Array either way: libsql hands out an ArrayBuffer, pg a Buffer from its own pool.
  const blob = r.blob instanceof ArrayBuffer ? new Uint8Array(r.blob) : Uint8Array.from(r.blob);
  return { ref: r.ref, blob, createdAt: new Date(r.created_at) };
}

/** A view of the caller's bytes that both drivers bind as binary (pg only takes a Buffer for bytea). */
export function blobParam(blob: Uint8Array): Buffer {
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
}

/** The request_log columns a record fills, in the order `requestLogValues` gives their values. */
export const REQUEST_LOG_COLUMNS = [
  'time',
  'account_id',
  'api_key_id',
  'transport',
  'orig',
  'dest',
  'attest_requested',
  'attest_applied',
  'attest_reason',
  'outcome',
  'error_code',
  'latency_us',
  'origid',
  'kind',
  'journal_key',
  'passports',
  'rcd_profile',
  'rcd_verified',
] as const satisfies readonly (keyof RequestLogRow)[];

type RequestLogRow = Required<Insertable<RequestLogTable>>;
/** One value per column of `C`, typed as that column (a mapped tuple type, so the order is checked too). */
type ValuesOf<C extends readonly (keyof RequestLogRow)[]> = { -readonly [I in keyof C]: C[I] extends keyof RequestLogRow ? RequestLogRow[C[I]] : never };
type RequestLogValues = ValuesOf<typeof REQUEST_LOG_COLUMNS>;

/**
 * A record's values in column order. Positional, not an object keyed by column: the request-log thread binds
 * these for every request the service answers, and going through a row object per record cost it several µs
 * (issue 17).
 */
export function requestLogValues(r: StoredRequestLogRecord): RequestLogValues {
  return [
    r.time.getTime(),
    r.accountId,
    r.apiKeyId,
    r.transport,
    r.orig,
    r.dest,
    r.attestRequested,
    r.attestApplied,
    r.attestReason,
    r.outcome,
    r.errorCode,
    r.latencyUs,
    r.origid,
    r.kind,
    r.journalKey ?? null,
    r.passports,
    r.rcdProfile,
    r.rcdVerified === null ? null : r.rcdVerified ? 1 : 0,
  ];
}

export function toRequestLogRecord(r: Selectable<RequestLogTable>): RequestLogRecord {
  return {
    kind: r.kind,
    time: new Date(r.time),
    accountId: r.account_id,
    apiKeyId: r.api_key_id,
    transport: r.transport,
    orig: r.orig,
    dest: r.dest,
    attestRequested: r.attest_requested,
    attestApplied: r.attest_applied,
    attestReason: r.attest_reason,
    outcome: r.outcome,
    errorCode: r.error_code,
    latencyUs: r.latency_us,
    origid: r.origid,
    passports: r.passports,
    // pg may hand an integer back as a string; both engines store 1 or 0.
    rcdProfile: r.rcd_profile,
    rcdVerified: r.rcd_verified === null ? null : Number(r.rcd_verified) === 1,
  };
}
