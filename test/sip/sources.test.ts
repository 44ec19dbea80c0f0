import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAIN_DIALECT } from '../../server/core/sbc-dialect.js';
import { runCli } from '../helpers/cli.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer } from '../helpers/sip-client.js';

const ADMIN = 'admin-token-for-sip-source-tests-0123456789';

describe('SIP source addresses through the admin API', () => {
  let svc: TestService;
  let acct: Provisioned;
  let uac: UdpPeer;
  const admin = (path: string, init: RequestInit) =>
    fetch(`${svc.url}/api/admin${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });

  beforeAll(async () => {
    svc = await startTestService({ sip: true, overrides: { adminToken: ADMIN } });
    acct = await svc.provision({ defaultAttest: 'A', maxAttest: 'A' });
    uac = await UdpPeer.open('127.0.0.5');
  });
  afterAll(async () => {
    uac.close();
    await svc.stop();
  });

  it('reach the running redirect server without a restart, and leave it when removed', async () => {
    expect((await uac.request(svc.node.sipPort!, sipRequest())).status).toBe(403);
    const added = await admin(`/accounts/${acct.account.id}/sip-sources`, { method: 'POST', body: JSON.stringify({ cidr: '127.0.0.5/32' }) });
    expect(added.status).toBe(201);
    expect(await added.json()).toEqual({ accountId: acct.account.id, cidr: '127.0.0.5/32', sourceKind: 'customer', dialect: PLAIN_DIALECT });
    await expect.poll(async () => (await uac.request(svc.node.sipPort!, sipRequest())).status, { timeout: 5000 }).toBe(302);
    const listed = await (await admin(`/accounts/${acct.account.id}/sip-sources`, { method: 'GET' })).json();
    expect(listed).toEqual({ sipSources: [{ accountId: acct.account.id, cidr: '127.0.0.5/32', sourceKind: 'customer', dialect: PLAIN_DIALECT }] });
    expect((await admin(`/accounts/${acct.account.id}/sip-sources?cidr=127.0.0.5`, { method: 'DELETE' })).status).toBe(200);
    await expect.poll(async () => (await uac.request(svc.node.sipPort!, sipRequest())).status, { timeout: 5000 }).toBe(403);
  });

  it('gives a gateway source C at most (ATIS-1000074 §5.2.3)', async () => {
    const gw = await UdpPeer.open('127.0.0.6');
    try {
      await admin(`/accounts/${acct.account.id}/sip-sources`, { method: 'POST', body: JSON.stringify({ cidr: '127.0.0.6', sourceKind: 'gateway' }) });
      await expect.poll(async () => (await gw.request(svc.node.sipPort!, sipRequest())).status, { timeout: 5000 }).toBe(302);
      const r = await gw.request(svc.node.sipPort!, sipRequest({ extra: ['X-Attestation: A'] }));
      const claims = JSON.parse(Buffer.from(r.headers.get('identity')![0]!.split('.')[1]!, 'base64url').toString());
      expect(claims.attest).toBe('C');
    } finally {
      gw.close();
    }
  });

  it('sets a block\'s SBC dialect, which reaches the running redirect server: 300 and the Identity in the Contact', async () => {
    const sbc = await UdpPeer.open('127.0.0.8');
    try {
      const added = await admin(`/accounts/${acct.account.id}/sip-sources`, { method: 'POST', body: JSON.stringify({ cidr: '127.0.0.8', dialect: { multipleChoices: true } }) });
      expect(await added.json()).toMatchObject({ cidr: '127.0.0.8/32', dialect: { identityInContact: false, multipleChoices: true, attestationHeaders: false } });
      await expect.poll(async () => (await sbc.request(svc.node.sipPort!, sipRequest())).status, { timeout: 5000 }).toBe(300);
      const set = await admin(`/accounts/${acct.account.id}/sip-sources?cidr=127.0.0.8`, { method: 'PATCH', body: JSON.stringify({ dialect: { identityInContact: true } }) });
      expect(set.status).toBe(200);
      // Replaced as a whole: multipleChoices, left out, is off again.
      expect(await set.json()).toEqual({ accountId: acct.account.id, cidr: '127.0.0.8/32', sourceKind: 'customer', dialect: { identityInContact: true, multipleChoices: false, attestationHeaders: false } });
      await expect.poll(async () => (await sbc.request(svc.node.sipPort!, sipRequest())).headers.get('contact')?.[0], { timeout: 5000 }).toMatch(/\?Identity=/);
      const bad = await admin(`/accounts/${acct.account.id}/sip-sources?cidr=127.0.0.8`, { method: 'PATCH', body: JSON.stringify({ dialect: { multipleChoice: true } }) });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'dialect' });
      const notBool = await admin(`/accounts/${acct.account.id}/sip-sources?cidr=127.0.0.8`, { method: 'PATCH', body: JSON.stringify({ dialect: { multipleChoices: 'yes' } }) });
      expect((await notBool.json()).error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'dialect.multipleChoices' });
    } finally {
      sbc.close();
    }
  });

  it('refuses a bad block and one that belongs to another account', async () => {
    const bad = await admin(`/accounts/${acct.account.id}/sip-sources`, { method: 'POST', body: JSON.stringify({ cidr: '127.0.0.300' }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'cidr' });
    const other = await svc.provision({ sipSource: '127.0.0.7' });
    const taken = await admin(`/accounts/${acct.account.id}/sip-sources`, { method: 'POST', body: JSON.stringify({ cidr: '127.0.0.7/32' }) });
    expect(taken.status).toBe(409);
    const notOurs = await admin(`/accounts/${acct.account.id}/sip-sources?cidr=127.0.0.7`, { method: 'DELETE' });
    expect(notOurs.status).toBe(404);
    expect(await svc.node.store.listSipSources(other.account.id)).toHaveLength(1);
  });
});

describe('shakenstack sipsource (CLI)', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shakenstack-sipsrc-'));
    env = { SHAKENSTACK_DATA_DIR: dir };
    expect((await runCli(['account', 'create', 'trunk'], env)).code).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('adds, lists and removes blocks in their canonical spelling', async () => {
    const added = await runCli(['sipsource', 'add', '--account', 'trunk', '--cidr', '198.51.100.77/24', '--gateway', '--json'], env);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ cidr: '198.51.100.0/24', sourceKind: 'gateway' });
    expect((await runCli(['sipsource', 'list', '--account', 'trunk'], env)).stdout).toMatch(/198\.51\.100\.0\/24\s+gateway/);
    const bad = await runCli(['sipsource', 'add', '--account', 'trunk', '--cidr', 'example.net'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/ERR_REQ_FIELD_INVALID/);
    const dialect = await runCli(['sipsource', 'dialect', '--account', 'trunk', '--cidr', '198.51.100.0/24', '--identity-in-contact', '--attestation-headers', '--json'], env);
    expect(dialect.code, dialect.stderr).toBe(0);
    expect(JSON.parse(dialect.stdout).dialect).toEqual({ identityInContact: true, multipleChoices: false, attestationHeaders: true });
    expect((await runCli(['sipsource', 'list', '--account', 'trunk'], env)).stdout).toMatch(/198\.51\.100\.0\/24\s+gateway\s+identity-in-contact,attestation-headers/);
    expect((await runCli(['sipsource', 'dialect', '--account', 'trunk', '--cidr', '198.51.100.0/24'], env)).stdout).toMatch(/dialect plain/);
    const sbc = await runCli(['sipsource', 'add', '--account', 'trunk', '--cidr', '203.0.113.9', '--multiple-choices', '--json'], env);
    expect(JSON.parse(sbc.stdout).dialect).toEqual({ identityInContact: false, multipleChoices: true, attestationHeaders: false });
    expect((await runCli(['sipsource', 'remove', '--account', 'trunk', '--cidr', '203.0.113.9'], env)).code).toBe(0);
    expect((await runCli(['sipsource', 'remove', '--account', 'trunk', '--cidr', '198.51.100.0/24'], env)).code).toBe(0);
    expect(JSON.parse((await runCli(['sipsource', 'list', '--account', 'trunk', '--json'], env)).stdout)).toEqual([]);
  });
});
