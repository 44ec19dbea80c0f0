import type { Logger } from 'pino';
import type { Clock } from '../core/ports.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { startExpiryMonitor } from './expiry.js';
import { startRetention } from './retention.js';

/**
 * Each node's background work for issue 7: the request-log retention (with expired sessions and old login
 * failures), and the certificate expiry check (log line at start and daily, optional webhook).
 */
export function startDashboardJobs(o: { store: Store; clock: Clock; logger: Logger; config: Config }): { stop(): void } {
  const retention = startRetention({ store: o.store, clock: o.clock, logger: o.logger, retentionDays: o.config.requestLog.retentionDays, sessionIdleMs: o.config.dashboard.sessionTtlMs });
  const expiry = startExpiryMonitor({ store: o.store, clock: o.clock, logger: o.logger, webhookUrl: o.config.dashboard.expiryWebhookUrl });
  return {
    stop() {
      retention.stop();
      expiry.stop();
    },
  };
}
