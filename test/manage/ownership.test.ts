import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../server/core/errors.js';
import type { AccountRecord } from '../../server/core/ports.js';
import { HTTP_STATUS } from '../../server/http/errors.js';
import { createAccount } from '../../server/manage/accounts.js';
import { createApiKey } from '../../server/manage/api-keys.js';
import { addInventoryEntries, exportInventory } from '../../server/manage/inventory.js';
import { addRoutingRule, listRoutingRules } from '../../server/manage/routing-rules.js';
import { addSipSource, listSipSources } from '../../server/manage/sip-sources.js';
import type { Store } from '../../server/store/store.js';
import { runCli } from '../helpers/cli.js';
import { readAnswer, type TestService } from '../helpers/service.js';
import { DashClient, makeUser, startDashboardService } from '../dashboard/support.js';

/*
 * One table of changes to an account's objects, run through every caller that offers the change: the admin
 * API, the dashboard API (as an admin, whom no role rule stops) and the CLI. Each caller names the account it
 * acts for; manage/ holds the one rule that the object must belong to it. Another account's object is refused
 * with the same code as one that does not exist, and stays as it was; the account's own is changed (which
 * also proves each row reaches the operation it names, not some 404 for a wrong path).
 *
 * Not in the table: credentials (only imported, into the account named; none is changed or removed by id),
 * and accounts themselves (the admin API and the CLI act for the operator over all accounts; the dashboard's
 * role rules are test/dashboard/access.test.ts).
 */

const ADMIN = 'admin-token-for-ownership-tests-0123456789';

type Caller = 'admin' | 'dashboard' | 'cli';

/** What a caller answered, read off its wire. */
interface Outcome {
  ok: boolean;
  /** The error code the caller showed, when refused. */
  code?: string;
  /** HTTP status, or the CLI's exit code. */
  status: number | null;
  /** The inventory entries an inventory removal reports removed. */
  removed?: number;
}

type HttpCall = { method: string; path: string; csv?: string; json?: unknown };

interface Case {
  resource: string;
  /** Makes an object of `owner`; returns what the callers address it by. */
  make(store: Store, owner: AccountRecord): Promise<string>;
  /** Whether the object is still there, unchanged. */
  intact(store: Store, owner: AccountRecord, handle: string): Promise<boolean>;
  admin?(account: string, handle: string): HttpCall;
  dashboard?(account: string, handle: string): HttpCall;
  cli?(account: string, handle: string): string[];
  /**
   * What another account's object gets: the core code every caller shows (in its own spelling), or null where
   * the change is scoped to the account by construction and changes nothing of another's (removed: 0).
   */
  refused: ErrorCode | null;
  /** A handle no account has, answered exactly as another account's object (so neither leaks). */
  missing?: string;
}

let serial = 0;

const CASES: Case[] = [
  {
    resource: 'a routing rule (remove)',
    make: async (store, owner) => (await addRoutingRule(store, owner.id, { prefix: '1800', target: `sip:r${++serial}.example.net` })).id,
    intact: async (store, owner, id) => (await listRoutingRules(store, owner.id)).some((r) => r.id === id),
    admin: (account, id) => ({ method: 'DELETE', path: `/api/admin/accounts/${account}/routes/${id}` }),
    dashboard: (account, id) => ({ method: 'DELETE', path: `/dashboard/api/accounts/${account}/routes/${id}` }),
    cli: (account, id) => ['route', 'remove', '--account', account, id],
    refused: 'ERR_REQ_NOT_FOUND',
    missing: 'route_0000000000000000',
  },
  {
    resource: 'an API key (revoke)',
    make: async (store, owner) => (await createApiKey(store, owner.id, `k${++serial}`)).record.id,
    intact: async (store, _owner, id) => (await store.getApiKey(id))?.revokedAt === null,
    dashboard: (account, id) => ({ method: 'DELETE', path: `/dashboard/api/accounts/${account}/api-keys/${id}` }),
    cli: (account, id) => ['apikey', 'revoke', '--account', account, id],
    refused: 'ERR_REQ_NOT_FOUND',
    missing: 'key_0000000000000000',
  },
  {
    resource: 'a SIP source block (remove)',
    make: async (store, owner) => (await addSipSource(store, owner.id, { cidr: `198.51.100.${++serial}/32` })).source.cidr,
    intact: async (store, owner, cidr) => (await listSipSources(store, owner.id)).some((s) => s.cidr === cidr),
    admin: (account, cidr) => ({ method: 'DELETE', path: `/api/admin/accounts/${account}/sip-sources?cidr=${encodeURIComponent(cidr)}` }),
    dashboard: (account, cidr) => ({ method: 'DELETE', path: `/dashboard/api/accounts/${account}/sip-sources?cidr=${encodeURIComponent(cidr)}` }),
    cli: (account, cidr) => ['sipsource', 'remove', '--account', account, '--cidr', cidr],
    refused: 'ERR_REQ_NOT_FOUND',
    missing: '203.0.113.250/32',
  },
  {
    resource: "a SIP source block's SBC dialect (set)",
    make: async (store, owner) => (await addSipSource(store, owner.id, { cidr: `198.51.100.${++serial}/32` })).source.cidr,
    // Intact: still there, in the plain dialect it was made with.
    intact: async (store, owner, cidr) => (await listSipSources(store, owner.id)).some((s) => s.cidr === cidr && s.dialect?.multipleChoices === false),
    admin: (account, cidr) => ({ method: 'PATCH', path: `/api/admin/accounts/${account}/sip-sources?cidr=${encodeURIComponent(cidr)}`, json: { dialect: { multipleChoices: true } } }),
    dashboard: (account, cidr) => ({ method: 'PATCH', path: `/dashboard/api/accounts/${account}/sip-sources?cidr=${encodeURIComponent(cidr)}`, json: { dialect: { multipleChoices: true } } }),
    cli: (account, cidr) => ['sipsource', 'dialect', '--account', account, '--cidr', cidr, '--multiple-choices'],
    refused: 'ERR_REQ_NOT_FOUND',
    missing: '203.0.113.251/32',
  },
  {
    resource: 'a TN inventory entry (remove)',
    make: async (store, owner) => {
      const tn = `1555${String(++serial).padStart(7, '0')}`;
      await addInventoryEntries(store, owner.id, [{ kind: 'tn', tn }]);
      return tn;
    },
    intact: async (store, owner, tn) => {
      for await (const line of exportInventory(store, owner.id)) if (line === `tn,${tn},`) return true;
      return false;
    },
    admin: (account, tn) => ({ method: 'POST', path: `/api/admin/accounts/${account}/inventory/remove`, csv: `tn,${tn}\n` }),
    cli: (account, tn) => ['inventory', 'remove', '--account', account, '--tn', tn, '--json'],
    refused: null,
  },
];

