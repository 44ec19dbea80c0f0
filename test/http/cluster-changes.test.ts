import { processStartTime } from '../../bench/cleanup.js';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, demoApiKey } from '../helpers/cli.js';

const ADMIN = 'admin-token-for-tests-0123456789abcdef';
const CALL = JSON.stringify({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } });

/** Polls the process output until `re` matches; the process runs in its own group so it can be ended whole. */
async function waitFor(output: () => string, re: RegExp, what: string, timeoutMs = 60_000): Promise<RegExpExecArray> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = re.exec(output());
    if (m) return m;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a change made through one cluster worker', () => {
  let dataDir: string | undefined;
  let pid: number | undefined;
  let started: string | undefined;
  afterAll(async () => {
    // The group is ours while its number names no process, or names our primary still (same start time): once
    // every member is gone, pid_max 32768 lets the number come back as another test's detached process group.
    const now = pid === undefined ? undefined : processStartTime(pid);
    if (pid !== undefined && (now === undefined || now === started)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('reaches the sibling workers before the client\'s next connection: a disabled account is refused by every worker, and the primary\'s demo chain is served by every worker', { timeout: 120_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-cluster-changes-'));
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: {
        PATH: process.env.PATH!,
        SHAKENSTACK_DATA_DIR: dataDir,
        SHAKENSTACK_PORT: '0',
        SHAKENSTACK_GRPC: 'false',
        SHAKENSTACK_SIP: 'false',
        SHAKENSTACK_WORKERS: '2',
        SHAKENSTACK_ADMIN_TOKEN: ADMIN,
        // Neither the poll nor the cache TTL can explain what the workers do within the test.
        SHAKENSTACK_CHANGE_POLL_MS: '3600000',
        SHAKENSTACK_CACHE_TTL_MS: '3600000',
        SHAKENSTACK_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    pid = child.pid;
    started = pid === undefined ? undefined : processStartTime(pid);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const url = (await waitFor(() => out, /shakenstack is listening on (http:\/\/\S+)/, 'the banner'))[1]!;
    const apiKey = await demoApiKey(() => out);
    // Both workers listen: node:cluster then hands new connections to them in turn.
    await waitFor(() => out, /"pid":(\d+)[^\n]*Server listening[\s\S]*"pid":(?!\1)\d+[^\n]*Server listening/, 'two listening workers');
    // The primary created the demo chain after the workers had preloaded theirs; its notice reaches them, so
    // each serves the chain's x5u at once (the poll is an hour away).
    const x5u = (await waitFor(() => out, /published at\n {2}(http:\/\/\S+\.pem)/, 'the demo x5u'))[1]!;
    for (let i = 0; i < 4; i++) expect((await fetch(x5u, { headers: { connection: 'close' } })).status, `x5u fetch ${i}`).toBe(200);

    const sign = async () =>
      (await fetch(`${url}/api/stir-shaken/sign`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', connection: 'close' }, body: CALL })).status;
    // Every worker caches the account as enabled, for an hour.
    for (let i = 0; i < 6; i++) expect(await sign()).toBe(200);

    const patched = await fetch(`${url}/api/admin/accounts/demo`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ enabled: false }),
    });
    expect(patched.status).toBe(200);
    const after: number[] = [];
    for (let i = 0; i < 6; i++) after.push(await sign());
    expect(after).toEqual([403, 403, 403, 403, 403, 403]);

    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    pid = undefined;
  });
});
