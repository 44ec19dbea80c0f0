import { CachedLoader } from './cached-loader.js';
import type { Clock, Directory } from './ports.js';
import { decideRoutes, validRoutingTarget, type Route, type RouteSource, type RoutingRule } from './routing.js';
import type { SignCall, SigningService } from './sign-service.js';
import type { SignResult } from './types.js';

export interface RoutingCall extends SignCall {
  /** The call's Request-URI, used when no rule matches. */
  requestUri?: unknown;
}

export interface RoutingResult {
  signed: SignResult;
  routes: Route[];
  source: RouteSource;
}

export interface RoutingService {
  /** Sign the call exactly as `SigningService.handle` does, then decide where it goes. */
  route(call: RoutingCall): Promise<RoutingResult>;
  /** Where a call goes without signing it (a SIP call that could not be signed still gets a Contact). */
  routesFor(accountId: string | undefined, destTn: string | undefined, requestUri: string | undefined): Promise<{ routes: Route[]; source: RouteSource }>;
  invalidate(): void;
}

export function createRoutingService(deps: { signing: SigningService; directory: Pick<Directory, 'listRoutingRules'>; clock: Clock; cacheTtlMs: number; cacheStaleIfErrorMs?: number }): RoutingService {
  const rules = new CachedLoader<string, RoutingRule[]>((accountId) => deps.directory.listRoutingRules(accountId), deps.clock, {
    ttlMs: deps.cacheTtlMs,
    staleIfErrorMs: deps.cacheStaleIfErrorMs ?? 0,
  });
  return {
    async route(call) {
      // Checked first: a bad Request-URI must not leave a signed token behind an error.
      const requestUri = call.requestUri === undefined || call.requestUri === null ? undefined : validRoutingTarget(call.requestUri, 'requestUri');
      const signed = await deps.signing.handle(call);
      const accountRules = rules.peek(signed.accountId) ?? (await rules.get(signed.accountId));
      return { signed, ...decideRoutes(accountRules, signed.dest.tn?.[0], requestUri) };
    },
    async routesFor(accountId, destTn, requestUri) {
      const accountRules = accountId === undefined ? [] : (rules.peek(accountId) ?? (await rules.get(accountId)));
      return decideRoutes(accountRules, destTn, requestUri);
    },
    invalidate() {
      rules.clear();
    },
  };
}
