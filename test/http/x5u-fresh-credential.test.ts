import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { postJson, startTestService, type TestService } from '../helpers/service.js';

/*
 * A credential imported by another process (the CLI, with the node's change poll far off) signs from the node's
 * next call, and its x5u must serve the chain from that same call on: a verifier fetches it on receipt. The
 * publisher reloads on a miss at most once a second; before the signer published what it loads, a miss just
 * before the import kept the new x5u at 404 for up to that second. The node's clock stands still here, so that
 * second never passes however long the CLI takes.
 */
describe('x5u of a credential imported while the node runs', () => {
  let svc: TestService;
  const now = Date.now();
  beforeAll(async () => {
    svc = await startTestService({ overrides: { changePollMs: 600_000 }, clock: { now: () => now } });
  });
  afterAll(() => svc.stop());

  it('is served as soon as the node has signed with it, even right after a miss reloaded the published chains', { timeout: 60_000 }, async () => {
    const cli = { SHAKENSTACK_DATA_DIR: svc.config.dataDir };
    const pkiDir = join(svc.config.dataDir, 'pki');
    expect((await runCli(['pki', 'init', '--out', pkiDir], cli)).code).toBe(0);
    expect((await runCli(['account', 'create', 'late'], cli)).code).toBe(0);
    // A miss: the publisher reloads now, and (by the node's clock) not again for a miss within the next second.
    expect((await fetch(`${svc.url}/certs/${'1'.repeat(32)}.pem`)).status).toBe(404);
    expect((await runCli(['credential', 'import', '--account', 'late', '--chain', join(pkiDir, 'chain.pem'), '--key', join(pkiDir, 'leaf.key')], cli)).code).toBe(0);
    const token = JSON.parse((await runCli(['apikey', 'create', '--account', 'late', '--json'], cli)).stdout).apiKey as string;
    const signed = await postJson(`${svc.url}/api/stir-shaken/sign`, { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] } }, { authorization: `Bearer ${token}` });
    expect(signed.status).toBe(200);
    const chain = await fetch(signed.json.x5u as string);
    expect(chain.status).toBe(200);
    expect(await chain.text()).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });
});
