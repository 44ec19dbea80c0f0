import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compactVerify, importX509 } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../server/store/open-store.js';
import { startServe, type ServeProcess } from '../helpers/cli.js';
import { sipRequest, UdpPeer } from '../helpers/sip-client.js';

const run = promisify(execFile);
let dirs: string[] = [];
let procs: ServeProcess[] = [];

afterEach(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
  procs = [];
});

async function serveFresh(extra: Record<string, string> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-e2e-'));
  dirs.push(dataDir);
  const p = await startServe({ SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PORT: '0', SHAKENSTACK_GRPC_PORT: '0', SHAKENSTACK_LOG_LEVEL: 'warn', ...extra });
  procs.push(p);
  return { p, dataDir };
}

function apiKeyFrom(banner: string): string {
  return /Bearer (ssk_[0-9a-f]{16}_[\w-]{43})/.exec(banner)![1]!;
}

describe('quick start', () => {
  it('first start creates a demo account and prints a curl command that returns a verifiable Identity header', async () => {
    const { p, dataDir } = await serveFresh();
    const banner = p.output();
    const curl = banner.slice(banner.indexOf('  curl ')).trim();
    expect(curl).toContain('/api/stir-shaken/sign');
    const { stdout } = await run('bash', ['-c', curl]);
    const body = JSON.parse(stdout);
    expect(body).toMatchObject({ attest: 'A', downgraded: false });
    const [jws, info] = body.identity.split(';');
    const x5u = /^info=<(.+)>$/.exec(info)[1];
    const pem = await (await fetch(x5u)).text();
    const leaf = pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25);
    const { payload } = await compactVerify(jws, await importX509(leaf, 'ES256'));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } });
    // The master key file that protects the software key store is private to its owner.
    expect((await stat(join(dataDir, 'master.key'))).mode & 0o777).toBe(0o600);
  });

  it('first start lets SIP from this machine reach the demo account: an INVITE gets a signed 302', async () => {
    const { p } = await serveFresh();
    const port = Number(/SIP redirect server on udp\+tcp 127\.0\.0\.1:(\d+) \(sign\)/.exec(p.output())![1]);
    const uac = await UdpPeer.open();
    try {
      const r = await uac.request(port, sipRequest());
      expect(r.status).toBe(302);
      const identity = r.headers.get('identity')![0]!;
      const claims = JSON.parse(Buffer.from(identity.split('.')[1]!, 'base64url').toString());
      // The demo inventory holds 1404526…: the demo's caller earns A over SIP as over HTTP.
      expect(claims).toMatchObject({ attest: 'A', orig: { tn: '14045266060' }, dest: { tn: ['18005551234'] } });
    } finally {
      uac.close();
    }
  });

  it('a second start on the same data keeps the accounts and prints no new key', async () => {
    const { p, dataDir } = await serveFresh();
    const key = apiKeyFrom(p.output());
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const again = await startServe({ SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PORT: '0', SHAKENSTACK_GRPC_PORT: '0', SHAKENSTACK_LOG_LEVEL: 'warn' });
    procs.push(again);
    expect(again.output()).not.toContain('API key');
    const res = await fetch(`${again.url}/api/stir-shaken/sign`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } }),
    });
    expect(res.status).toBe(200);
  });

  it('refuses to start on a bad setting and names it, before binding a port', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-e2e-'));
    dirs.push(dataDir);
    const r = await run(process.execPath, ['dist/server/cli/main.js', 'serve'], { env: { PATH: process.env.PATH, SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PORT: 'eighty' } }).catch((e) => e);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('http.port (SHAKENSTACK_PORT)');
  });

  it('refuses to start with an admin token shorter than 32 characters: configuration error, the setting named', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-e2e-'));
    dirs.push(dataDir);
    const r = await run(process.execPath, ['dist/server/cli/main.js', 'serve'], { env: { PATH: process.env.PATH, SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PORT: '0', SHAKENSTACK_ADMIN_TOKEN: 'short-token' } }).catch((e) => e);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('adminToken (SHAKENSTACK_ADMIN_TOKEN): must be at least 32 characters');
    expect(r.stderr).not.toContain('short-token');
  });
});

describe.each([
  ['one process', '1'],
  ['two cluster workers', '2'],
])('graceful shutdown with %s', (_title, workers) => {
  it('flushes the request log: every answered request has its record after SIGTERM', async () => {
    const { p, dataDir } = await serveFresh({ SHAKENSTACK_WORKERS: workers, SHAKENSTACK_LOG_FLUSH_MS: '60000', SHAKENSTACK_LOG_MAX_BATCH: '100000' });
    const key = apiKeyFrom(p.output());
    const send = () =>
      fetch(`${p.url}/api/stir-shaken/sign`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } }),
      }).then((r) => r.status, () => 0);
    const first = await Promise.all(Array.from({ length: 200 }, send));
    // With a one-minute flush interval, these records can only reach the store through the shutdown flush.
    const inFlight = Array.from({ length: 100 }, send);
    p.child.kill('SIGTERM');
    const later = await Promise.all(inFlight);
    expect(await p.exited).toBe(0);
    const answered = [...first, ...later].filter((s) => s === 200).length;
    expect(first.every((s) => s === 200)).toBe(true);
    const store = await openStore({ engine: 'embedded', dataDir });
    try {
      const ok = (await store.queryRequestLog({ outcome: 'ok', limit: 100_000 })).length;
      expect(ok).toBe(answered);
    } finally {
      await store.close();
    }
  }, 60_000);
});
