import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { writeAudit } from '../../manage/audit.js';
import { createDashboardUser, publicUser, removeDashboardUser } from '../../dashboard/users.js';
import { systemClock } from '../../core/ports.js';
import { CLI_ACTOR, UsageError, optional, out, positional, table, type CommandTable } from '../command-kit.js';
import { withStore } from '../resources.js';

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

export const USER_COMMANDS: CommandTable = {
  'user create': {
    summary: 'Create a dashboard user; the password is read from --password-file or standard input, never the command line.',
    args: '<username>',
    options: { role: { type: 'string' }, account: { type: 'string' }, 'password-file': { type: 'string' } },
    run: async (ctx) => {
      const username = positional(ctx, 0, 'username');
      const role = optional(ctx, 'role');
      if (role === undefined) throw new UsageError('--role admin|operator|viewer is required');
      const password = await readPassword(optional(ctx, 'password-file'));
      await withStore(ctx, async (store) => {
        const u = await createDashboardUser(store, { username, password, role, accountId: optional(ctx, 'account') });
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