describe('a change to another account\'s object is refused the same way by every caller', () => {
  let svc: TestService;
  let dash: DashClient;
  let mine: AccountRecord;
  let theirs: AccountRecord;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    svc = await startDashboardService('embedded', { overrides: { adminToken: ADMIN } });
    mine = await createAccount(svc.node.store, { name: 'owner-mine' });
    theirs = await createAccount(svc.node.store, { name: 'owner-theirs' });
    dash = await DashClient.login(svc, (await makeUser(svc, 'admin')).username);
    // The CLI works on the same store as the running node, as an operator's would.
    cliEnv = { SHAKENSTACK_DATA_DIR: svc.config.dataDir };
  });
  afterAll(() => svc?.stop());

  async function overHttp(call: HttpCall, headers: Record<string, string>): Promise<Response> {
    return fetch(svc.url + call.path, {
      method: call.method,
      headers: { ...headers, ...(call.csv !== undefined && { 'content-type': 'text/csv' }), ...(call.json !== undefined && { 'content-type': 'application/json' }) },
      body: call.csv ?? (call.json === undefined ? undefined : JSON.stringify(call.json)),
    });
  }

  const CALLERS: Record<Caller, (c: Case, account: string, handle: string) => Promise<Outcome> | undefined> = {
    admin: (c, account, handle) => {
      const call = c.admin?.(account, handle);
      if (!call) return undefined;
      return overHttp(call, { authorization: `Bearer ${ADMIN}` }).then(readAnswer).then((a) => ({ ok: a.status < 300, status: a.status, code: a.json?.error?.code, removed: a.json?.removed }));
    },
    dashboard: (c, account, handle) => {
      const call = c.dashboard?.(account, handle);
      if (!call) return undefined;
      return dash.request(call.method, call.path, call.json).then((a) => ({ ok: a.status < 300, status: a.status, code: a.json?.error?.code, removed: a.json?.removed }));
    },
    cli: (c, account, handle) => {
      const args = c.cli?.(account, handle);
      if (!args) return undefined;
      return runCli(args, cliEnv).then((r) => ({
        ok: r.code === 0,
        status: r.code,
        code: /\[(ERR_[A-Z_]+)\]/.exec(r.stderr)?.[1],
        removed: r.code === 0 && r.stdout.startsWith('{') ? JSON.parse(r.stdout).removed : undefined,
      }));
    },
  };

  /** How each caller spells a refusal with `code`: its one mapping from the core's codes. */
  function expectRefusal(caller: Caller, outcome: Outcome, code: ErrorCode): void {
    if (caller === 'cli') {
      expect(outcome).toMatchObject({ ok: false, status: 1, code });
      return;
    }
    // The admin API and the dashboard API answer through the one HTTP table and body.
    expect(outcome).toMatchObject({ ok: false, status: HTTP_STATUS[code], code });
  }

  const rows = CASES.flatMap((c) => (Object.keys(CALLERS) as Caller[]).filter((caller) => c[caller] !== undefined).map((caller) => ({ c, caller })));

  it.each(rows)('$caller: refuses $c.resource of another account and leaves it', async ({ c, caller }) => {
    const handle = await c.make(svc.node.store, theirs);
    const outcome = (await CALLERS[caller](c, mine.id, handle))!;
    if (c.refused === null) expect(outcome).toMatchObject({ ok: true, removed: 0 });
    else expectRefusal(caller, outcome, c.refused);
    expect(await c.intact(svc.node.store, theirs, handle)).toBe(true);
  });

  it.each(rows.filter(({ c }) => c.missing !== undefined))('$caller: answers $c.resource that does not exist exactly as another account\'s', async ({ c, caller }) => {
    const other = (await CALLERS[caller](c, mine.id, await c.make(svc.node.store, theirs)))!;
    const missing = (await CALLERS[caller](c, mine.id, c.missing!))!;
    expect(missing).toEqual(other);
  });

  it.each(rows)('$caller: changes $c.resource of the account it names', async ({ c, caller }) => {
    const handle = await c.make(svc.node.store, mine);
    const outcome = (await CALLERS[caller](c, mine.id, handle))!;
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    if (c.refused === null) expect(outcome.removed).toBe(1);
    expect(await c.intact(svc.node.store, mine, handle)).toBe(false);
  });
});
