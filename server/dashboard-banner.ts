import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { writePrivateFile } from './store/private-files.js';
import type { Store } from './store/store.js';
import { shellQuote } from './shell-quote.js';
import { ensureFirstAdmin } from './dashboard/users.js';

/** The first admin's one-time password, in the data folder (0600); the log stream never carries it. */
export const ADMIN_PASSWORD_FILE = 'dashboard-admin-password';

/**
 * The dashboard part of the start banner. On a first start without dashboard users it creates `admin` and
 * writes its password to a 0600 file in the data folder, whose path the banner and the log name. The
 * password itself is shown only when the banner goes to a terminal (`tty`): standard output is also the JSON
 * log stream, and whatever collects it (journald, docker logs, a log shipper) must never receive it.
 */
export async function dashboardBanner(config: Config, store: Store, publicUrl: string, opts: { tty: boolean; logger: Logger }): Promise<string> {
  if (!config.dashboard.enabled) return '';
  const admin = await ensureFirstAdmin(store);
  const lines = ['', `Dashboard: ${publicUrl}/dashboard/`];
  if (admin) {
    const file = join(config.dataDir, ADMIN_PASSWORD_FILE);
    await writePrivateFile(file, admin.password + '\n');
    opts.logger.info({ user: admin.username, file }, 'created the first dashboard admin; its password is in this file (mode 0600), never in the log');
    if (opts.tty) {
      lines.push(`Created dashboard user "${admin.username}" with the password (change it after logging in; also in ${file}):`, `  ${admin.password}`);
    } else {
      lines.push(`Created dashboard user "${admin.username}"; its password is in ${file} (mode 0600; change it after logging in):`, `  cat ${shellQuote(file)}`);
    }
  }
  return lines.join('\n') + '\n';
}
