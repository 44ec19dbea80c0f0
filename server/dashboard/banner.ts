import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { ensureFirstAdmin } from './users.js';

/**
 * The dashboard part of the start banner. On a first start without dashboard users it creates `admin` and
 * shows its password here, on standard output, once: it is never logged.
 */
export async function dashboardBanner(config: Config, store: Store, publicUrl: string): Promise<string> {
  if (!config.dashboard.enabled) return '';
  const admin = await ensureFirstAdmin(store);
  const lines = ['', `Dashboard: ${publicUrl}/dashboard/`];
  if (admin) {
    lines.push(
      `Created dashboard user "${admin.username}" with the password (shown only now; change it after logging in):`,
      `  ${admin.password}`,
    );
  }
  return lines.join('\n') + '\n';
}
