import { attestationRank, parseAttestation } from '../core/attestation-policy.js';
import { ShakenError } from '../core/errors.js';
import type { AccountRecord } from '../core/ports.js';
import type { Store } from '../store/store.js';

export interface AccountInput {
  name: unknown;
  defaultAttest?: unknown;
  maxAttest?: unknown;
  tokenTtlSec?: unknown;
}

// ATIS-1000074 §5.3.1 freshness is 60 s; a longer TTL only widens what caller-supplied iat we accept.
const DEFAULT_TTL_SEC = 60;
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/** Validates and creates an account. Defaults: attestation A, maximum A, token TTL 60 s. */
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
  return store.createAccount({ name: input.name, defaultAttest, maxAttest, tokenTtlSec: ttl });
}

/** Finds an account by id (`acc_...`) or by name. */
export async function findAccount(store: Store, idOrName: string): Promise<AccountRecord> {
  const account = idOrName.startsWith('acc_') ? await store.getAccount(idOrName) : await store.findAccountByName(idOrName);
  if (!account) throw new ShakenError('ERR_REQ_NOT_FOUND', `account ${idOrName} does not exist`, { field: 'account' });
  return account;
}
