import { LinkedContentCache } from '../core/rcd/linked-content.js';
import type { RcdContentDeps } from '../manage/rcd-profiles.js';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../core/ports.js';
import { resolvePublicUrl } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { ShakenError } from '../core/errors.js';
import { sendHttpError, sendNoRoute } from '../http/errors.js';
import { setSession, type DashboardContext, type DashboardKeys } from './context.js';
import type { Insights } from './insight-service.js';
import { LiveTails } from './live-tail.js';
import { LoginGate } from './login-gate.js';
import { LoginLimiter } from './login-limit.js';
import { LOGIN_THREAD_NICE, PasswordHasher } from './password-hasher.js';
import { registerAccountRoutes } from './routes/account-routes.js';
import { registerRcdRoutes } from './routes/rcd-routes.js';
import { registerInsightRoutes } from './routes/insight-routes.js';
import { registerSessionRoutes } from './routes/session-routes.js';
import { registerUserRoutes } from './routes/user-routes.js';
import { csrfMatches, DashboardSessions } from './sessions.js';
import { defaultAssetsDir, registerDashboardAssets } from './static-assets.js';

export interface DashboardDeps {
  store: Store;
  keys: DashboardKeys;
  clock: Clock;
  logger: Logger;
  config: Config;
  /** Started and closed by the node (see createInsights): stats and reports queue on it. */
  insights: Insights;
  /** The SSRF-safe fetcher RCD profiles' logos and jCards are fetched with (docs/branded-calls.md). */
  rcdContent: RcdContentDeps;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** The browser may run only what this service sent; the dashboard is never framed (clickjacking). */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

/**
 * The dashboard: its JSON API under /dashboard/api (docs/dashboard-api.md) and the built SPA under
 * /dashboard/. Every API route but the login needs a session cookie, and every non-GET one the session's
 * CSRF token in X-CSRF-Token. Returns what node.ts must stop on close.
 */
export function registerDashboard(app: FastifyInstance, deps: DashboardDeps): { tails: LiveTails } {
  const secure = (deps.config.publicUrl ?? '').startsWith('https:');
  const ctx: DashboardContext = {
    ...deps,
    sessions: new DashboardSessions(deps.store, deps.clock, { idleMs: deps.config.dashboard.sessionTtlMs, maxMs: deps.config.dashboard.sessionMaxMs, secure }),
    gate: new LoginGate(deps.clock, { maxPending: deps.config.dashboard.loginMaxPending, ratePerMinute: deps.config.dashboard.loginRatePerMinute }),
    limiter: new LoginLimiter(deps.store, deps.clock),
    passwords: new PasswordHasher(deps.config.dashboard.passwordThreads, { nice: LOGIN_THREAD_NICE }),
    tails: new LiveTails(),
    // Logos of RCD profiles, shown through the dashboard: fetched at most once a minute each.
    logos: new LinkedContentCache(deps.rcdContent.fetcher, deps.clock, { ttlMs: 60_000, failureTtlMs: 10_000, maxEntries: 1000 }),
    publicUrl: () => {
      const address = app.server.address();
      return resolvePublicUrl(deps.config, typeof address === 'object' && address ? address.port : deps.config.http.port);
    },
  };

  // Open event streams would hold app.close() until the shutdown timer: end them first.
  app.addHook('preClose', async () => ctx.tails.closeAll());
  app.addHook('onClose', async () => ctx.passwords.close());

  void app.register(
    async (api) => {
      // One HTTP table and one body for the whole service (http/errors.ts). Set here too, not only inherited from
      // the app, so a path unknown under /dashboard/api still passes the session check and gets the headers below.
      api.setErrorHandler(sendHttpError);
      api.setNotFoundHandler(sendNoRoute);
      api.addHook('onSend', async (_request, reply) => {
        void reply.headers(SECURITY_HEADERS);
        if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
      });
      api.addHook('onRequest', async (request) => {
        const path = request.url.split('?')[0];
        if (request.method === 'POST' && path === '/dashboard/api/session') return;
        const active = await ctx.sessions.resolve(request.headers.cookie);
        if (!active) throw new ShakenError('ERR_SESSION_REQUIRED', 'not logged in, or the session has expired');
        if (!SAFE_METHODS.has(request.method) && !csrfMatches(active.session, request.headers['x-csrf-token'])) {
          throw new ShakenError('ERR_SESSION_CSRF', 'missing or wrong X-CSRF-Token header');
        }
        setSession(request, active);
      });
      registerSessionRoutes(api, ctx);
      registerUserRoutes(api, ctx);
      registerAccountRoutes(api, ctx);
      registerRcdRoutes(api, ctx);
      registerInsightRoutes(api, ctx);
    },
    { prefix: '/dashboard/api' },
  );

  registerDashboardAssets(app, deps.config.dashboard.assetsDir ?? defaultAssetsDir(), SECURITY_HEADERS);
  return { tails: ctx.tails };
}
