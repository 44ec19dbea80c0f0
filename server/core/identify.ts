import type { Authenticator } from './authenticate.js';
import { ShakenError } from './errors.js';
import type { SourceResolver } from './source-caller.js';
import type { CallerContext, Transport } from './types.js';

/** Who a request says it comes from: a bearer token, or (SIP) the address it came from. */
export interface CallerClaim {
  /** Bearer token, undefined when the caller sent none. */
  token: string | undefined;
  /** SIP: the peer address, which names the account instead of a token (the account's SIP sources). */
  sourceAddress?: string;
  transport: Transport;
}

/** What can tell a caller: API keys, and SIP source addresses where the node has them. */
export interface Identifiers {
  authenticator?: Authenticator;
  sources?: SourceResolver;
}

/**
 * The caller of one request, the same way for signing and verification: by source address when the request
 * came with one, else by API key, a key that passed within the cache TTL recalled without hashing it again.
 * Throws ERR_AUTH_* (or ERR_STORE_UNAVAILABLE) when it cannot tell. `identified` hears of a genuine key before
 * the revoked and disabled checks, so a refused request is still logged against its account.
 */
export function identify(
  claim: CallerClaim,
  by: Identifiers,
  identified?: (apiKeyId: string, accountId: string) => void,
): CallerContext | Promise<CallerContext> {
  if (claim.sourceAddress !== undefined) {
    if (!by.sources) throw new ShakenError('ERR_AUTH_INVALID', 'identification by source address is not configured', { field: 'source' });
    return by.sources.resolve(claim.sourceAddress, claim.transport);
  }
  if (!by.authenticator) throw new ShakenError('ERR_AUTH_INVALID', 'identification by API key is not configured', { field: 'authorization' });
  return by.authenticator.recall(claim.token, claim.transport) ?? by.authenticator.authenticate(claim.token, claim.transport, identified);
}
