import { parseApiKey, secretMatches } from './api-key.js';
import { CachedLoader, type CachedLoaderOptions } from './cached-loader.js';
import { ShakenError } from './errors.js';
import type { AccountRecord, ApiKeyRecord, Clock, Directory } from './ports.js';
import type { CallerContext, Transport } from './types.js';

export interface Authenticator {
  /**
   * Resolves a bearer token to its account, or throws ERR_AUTH_*. `identified` hears of a genuine key (secret
   * matches) before the revoked/disabled checks, so a refused request is still logged against its account.
   */
  authenticate(token: string | undefined, transport: Transport, identified?: (apiKeyId: string, accountId: string) => void): Promise<CallerContext>;
  /** A token that passed `authenticate` within the cache TTL, without re-hashing it; undefined otherwise. */
  recall(token: string | undefined, transport: Transport): CallerContext | undefined;
  invalidate(): void;
}

/** Pulls the token out of an `Authorization: Bearer <token>` value (RFC 6750 §2.1); undefined if absent. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : '';
}

export function createAuthenticator(directory: Directory, clock: Clock, cache: CachedLoaderOptions): Authenticator {
  const cacheTtlMs = cache.ttlMs;
  // A key never seen before an outage cannot be checked during it: its lookup fails with ERR_STORE_UNAVAILABLE (503), not 401.
  const keys = new CachedLoader<string, ApiKeyRecord | undefined>((id) => directory.getApiKey(id), clock, cache);
  const accounts = new CachedLoader<string, AccountRecord | undefined>((id) => directory.getAccount(id), clock, cache);
  // Tokens that passed, so a busy sidecar's key is hashed once per TTL rather than per call. Keyed by the token
  // itself: it is in this process's memory on every request anyway. Cleared with the other caches.
  const passed = new Map<string, { accountId: string; apiKeyId: string; sourceKind: CallerContext['sourceKind']; expiresAt: number }>();
  const MAX_PASSED = 10_000;

  return {
    async authenticate(token, transport, identified) {
      if (token === undefined) {
        throw new ShakenError('ERR_AUTH_MISSING', 'an API key is required: Authorization: Bearer <key>', { field: 'authorization' });
      }
      const parsed = parseApiKey(token);
      const record = parsed ? await keys.get(parsed.keyId) : undefined;
      if (!parsed || !record || !secretMatches(parsed.secret, record.secretHash)) {
        throw new ShakenError('ERR_AUTH_INVALID', 'the API key is not valid', { field: 'authorization' });
      }
      identified?.(record.id, record.accountId);
      if (record.revokedAt) {
        throw new ShakenError('ERR_AUTH_REVOKED', 'the API key has been revoked', { field: 'authorization' });
      }
      const account = await accounts.get(record.accountId);
      if (!account || !account.enabled) {
        throw new ShakenError('ERR_AUTH_ACCOUNT_DISABLED', 'the account of this API key is disabled', { field: 'authorization' });
      }
      if (passed.size >= MAX_PASSED) passed.clear();
      passed.set(token, { accountId: account.id, apiKeyId: record.id, sourceKind: record.sourceKind, expiresAt: clock.now() + cacheTtlMs });
      return { accountId: account.id, apiKeyId: record.id, transport, sourceKind: record.sourceKind };
    },
    recall(token, transport) {
      const hit = token === undefined ? undefined : passed.get(token);
      if (!hit || hit.expiresAt <= clock.now()) return undefined;
      return { accountId: hit.accountId, apiKeyId: hit.apiKeyId, transport, sourceKind: hit.sourceKind };
    },
    invalidate() {
      keys.clear();
      accounts.clear();
      passed.clear();
    },
  };
}
