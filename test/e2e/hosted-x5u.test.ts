import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startServe, type ServeProcess } from '../helpers/cli.js';
import { postJson } from '../helpers/service.js';
import { verifyIdentity } from '../grpc/support.js';

describe('hosted x5u follows the serving node', () => {
  let dataDir: string;
  let served: ServeProcess | undefined;
  afterAll(async () => {
    if (served && served.child.exitCode === null) served.child.kill('SIGTERM');
    await served?.exited;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('signs with the serving node\'s publicUrl in x5u, not the one of the CLI that imported the credential', { timeout: 90_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-x5u-'));
    // The CLI runs on an admin host whose configuration names another address.
    const cli = { SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PUBLIC_URL: 'https://admin-host.example.test' };
    const pkiDir = join(dataDir, 'pki');
    expect((await runCli(['pki', 'init', '--out', pkiDir], cli)).code).toBe(0);
    expect((await runCli(['account', 'create', 'carrier'], cli)).code).toBe(0);
    const imported = await runCli(['credential', 'import', '--account', 'carrier', '--chain', join(pkiDir, 'chain.pem'), '--key', join(pkiDir, 'leaf.key'), '--json'], cli);
    expect(imported.code).toBe(0);
    const cred = JSON.parse(imported.stdout);
    expect(cred).toMatchObject({ hosted: true, x5u: expect.stringMatching(/^https:\/\/admin-host\.example\.test\/certs\/[0-9a-f]{32}\.pem$/) });
    const path = new URL(cred.x5u).pathname;
    const token = JSON.parse((await runCli(['apikey', 'create', '--account', 'carrier', '--json'], cli)).stdout).apiKey as string;

    // The node has no publicUrl setting: its own is http://127.0.0.1:<bound port>.
    served = await startServe({ SHAKENSTACK_DATA_DIR: dataDir, SHAKENSTACK_PORT: '0', SHAKENSTACK_GRPC_PORT: '0', SHAKENSTACK_SIP: 'false', SHAKENSTACK_LOG_LEVEL: 'warn' });
    const signed = await postJson(`${served.url}/api/stir-shaken/sign`, { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } }, { authorization: `Bearer ${token}` });
    expect(signed.status).toBe(200);
    expect(signed.json.x5u).toBe(served.url + path);
    expect(signed.json.identity).toContain(`;info=<${served.url}${path}>;`);
    // Fetchable there, and a verifier accepts the token against it (jose, with the chain fetched from x5u).
    const chain = await fetch(signed.json.x5u);
    expect(chain.status).toBe(200);
    expect(await verifyIdentity(signed.json.identity)).toMatchObject({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } });
  });
});
