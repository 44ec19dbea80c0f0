import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sharedPasswordHasher } from '../../server/dashboard/password-hasher.js';
import { openStore } from '../../server/store/open-store.js';
import { runCli, startServe, type ServeProcess } from '../helpers/cli.js';
import { DashClient, eventually } from './support.js';

async function stopServe(p: ServeProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null) return;
  p.child.kill('SIGTERM');
  await p.exited;
}

describe('dashboard users from the CLI and on first start', () => {
  let dataDir: string;
  let proc: ServeProcess | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-dash-cli-'));
  });
  afterEach(() => stopServe(proc));
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  const env = () => ({ SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_DEMO: 'false' });

  it('creates users with the password from standard input or a file, never from argv, lists and removes them', async () => {
    const made = await runCli(['user', 'create', 'alice', '--role', 'admin'], env(), 'stdin password 123\n');
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/created dashboard user alice \(usr_[0-9a-f]+\), role admin/);
    const file = join(dataDir, 'pw.txt');
    await writeFile(file, 'file password 4567\n', { mode: 0o600 });
    await runCli(['account', 'create', 'acme'], env());
    const op = await runCli(['user', 'create', 'bob', '--role', 'operator', '--account', 'acme', '--password-file', file], env());
    expect(op.code).toBe(0);
    const argv = await runCli(['user', 'create', 'eve', '--role', 'viewer', '--password', 'on the command line'], env());
    expect(argv.code).toBe(64);
    const short = await runCli(['user', 'create', 'carol', '--role', 'viewer'], env(), 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('password must be 12');

    const list = await runCli(['user', 'list', '--json'], env());
    const users = JSON.parse(list.stdout);
    expect(users.map((u: any) => [u.username, u.role])).toEqual([['alice', 'admin'], ['bob', 'operator']]);
    expect(users[1].accountId).toMatch(/^acc_/);
    expect(list.stdout).not.toContain('scrypt');

    const store = await openStore({ engine: 'embedded', dataDir });
    try {
      const alice = await store.dashboard.findUserByUsername('alice');
      expect(alice!.passwordHash).toMatch(/^scrypt\$32768\$8\$3\$/);
      expect(await sharedPasswordHasher().verify('stdin password 123', alice!.passwordHash)).toBe(true);
      expect(await sharedPasswordHasher().verify('file password 4567', (await store.dashboard.findUserByUsername('bob'))!.passwordHash)).toBe(true);
      const audit = await store.dashboard.listAudit({ limit: 10 });
      expect(audit.map((e) => `${e.username} ${e.action}`)).toEqual(['cli user.create', 'cli user.create']);
    } finally {
      await store.close();
    }
    expect((await runCli(['user', 'remove', 'bob'], env())).code).toBe(0);
    const lastAdmin = await runCli(['user', 'remove', 'alice'], env());
    expect(lastAdmin.code).toBe(1);
    expect(lastAdmin.stderr).toContain('last admin');
  });

  it('creates admin with a random password written once to a 0600 file the banner names (not shown off a terminal), and not again', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'shakenstack-dash-first-'));
    try {
      const e = { SHAKENSTACK_DATA_DIR: fresh, SHAKENSTACK_PORT: '0', SHAKENSTACK_GRPC: 'false', SHAKENSTACK_SIP: 'false', SHAKENSTACK_LOG_LEVEL: 'info', SHAKENSTACK_DEMO: 'false' };
      proc = await startServe(e);
      await eventually(async () => /Created dashboard user "admin"; its password is in \S+/.test(proc!.output()), 'the dashboard banner');
      const out = proc.output();
      expect(out).toContain(`Dashboard: ${proc.url}/dashboard/`);
      const file = /its password is in (\S+) \(mode 0600/.exec(out)![1]!;
      const password = (await readFile(file, 'utf8')).trim();
      // Written once to its 0600 file; never on this output, which is no terminal and carries the log.
      expect(password).toMatch(/^\S{16,}$/);
      expect(out).not.toContain(password);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const c = await DashClient.login({ url: proc.url } as any, 'admin', password);
      expect(c.csrf).not.toBe('');
      await stopServe(proc);
      proc = await startServe(e);
      await eventually(async () => proc!.output().includes('Dashboard: '), 'the dashboard banner');
      expect(proc.output()).not.toContain('Created dashboard user');
    } finally {
      await stopServe(proc);
      await rm(fresh, { recursive: true, force: true });
    }
  });
});

describe('metrics with cluster workers', () => {
  it("answers /metrics on any worker with the whole node's counts", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-dash-cluster-'));
    let proc: ServeProcess | undefined;
    try {
      proc = await startServe({ SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PORT: '0', SHAKENSTACK_GRPC: 'false', SHAKENSTACK_SIP: 'false', SHAKENSTACK_WORKERS: '2', SHAKENSTACK_LOG_LEVEL: 'warn', SHAKENSTACK_METRICS_TOKEN: 'metrics-secret' });
      await eventually(async () => /API key: in (\S+) \(mode 0600\)/.test(proc!.output()), 'the demo API key file');
      const apiKey = (await readFile(/API key: in (\S+) \(mode 0600\)/.exec(proc.output())![1]!, 'utf8')).trim();
      // The banner comes when the first worker listens, maybe before the second is up: a scrape now must not
      // wait for a worker still starting (it has counted nothing), but answer at once.
      const early = await fetch(`${proc.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret', connection: 'close' } });
      expect(early.status).toBe(200);
      // Separate connections, so that node:cluster hands them to both workers.
      const n = 12;
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${proc.url}/api/stir-shaken/sign`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', connection: 'close' },
          body: JSON.stringify({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' }),
        });
        expect(res.status).toBe(200);
      }
      expect((await fetch(`${proc.url}/metrics`)).status).toBe(401);
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${proc.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret', connection: 'close' } });
        const text = await res.text();
        const line = text.split('\n').find((l) => l.startsWith('shakenstack_requests_total{kind="sign",transport="http",outcome="ok",attest="A"}'));
        expect(Number(line?.split(' ').pop())).toBe(n);
      }
    } finally {
      await stopServe(proc);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
