import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

async function serveFresh(extra: Record<string, string> = {}, opts: { umask?: string } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-e2e-'));
  dirs.push(dataDir);
  const p = await startServe({ SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PORT: '0', SHAKENSTACK_GRPC_PORT: '0', SHAKENSTACK_SIP_PORT: '0', SHAKENSTACK_LOG_LEVEL: 'warn', ...extra }, 30_000, opts);
  procs.push(p);
  return { p, dataDir };
}

const API_KEY = /ssk_[0-9a-f]{16}_[\w-]{43}/;

/** Output not going to a terminal, the banner names the key's file instead of showing the key. */
async function apiKeyFrom(banner: string): Promise<string> {
  const file = /API key: in (\S+) \(mode 0600\)/.exec(banner)![1]!;
  return (await readFile(file, 'utf8')).trim();
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('quick start', () => {
  it('first start creates a demo account and prints a curl command that returns a verifiable Identity header', async () => {
    const { p, dataDir } = await serveFresh();
    // The banner's line (the log line that names the file comes first and says "in this file").
    await expect.poll(() => p.output(), { timeout: 30_000 }).toContain(`its password is in ${join(dataDir, 'dashboard-admin-password')}`);
    const banner = p.output();
    const curl = banner.slice(banner.indexOf('  curl '), banner.indexOf('\nDashboard: ')).trim();
    expect(curl).toContain('/api/stir-shaken/sign');
    // Not a terminal: the key stays out of the output, and the command reads it from its file.
    expect(banner).not.toMatch(API_KEY);
    expect(curl).toContain(`$(cat '${join(dataDir, 'demo-api-key')}')`);
    const { stdout } = await run('bash', ['-c', curl]);
    const body = JSON.parse(stdout);
    expect(body).toMatchObject({ attest: 'A', downgraded: false });
    const [jws, info] = body.identity.split(';');
    const x5u = /^info=<(.+)>$/.exec(info ?? '')![1]!;
    const pem = await (await fetch(x5u)).text();
    const leaf = pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25);
    const { payload } = await compactVerify(jws, await importX509(leaf, 'ES256'));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } });
    // The master key file that protects the software key store is private to its owner.
    expect((await stat(join(dataDir, 'master.key'))).mode & 0o777).toBe(0o600);
  }, 90_000);

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
    const key = await apiKeyFrom(p.output());
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const again = await startServe({ SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PORT: '0', SHAKENSTACK_GRPC_PORT: '0', SHAKENSTACK_SIP_PORT: '0', SHAKENSTACK_LOG_LEVEL: 'warn' });
    procs.push(again);
    expect(again.output()).not.toContain('API key');
    const res = await fetch(`${again.url}/api/stir-shaken/sign`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } }),
    });
    expect(res.status).toBe(200);
  }, 90_000);

  it('keeps the one-time API key and admin password out of the log stream, in 0600 files the banner and log name', async () => {
    const { p, dataDir } = await serveFresh({ SHAKENSTACK_LOG_LEVEL: 'info' }, { umask: '022' });
    const keyFile = join(dataDir, 'demo-api-key');
    const passwordFile = join(dataDir, 'dashboard-admin-password');
    // The banner's line (the log line that names the file comes first and says "in this file").
    await expect.poll(() => p.output(), { timeout: 30_000 }).toContain(`its password is in ${passwordFile}`);
    const out = p.output();
    const key = (await readFile(keyFile, 'utf8')).trim();
    const password = (await readFile(passwordFile, 'utf8')).trim();
    expect(key).toMatch(API_KEY);
    expect(password.length).toBeGreaterThanOrEqual(16);
    // stdout and stderr together: the banner and every JSON log line, with neither secret.
    expect(out).not.toContain(key);
    expect(out).not.toContain(password);
    expect(out).not.toMatch(API_KEY);
    const logLines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; file?: string });
    expect(logLines.map((l) => l.file)).toEqual(expect.arrayContaining([keyFile, passwordFile]));
    expect(out).toContain(`API key: in ${keyFile} (mode 0600)`);
    expect(out).toContain(`its password is in ${passwordFile} (mode 0600`);
    expect(await modeOf(keyFile)).toBe(0o600);
    expect(await modeOf(passwordFile)).toBe(0o600);
  }, 90_000);

  it('shows the key and the password on a terminal, and a curl command with the key in it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-e2e-'));
    dirs.push(dataDir);
    // script(1) gives the server a pseudo-terminal as its output, as a person running `npm start` has.
    const child = spawn('script', ['-qfec', `${process.execPath} dist/server/cli/main.js serve`, '/dev/null'], {
      env: { PATH: process.env.PATH, SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PORT: '0', SHAKENSTACK_GRPC_PORT: '0', SHAKENSTACK_SIP_PORT: '0', SHAKENSTACK_LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const exited = new Promise((r) => child.on('exit', r));
    try {
      await expect.poll(() => out, { timeout: 30_000 }).toContain('Dashboard: ');
      await expect.poll(() => out, { timeout: 30_000 }).toMatch(/also in \S*dashboard-admin-password\):\r?\n {2}\S+/);
      const key = (await readFile(join(dataDir, 'demo-api-key'), 'utf8')).trim();
      const password = (await readFile(join(dataDir, 'dashboard-admin-password'), 'utf8')).trim();
      expect(out).toContain(`API key (shown only now; keep it):\r\n  ${key}`);
      expect(out).toContain(`-H 'Authorization: Bearer ${key}'`);
      expect(out).toContain(`  ${password}`);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 90_000);

  it('creates the data folder 0700 and the database, its WAL and shared memory, keys and demo PKI 0600 under umask 022', async () => {
    const { dataDir } = await serveFresh({}, { umask: '022' });
    const db = join(dataDir, 'shakenstack.db');
    expect(await modeOf(dataDir)).toBe(0o700);
    for (const f of [db, `${db}-wal`, `${db}-shm`, join(dataDir, 'master.key'), join(dataDir, 'demo-api-key')]) expect(await modeOf(f), f).toBe(0o600);
    expect(await modeOf(join(dataDir, 'demo-pki'))).toBe(0o700);
    for (const f of ['root.pem', 'root.key', 'intermediate.pem', 'intermediate.key']) expect(await modeOf(join(dataDir, 'demo-pki', f)), f).toBe(0o600);
  }, 90_000);

  it('tightens a data folder and database files left open to others, and says so', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'shakenstack-e2e-')), 'data');
    dirs.push(dataDir);
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(dataDir, 0o755);
    const db = join(dataDir, 'shakenstack.db');
    await writeFile(db, '', { mode: 0o644 });
    await chmod(db, 0o644);
    const r = await run('/bin/sh', ['-c', `umask 022 && exec "${process.execPath}" dist/server/cli/main.js account list`], { env: { PATH: process.env.PATH, SHAKENSTACK_DATA_DIR: dataDir } });
    expect(await modeOf(dataDir)).toBe(0o700);
    expect(await modeOf(db)).toBe(0o600);
    expect(r.stderr).toContain(`${dataDir} was mode 0755, open to other users; tightened to 0700`);
    expect(r.stderr).toContain(`${db} was mode 0644, open to other users; tightened to 0600`);
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
    const key = await apiKeyFrom(p.output());
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
