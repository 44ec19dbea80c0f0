import { attestationRank, parseAttestation } from '../core/attestation-policy.js';
import { ShakenError } from '../core/errors.js';
import type { AccountRecord } from '../core/ports.js';
import { parseRphNamespaces } from '../core/rph/rph-namespaces.js';
import type { Store } from '../store/store.js';

export interface AccountInput {
  name: unknown;
  defaultAttest?: unknown;
  maxAttest?: unknown;
  tokenTtlSec?: unknown;
  policyMode?: unknown;
  nonNumericOrig?: unknown;
}

function parseEnum<T extends string>(v: unknown, allowed: readonly T[], field: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `${field} must be one of ${allowed.join(', ')}`, { field });
  }
  return v as T;
}

export const POLICY_MODES = ['enforce', 'trust'] as const;
export const NON_NUMERIC_ORIG = ['B', 'C', 'refuse'] as const;

// ATIS-1000074 §5.3.1 freshness is 60 s; a longer TTL only widens what caller-supplied iat we accept.
const DEFAULT_TTL_SEC = 60;
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/**
 * Validates and creates an account. Defaults: attestation A, maximum A, token TTL 60 s, policy `enforce`
 * (A only for numbers in the account's inventory), non-numeric callers signed B.
 */
export async function createAccount(store: Store, input: AccountInput): Promise<AccountRecord> {
  if (typeof input.name !== 'string' || !NAME.test(input.name)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'account name must be 1-63 letters, digits, dot, dash or underscore', { field: 'name' });
  }
  const maxAttest = input.maxAttest === undefined ? 'A' : parseAttestation(input.maxAttest, 'maxAttest');
  const defaultAttest = input.defaultAttest === undefined ? maxAttest : parseAttestation(input.defaultAttest, 'defaultAttest');
  if (attestationRank(defaultAttest) > attestationRank(maxAttest)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'the default attestation cannot be above the maximum', { field: 'defaultAttest' });
  }
  const ttl = input.tokenTtlSec === undefined ? DEFAULT_TTL_SEC : Number(input.tokenTtlSec);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'token TTL must be a whole number of seconds from 1 to 86400', { field: 'tokenTtlSec' });
  }
  const policyMode = input.policyMode === undefined ? 'enforce' : parseEnum(input.policyMode, POLICY_MODES, 'policyMode');
  const nonNumericOrig = input.nonNumericOrig === undefined ? 'B' : parseEnum(input.nonNumericOrig, NON_NUMERIC_ORIG, 'nonNumericOrig');
  return store.createAccount({ name: input.name, defaultAttest, maxAttest, tokenTtlSec: ttl, policyMode, nonNumericOrig });
}

export interface AccountChange {
  defaultAttest?: unknown;
  maxAttest?: unknown;
  tokenTtlSec?: unknown;
  enabled?: unknown;
  policyMode?: unknown;
  nonNumericOrig?: unknown;
  /** Resource-Priority namespaces the account may sign rph PASSporTs for (RFC 8443); replaces the grant, `[]` clears it. */
  rphNamespaces?: unknown;
  /**
   * Out-of-band publishing to the STI-CPS (docs/out-of-band.md): `{"destPrefixes": [...]}` on for those called-number
   * prefixes (`[]`: every destination), `null` or `false` off, `true` on keeping the prefixes (every destination when it was off).
   */
  oobPublish?: unknown;
}

const PREFIX = /^[0-9]{1,15}$/;

/** The stored out-of-band choice after a change, or undefined when the change does not name it. */
export function parseOobPublish(account: AccountRecord, v: unknown): { destPrefixes: string[] } | null | undefined {
  if (v === undefined) return undefined;
  if (v === null || v === false) return null;
  if (v === true) return { destPrefixes: [...(account.oobPublish?.destPrefixes ?? [])] };
  const prefixes = typeof v === 'object' && !Array.isArray(v) ? (v as { destPrefixes?: unknown }).destPrefixes ?? [] : undefined;
  if (!Array.isArray(prefixes) || !prefixes.every((p): p is string => typeof p === 'string' && PREFIX.test(p))) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'oobPublish must be null, true, false or {"destPrefixes": [called-number prefixes of 1 to 15 digits]}', { field: 'oobPublish' });
  }
  return { destPrefixes: [...new Set(prefixes)].sort() };
}

/** Validates and applies a change; the default may never end up above the maximum. */
export async function updateAccount(store: Store, account: AccountRecord, change: AccountChange): Promise<AccountRecord> {
  const maxAttest = change.maxAttest === undefined ? undefined : parseAttestation(change.maxAttest, 'maxAttest');
  const defaultAttest = change.defaultAttest === undefined ? undefined : parseAttestation(change.defaultAttest, 'defaultAttest');
  if (attestationRank(defaultAttest ?? account.defaultAttest) > attestationRank(maxAttest ?? account.maxAttest)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'the default attestation cannot be above the maximum', { field: 'defaultAttest' });
  }
  let tokenTtlSec: number | undefined;
  if (change.tokenTtlSec !== undefined) {
    tokenTtlSec = Number(change.tokenTtlSec);
    if (!Number.isInteger(tokenTtlSec) || tokenTtlSec < 1 || tokenTtlSec > 86_400) {
      throw new ShakenError('ERR_REQ_FIELD_INVALID', 'token TTL must be a whole number of seconds from 1 to 86400', { field: 'tokenTtlSec' });
    }
  }
  if (change.enabled !== undefined && typeof change.enabled !== 'boolean') {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'enabled must be true or false', { field: 'enabled' });
  }
  return store.updateAccount(account.id, {
    defaultAttest,
    maxAttest,
    tokenTtlSec,
    enabled: change.enabled as boolean | undefined,
    policyMode: change.policyMode === undefined ? undefined : parseEnum(change.policyMode, POLICY_MODES, 'policyMode'),
    nonNumericOrig: change.nonNumericOrig === undefined ? undefined : parseEnum(change.nonNumericOrig, NON_NUMERIC_ORIG, 'nonNumericOrig'),
    rphNamespaces: change.rphNamespaces === undefined ? undefined : parseRphNamespaces(change.rphNamespaces),
    oobPublish: parseOobPublish(account, change.oobPublish),
  });
}

/** Finds an account by id (`acc_...`) or by name. */
export async function findAccount(store: Store, idOrName: string): Promise<AccountRecord> {
  const account = idOrName.startsWith('acc_') ? await store.getAccount(idOrName) : await store.findAccountByName(idOrName);
  if (!account) throw new ShakenError('ERR_REQ_NOT_FOUND', `account ${idOrName} does not exist`, { field: 'account' });
  return account;
}
