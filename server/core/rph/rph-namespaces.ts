import { ShakenError } from '../errors.js';

/**
 * The Resource-Priority namespaces an operator may grant an account for rph PASSporTs (RFC 8443).
 *
 * - `ets`, `wps`: the US NS/EP services (Government Emergency Telecommunications Service and Wireless Priority
 *   Service), the namespaces RFC 8443 was written for; registered by RFC 4412 (IANA "Resource-Priority
 *   Namespaces").
 * - `esnet`: emergency-services networks, registered by RFC 7135; RFC 9027 §3 makes `esnet.x` an rph `auth` value.
 *
 * Any other RFC 4412 token would parse, but is refused on purpose: a grant lets an account tell every network on
 * the path to give its calls priority, so a misspelt grant (`est`) must fail loudly instead of silently never
 * matching, and the other registered namespaces (`dsn`, `drsn`, `q735`, `mcpttp`/`mcpttq`, ...) belong to
 * closed military or mission-critical networks that do not carry SHAKEN traffic. Adding one is a code change
 * with its standard cited here.
 */
export const RPH_NAMESPACES = ['ets', 'wps', 'esnet'] as const;
export type RphNamespace = (typeof RPH_NAMESPACES)[number];

/**
 * An operator's grant (`["ets","wps"]`, or `"ets,wps"` from a command line) → the canonical list: lower-case,
 * without repeats, in RPH_NAMESPACES order. `[]` or `""` clears the grant.
 */
export function parseRphNamespaces(raw: unknown, field = 'rphNamespaces'): RphNamespace[] {
  const list = typeof raw === 'string' ? raw.split(',').filter((s) => s.trim() !== '') : raw;
  if (!Array.isArray(list)) throw new ShakenError('ERR_REQ_FIELD_INVALID', `${field} must be a list of Resource-Priority namespaces (${RPH_NAMESPACES.join(', ')})`, { field });
  const wanted = new Set<string>();
  for (const v of list) {
    const ns = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    if (ns === undefined || !(RPH_NAMESPACES as readonly string[]).includes(ns)) {
      throw new ShakenError('ERR_REQ_FIELD_INVALID', `${field}: ${typeof v === 'string' ? JSON.stringify(v.slice(0, 32)) : 'a non-string value'} is not a namespace this service grants (${RPH_NAMESPACES.join(', ')})`, { field });
    }
    wanted.add(ns);
  }
  return RPH_NAMESPACES.filter((ns) => wanted.has(ns));
}
