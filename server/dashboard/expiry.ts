import type { Logger } from 'pino';
import { daysUntilExpiry, parseCertificateChain } from '../core/cert-chain.js';
import type { Clock } from '../core/ports.js';
import { outageLog } from '../store/outage-log.js';
import type { Store } from '../store/store.js';

/** Fewer days than this left on an active certificate is a warning (banner, log line, metric, webhook). */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;
const WEBHOOK_TIMEOUT_MS = 5000;
/** A check that failed (the store was unavailable) is tried again this soon rather than the next day. */
const RETRY_AFTER_FAILURE_MS = 60_000;

export interface ExpiryWarning {
  kind: 'certificate-expiring' | 'certificate-expired';
  accountId: string;
  credentialId: string;
  notAfter: string;
  daysLeft: number;
}

/** Active credentials whose leaf expires within 30 days or has expired; retired ones no longer sign. */
export async function certificateWarnings(store: Store, nowMs: number, accountId?: string): Promise<ExpiryWarning[]> {
  const warnings: ExpiryWarning[] = [];
  for (const c of await store.listCredentials(accountId)) {
    if (c.state !== 'active') continue;
    const leaf = parseCertificateChain(c.chainPem).leaf;
    const daysLeft = daysUntilExpiry(leaf, nowMs);
    if (daysLeft >= EXPIRY_WARNING_DAYS) continue;
    warnings.push({
      kind: nowMs > leaf.notAfter.getTime() ? 'certificate-expired' : 'certificate-expiring',
      accountId: c.accountId,
      credentialId: c.id,
      notAfter: leaf.notAfter.toISOString(),
      daysLeft,
    });
  }
  return warnings.sort((a, b) => a.daysLeft - b.daysLeft);
}

export interface ExpiryMonitorOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  webhookUrl: string | undefined;
  intervalMs?: number;
}

/**
 * At start and then daily: a log line per warning, and, with `dashboard.expiryWebhookUrl`, one JSON POST per
 * credential per UTC day. The day is claimed in the store first, so several workers or nodes send it once; a
 * POST that fails is logged and not retried that day.
 */
export function startExpiryMonitor(o: ExpiryMonitorOptions): { stop(): void; runOnce(): Promise<void> } {
  let stopped = false;
  const runOnce = async (): Promise<void> => {
    const nowMs = o.clock.now();
    const warnings = await certificateWarnings(o.store, nowMs);
    const day = new Date(nowMs).toISOString().slice(0, 10);
    for (const w of warnings) {
      if (stopped) return;
      o.logger.warn({ accountId: w.accountId, credentialId: w.credentialId, notAfter: w.notAfter, daysLeft: w.daysLeft }, w.kind === 'certificate-expired' ? 'certificate has expired' : `certificate expires in fewer than ${EXPIRY_WARNING_DAYS} days`);
      if (o.webhookUrl && (await o.store.dashboard.claimExpiryNotice(w.credentialId, day))) await postWebhook(o, w);
    }
  };
  const log = outageLog(o.logger, 'certificate expiry check');
  let retry: NodeJS.Timeout | undefined;
  const tick = (): void => {
    clearTimeout(retry);
    void runOnce().then(
      () => log.ok(),
      (err: unknown) => {
        log.failed(err);
        if (stopped) return;
        retry = setTimeout(tick, RETRY_AFTER_FAILURE_MS);
        retry.unref();
      },
    );
  };
  const timer = setInterval(tick, o.intervalMs ?? DAY_MS);
  timer.unref();
  tick();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(retry);
    },
    runOnce,
  };
}

async function postWebhook(o: ExpiryMonitorOptions, w: ExpiryWarning): Promise<void> {
  const account = await o.store.getAccount(w.accountId);
  try {
    const res = await fetch(o.webhookUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: w.kind, ...w, accountName: account?.name ?? null, service: 'shakenstack' }),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (!res.ok) o.logger.warn({ status: res.status, credentialId: w.credentialId }, 'certificate expiry webhook answered an error');
  } catch (err) {
    o.logger.warn({ err: (err as Error).message, credentialId: w.credentialId }, 'certificate expiry webhook failed');
  }
}
