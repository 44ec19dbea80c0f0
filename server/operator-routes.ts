import type { FastifyInstance } from 'fastify';
import { registerDashboard, type DashboardDeps } from './dashboard/register.js';
import { registerAdminRoutes } from './http/routes/admin.js';
import { registerMetricsRoute, type MetricsRouteDeps } from './metrics/prometheus-route.js';
import type { Store } from './store/store.js';
import type { RcdContentDeps } from './manage/rcd-profiles.js';

export interface OperatorRoutesDeps {
  /** Management endpoints under /api/admin. */
  admin: { store: Store; checkAdmin: (token: string | undefined) => void; rcdContent: RcdContentDeps };
  /** The management dashboard under /dashboard; absent when `dashboard.enabled` is false. */
  dashboard?: DashboardDeps;
  /** Prometheus `GET /metrics`. */
  metrics: MetricsRouteDeps;
}

/**
 * Mounts what the operator uses (admin API, dashboard, metrics) on the app `buildHttpApp` returned. Done here,
 * by the node, so the HTTP adapter imports none of them: they answer errors through its one mapping, and an
 * adapter that mounted them would import them back.
 */
export function mountOperatorRoutes(app: FastifyInstance, deps: OperatorRoutesDeps): void {
  registerAdminRoutes(app, deps.admin);
  if (deps.dashboard) registerDashboard(app, deps.dashboard);
  registerMetricsRoute(app, deps.metrics);
}
