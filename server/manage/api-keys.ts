import { formatApiKey, newApiKeySecret } from '../core/api-key.js';
import type { ApiKeyRecord } from '../core/ports.js';
import type { SourceKind } from '../core/types.js';
import type { Store } from '../store/store.js';

/**
 * Creates an API key; the returned `token` is the only time the secret exists outside the caller. A key for a
 * gateway or interconnect (`sourceKind: 'gateway'`) never gets more than C.
 */
export async function createApiKey(store: Store, accountId: string, name: string, sourceKind: SourceKind = 'customer'): Promise<{ record: ApiKeyRecord; token: string }> {
  const { secret, secretHash } = newApiKeySecret();
  const record = await store.createApiKey({ accountId, name, secretHash, sourceKind });
  return { record, token: formatApiKey(record.id, secret) };
}
