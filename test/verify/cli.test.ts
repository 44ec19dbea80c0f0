import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabPki, type LabPki } from '../../server/pki/lab-pki.js';
import { runCli } from '../helpers/cli.js';
import { CertServer, handJws, identityOf, joseJws, shakenClaims, shakenHeader } from './support.js';

describe('shakenstack verify and decode', () => {
  let server: CertServer;
  let pki: LabPki;
  let dir: string;
  let env: Record<string, string>;
  let identity: string;
  let x5u: string;

  beforeAll(async () => {
    server = await CertServer.start();
    pki = await createLabPki({ crlUrl: server.url('/crl/none.crl') });
    x5u = server.serve('/sti/chain.pem', pki.chainPem);
    identity = identityOf(await joseJws(pki.leaf.keyPem, shakenHeader(x5u), shakenClaims(Math.floor(Date.now() / 1000))), x5u);
    dir = mkdtempSync(join(tmpdir(), 'shakenstack-verify-cli-'));
    writeFileSync(join(dir, 'root.pem'), pki.root.certPem);
    writeFileSync(join(dir, 'tls-ca.pem'), server.tlsCaPem);
    // The child trusts the test TLS certificate the way a lab would: NODE_EXTRA_CA_CERTS. The x5u is https on
    // loopback, so the lab lifts the address rule alone and keeps x5u https-only.
    env = { SHAKENSTACK_DATA_DIR: dir, SHAKENSTACK_VERIFY_ALLOW_PRIVATE_ADDRESSES: 'true', NODE_EXTRA_CA_CERTS: join(dir, 'tls-ca.pem') };
  });
  afterAll(() => server.stop());

  it('decode explains a header without any network', async () => {
    const r = await runCli(['decode', identity], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Identity header 1 \(the SHAKEN one\): full form/);
    expect(r.stdout).toMatch(/"orig":\{"tn":"14045266060"\}/);
    expect(r.stdout).toMatch(/iat: \d{4}-\d\d-\d\dT.* \(\d+ s ago\)/);
    expect(r.stdout).toMatch(/problems: none visible/);
    const json = JSON.parse((await runCli(['decode', identity, '--json'], {})).stdout);
    expect(json[0]).toMatchObject({ selected: true, form: 'full', header: { alg: 'ES256', ppt: 'shaken' } });
  });

  it('verify passes with --trust and the call numbers, and exits 0', async () => {
    const r = await runCli(['verify', identity, '--trust', join(dir, 'root.pem'), '--from', '+1 404 526 6060', '--to', '18001234567'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^TN-Validation-Passed: attestation A, orig 14045266060, dest 18001234567/);
    expect(r.stdout).toMatch(/SPC 1234/);
  });

  it('verify prints the failure and exits 1 when the token does not match the call or the chain is not trusted', async () => {
    const wrongFrom = await runCli(['verify', identity, '--trust', join(dir, 'root.pem'), '--from', '19995550000'], env);
    expect(wrongFrom.code).toBe(1);
    expect(wrongFrom.stdout).toMatch(/^No-TN-Validation: 438 Invalid Identity Header \(orig_mismatch\)/);
    const untrusted = await runCli(['verify', identity, '--json'], env);
    expect(untrusted.code).toBe(1);
    expect(JSON.parse(untrusted.stdout)).toMatchObject({ ok: false, reason: 'cert_untrusted', sip: 437 });
  });

  it('verify judges a forwarded call\'s headers as one chain ending at --ruri, one line per header', async () => {
    const div = identityOf(handJws(pki.leaf.keyPem, JSON.stringify({ ...shakenHeader(x5u), ppt: 'div' }), JSON.stringify({ dest: { tn: ['18005550100'] }, div: { tn: '18001234567' }, iat: Math.floor(Date.now() / 1000), orig: { tn: '14045266060' } })), x5u, ';alg=ES256;ppt=div');
    const args = ['verify', div, identity, '--trust', join(dir, 'root.pem'), '--from', '14045266060', '--to', '18001234567'];
    const passed = await runCli([...args, '--ruri', '18005550100'], env);
    expect(passed.code).toBe(0);
    expect(passed.stdout).toMatch(/^TN-Validation-Passed: attestation A/);
    expect(passed.stdout).toMatch(/header 1 div, hop 1: passed\n {2}header 2 shaken: passed\n {2}chain: 2 -> 1/);
    const elsewhere = await runCli([...args, '--ruri', '18005550199'], env);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toMatch(/^No-TN-Validation: 438 Invalid Identity Header \(not_connected\)/);
    expect(elsewhere.stdout).toMatch(/problem not_connected: the chain ends at 18005550100, the call is to 18005550199/);
  });

  it('verify without a header is a usage error (64)', async () => {
    expect((await runCli(['verify'], env)).code).toBe(64);
  });
});
