import type { Route } from '../core/routing.js';

/** `uri` with URI headers added (`?a=b&…`): after a `?` of its own, joined with `&` (RFC 3261 §19.1.1). */
function withHeaders(uri: string, uriHeaders: string): string {
  if (uriHeaders === '') return uri;
  return uri.includes('?') ? `${uri}&${uriHeaders.slice(1)}` : `${uri}${uriHeaders}`;
}

/**
 * `Contact: <uri>;q=…` for each route, best first (RFC 3261 §20.10: q orders the alternatives of a 3xx), or
 * undefined for none. `uriHeaders` (`?name=value&…`, already escaped) is added inside every URI's brackets.
 */
export function contactHeader(routes: readonly Route[], uriHeaders = ''): string | undefined {
  if (routes.length === 0) return undefined;
  if (routes.length === 1) return `Contact: <${withHeaders(routes[0]!.uri, uriHeaders)}>`;
  return `Contact: ${routes.map((r, i) => `<${withHeaders(r.uri, uriHeaders)}>;q=${Math.max(0.1, 1 - i * 0.1).toFixed(1)}`).join(', ')}`;
}
