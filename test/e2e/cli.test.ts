import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('shakenstack CLI', () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-cli-'));
    env = { SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PUBLIC_URL: 'https://sti.example.test' };
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('goes from an empty store to a signed call: pki init, account, credential import, apikey, sign', async () => {
    const pkiDir = join(dataDir, 'pki');
    const pki = await runCli(['pki', 'init', '--out', pkiDir, '--spc', '567J'], env);
    expect(pki.code).toBe(0);
    expect(await readFile(join(pkiDir, 'chain.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);

    expect((await runCli(['account', 'create', 'acme', '--max', 'B'], env)).stdout).toMatch(/created account acme \(acc_[0-9a-f]{16}\): default B, maximum B/);

    const imported = await runCli(['credential', 'import', '--account', 'acme', '--chain', join(pkiDir, 'chain.pem'), '--key', join(pkiDir, 'leaf.key'), '--json'], env);
    expect(imported.code).toBe(0);
    const cred = JSON.parse(imported.stdout);
    expect(cred).toMatchObject({ state: 'active', keyRef: expect.stringMatching(/^soft:/), x5u: expect.stringMatching(/^https:\/\/sti\.example\.test\/certs\/[0-9a-f]{32}\.pem$/) });

    const list = await runCli(['credential', 'list', '--account', 'acme'], env);
    expect(list.stdout).toContain('567J');

    const key = await runCli(['apikey', 'create', '--account', 'acme', '--name', 'sbc-1', '--json'], env);
    expect(JSON.parse(key.stdout).apiKey).toMatch(/^ssk_/);
    const keys = await runCli(['apikey', 'list', '--json'], env);
    expect(keys.stdout).not.toContain('secretHash');

    const signed = await runCli(['sign', '--account', 'acme', '--orig', '+1 404 526 6060', '--dest', '18001234567', '--attest', 'A', '--json'], env);
    expect(signed.code).toBe(0);
    const r = JSON.parse(signed.stdout);
    expect(r).toMatchObject({ attest: 'B', downgraded: true });
    expect(r.identity).toContain(`;info=<${cred.x5u}>;alg=ES256;ppt=shaken`);
  });

  it('refuses a key that does not match the certificate and stores nothing', async () => {
    const a = join(dataDir, 'pa');
    const b = join(dataDir, 'pb');
    await runCli(['pki', 'init', '--out', a], env);
    await runCli(['pki', 'init', '--out', b], env);
    await runCli(['account', 'create', 'mismatch'], env);
    const r = await runCli(['credential', 'import', '--account', 'mismatch', '--chain', join(a, 'chain.pem'), '--key', join(b, 'leaf.key')], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_CRED_KEY_MISMATCH');
    expect((await runCli(['credential', 'list', '--account', 'mismatch', '--json'], env)).stdout.trim()).toBe('[]');
  });

  it('explains usage mistakes and unknown names clearly', async () => {
    const missing = await runCli(['apikey', 'create'], env);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('--account is required');
    const unknown = await runCli(['apikey', 'create', '--account', 'nobody'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('account nobody does not exist');
    const bogus = await runCli(['frobnicate'], env);
    expect(bogus.code).toBe(64);
    expect(bogus.stderr).toContain('unknown command');
  });

  it('grants and clears priority-call (rph) namespaces with account update --rph, refusing unknown namespaces', async () => {
    await runCli(['account', 'create', 'priority'], env);
    const granted = await runCli(['account', 'update', 'priority', '--rph', 'ets,WPS'], env);
    expect(granted.code).toBe(0);
    expect(granted.stdout).toContain('rph ets,wps');
    expect((await runCli(['account', 'list'], env)).stdout).toMatch(/priority .*ets,wps/);
    const bad = await runCli(['account', 'update', 'priority', '--rph', 'ets,dsn'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"dsn" is not a namespace this service grants');
    const cleared = await runCli(['account', 'update', 'priority', '--rph', 'none', '--json'], env);
    expect(JSON.parse(cleared.stdout).rphNamespaces).toEqual([]);
  });

  it('turns out-of-band publishing on for prefixes, on for every destination, and off with account update --oob-publish', async () => {
    await runCli(['account', 'create', 'tdm'], env);
    const some = await runCli(['account', 'update', 'tdm', '--oob-publish', '1404, 1202'], env);
    expect(some.code).toBe(0);
    expect(some.stdout).toContain('out-of-band 1202,1404');
    expect((await runCli(['account', 'list'], env)).stdout).toMatch(/tdm .*1202,1404/);
    const all = await runCli(['account', 'update', 'tdm', '--oob-publish', 'on', '--json'], env);
    expect(JSON.parse(all.stdout).oobPublish).toEqual({ destPrefixes: [] });
    const bad = await runCli(['account', 'update', 'tdm', '--oob-publish', 'maybe'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('oobPublish must be');
    const off = await runCli(['account', 'update', 'tdm', '--oob-publish', 'off', '--json'], env);
    expect(JSON.parse(off.stdout).oobPublish).toBeUndefined();
  });

  it('makes route remove and apikey revoke name the account they act for', async () => {
    for (const args of [['route', 'remove', 'route_0000000000000000'], ['apikey', 'revoke', 'key_0000000000000000']]) {
      const r = await runCli(args, env);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr).toContain('--account is required');
    }
  });

  it('masks secrets when printing the configuration', async () => {
    const r = await runCli(['config', '--json'], { ...env, SHAKENSTACK_MASTER_KEY: 'a'.repeat(64), SHAKENSTACK_DASHBOARD_EXPIRY_WEBHOOK_URL: 'https://hook:hookpw@hooks.example/expiry?token=tok123' });
    expect(JSON.parse(r.stdout).masterKey).toBe('***');
    expect(r.stdout).not.toContain('a'.repeat(64));
    expect(JSON.parse(r.stdout).dashboard.expiryWebhookUrl).toBe('https://hook:***@hooks.example/expiry?token=***');
    expect(r.stdout).not.toMatch(/hookpw|tok123/);
  });
});
