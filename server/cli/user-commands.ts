import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { writeAudit } from '../manage/audit.js';
import { createDashboardUser, publicUser, removeDashboardUser } from '../dashboard/users.js';
import { systemClock } from '../core/ports.js';
// commands.ts spreads USER_COMMANDS into its table; this module uses its exports only inside run(), after both
// modules have evaluated, so the import cycle is harmless (as with verify-commands.ts).
import { UsageError, out, positional, table, withStore, type Command } from './commands.js';

/** Who the audit log names for a change made on the command line. */
export const CLI_ACTOR = { id: null, username: 'cli' };

/**
 * The password never comes from argv (visible in `ps` and shell history): a file given with --password-file,
 * else standard input, one trailing newline dropped; on a terminal, one line typed after a prompt.
 */
async function readPassword(file: string | undefined): Promise<string> {
  if (file) return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  if (process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    try {
      return await rl.question('Password: ');
    } finally {
      rl.close();
    }
  }
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.replace(/\r?\n$/, '');
}

export const USER_COMMANDS: Record<string, Command> = {
  'user create': {
    summary: 'Create a dashboard user; the password is read from --password-file or standard input, never the command line.',
    args: '<username>',
    options: { role: { type: 'string' }, account: { type: 'string' }, 'password-file': { type: 'string' } },
    run: async (ctx) => {
      const username = positional(ctx, 0, 'username');
      if (typeof ctx.values.role !== 'string') throw new UsageError('--role admin|operator|viewer is required');
      const password = await readPassword(ctx.values['password-file'] as string | undefined);
      await withStore(ctx, async (store) => {
        const u = await createDashboardUser(store, { username, password, role: ctx.values.role, accountId: ctx.values.account });
        await writeAudit(store, systemClock, CLI_ACTOR, { action: 'user.create', target: `user:${u.id}`, accountId: u.accountId, detail: { username: u.username, role: u.role } });
        out(ctx, publicUser(u), () => `created dashboard user ${u.username} (${u.id}), role ${u.role}${u.accountId ? `, account ${u.accountId}` : ''}`);
      });
    },
  },

  'user list': {
    summary: 'List dashboard users (never their password hashes).',
    options: {},
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const users = await store.dashboard.listUsers();
        const list = users.map((u) => ({ ...publicUser(u), createdAt: u.createdAt.toISOString() }));
        out(ctx, list, () => table([['ID', 'USERNAME', 'ROLE', 'ACCOUNT', 'CREATED'], ...list.map((u) => [u.id, u.username, u.role, u.accountId ?? '-', u.createdAt])]));
      }),
  },

  'user remove': {
    summary: 'Remove a dashboard user and end its sessions (the last admin cannot be removed).',
    args: '<username|id>',
    options: {},
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const u = await removeDashboardUser(store, positional(ctx, 0, 'username or id'));
        await writeAudit(store, systemClock, CLI_ACTOR, { action: 'user.remove', target: `user:${u.id}`, accountId: u.accountId, detail: { username: u.username } });
        out(ctx, publicUser(u), () => `removed dashboard user ${u.username}`);
      }),
  },
};
