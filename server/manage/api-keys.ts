import { formatApiKey, newApiKeySecret } from '../core/api-key.js';
import type { ApiKeyRecord } from '../core/ports.js';
import type { Store } from '../store/store.js';

/** Creates an API key; the returned `token` is the only time the secret exists outside the caller. */
export async function createApiKey(store: Store, accountId: string, name: string): Promise<{ record: ApiKeyRecord; token: string }> {
  const { secret, secretHash } = newApiKeySecret();
  const record = await store.createApiKey({ accountId, name, secretHash });
  return { record, token: formatApiKey(record.id, secret) };
}
