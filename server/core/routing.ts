import { ShakenError } from './errors.js';

/** One routing rule: calls whose first destination number starts with `prefix` go to `target` ('' matches all). */
export interface RoutingRule {
  id: string;
  accountId: string;
  prefix: string;
  /** A sip: or sips: URI: where the signed call is sent (302 Contact, gateway next hop). */
  target: string;
  /** Lower first; equal priorities are ordered by target, so every node answers the same. */
  priority: number;
}

export interface Route {
  uri: string;
  priority: number;
}

export type RouteSource = 'rule' | 'request-uri' | 'none';

// The target ends up in a SIP Contact header: no white space, controls, angle brackets or quotes.
const SIP_URI = /^sips?:[^\s<>"\x00-\x1f\x7f]+$/i;
const PREFIX = /^[0-9*#]{0,15}$/;

export function validRoutingTarget(v: unknown, field = 'target'): string {
  if (typeof v !== 'string' || v.length > 256 || !SIP_URI.test(v)) {
    throw new ShakenError('ERR_URI_INVALID', 'a route target must be a sip: or sips: URI of at most 256 printable characters', { field });
  }
  return v;
}

export function validRoutingPrefix(v: unknown, field = 'prefix'): string {
  if (typeof v !== 'string' || !PREFIX.test(v)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'a route prefix is 0 to 15 digits (empty: every number)', { field });
  }
  return v;
}

/**
 * The one routing decision for the redirect server's Contact, the gateway's next hop and `POST /api/routing`:
 * the rules with the longest prefix matching the first destination number, in priority order; with no rule,
 * the Request-URI when the caller gave one (its host is where the call was headed).
 */
export function decideRoutes(rules: readonly RoutingRule[], destTn: string | undefined, requestUri?: string): { routes: Route[]; source: RouteSource } {
  let best = -1;
  const matching: RoutingRule[] = [];
  for (const r of rules) {
    if (destTn === undefined ? r.prefix !== '' : !destTn.startsWith(r.prefix)) continue;
    if (r.prefix.length > best) {
      best = r.prefix.length;
      matching.length = 0;
    }
    if (r.prefix.length === best) matching.push(r);
  }
  if (matching.length > 0) {
    const routes = [...matching]
      .sort((a, b) => a.priority - b.priority || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0))
      .map((r) => ({ uri: r.target, priority: r.priority }));
    return { routes, source: 'rule' };
  }
  if (requestUri !== undefined) return { routes: [{ uri: requestUri, priority: 0 }], source: 'request-uri' };
  return { routes: [], source: 'none' };
}
