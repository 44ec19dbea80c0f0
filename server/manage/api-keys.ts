import { formatApiKey, newApiKeySecret } from '../core/api-key.js';
import { ShakenError } from '../core/errors.js';
import type { ApiKeyRecord } from '../core/ports.js';
import type { Store } from '../store/store.js';
import { parseSourceKind } from './source-kind.js';

function keyName(value: unknown): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name === '' || name.length > 100) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'name must be 1-100 characters', { field: 'name' });
  return name;
}

/**
 * Creates an API key; the returned `token` is the only time the secret exists outside the caller. A key for a
 * gateway or interconnect (`sourceKind: 'gateway'`) never gets more than C. The name is trimmed, 1-100
 * characters, `default` when absent.
 */
export async function createApiKey(store: Store, accountId: string, name: unknown = 'default', sourceKind?: unknown): Promise<{ record: ApiKeyRecord; token: string }> {
  const { secret, secretHash } = newApiKeySecret();
  const record = await store.createApiKey({ accountId, name: keyName(name), secretHash, sourceKind: parseSourceKind(sourceKind) });
  return { record, token: formatApiKey(record.id, secret) };
}

/** The account's keys (or every account's), without their secret hashes. */
export async function listApiKeys(store: Store, accountId?: string): Promise<Omit<ApiKeyRecord, 'secretHash'>[]> {
  return (await store.listApiKeys(accountId)).map(({ secretHash: _omit, ...k }) => k);
}

/**
 * Revokes one of the account's keys. Another account's key is answered exactly as a key that does not exist
 * (ERR_REQ_NOT_FOUND, same words), never revoked: every caller names the account it acts for.
 */
export async function revokeApiKey(store: Store, accountId: string, keyId: unknown): Promise<ApiKeyRecord> {
  const key = typeof keyId === 'string' ? await store.getApiKey(keyId) : undefined;
  if (!key || key.accountId !== accountId) throw new ShakenError('ERR_REQ_NOT_FOUND', `API key ${String(keyId)} does not exist for this account`, { field: 'id' });
  return store.revokeApiKey(key.id);
}
