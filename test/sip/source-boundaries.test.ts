import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAIN_DIALECT } from '../../server/core/sbc-dialect.js';
import { openStore } from '../../server/store/open-store.js';
import { runCli } from '../helpers/cli.js';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { sipRequest, UdpPeer } from '../helpers/sip-client.js';
import { DashClient, makeUser } from '../dashboard/support.js';

const ADMIN = 'admin-token-for-source-boundary-tests-0123456789';
const NEUTRAL = /^\S+ overlaps a SIP source block this account does not hold; only an administrator can allow an overlap$/;

/** The x5u of the Identity header a 302 carries: whose certificate signed the call. */
const x5uOf = (identity: string) => /;info=<([^>]+)>/.exec(identity)![1];

describe('SIP source blocks: the tenant boundary between accounts (issue 12)', () => {
  let svc: TestService;
  let pbxA: Provisioned;
  let carrierB: Provisioned;
  let uac: UdpPeer;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${svc.url}/api/admin${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  const addVia = (account: Provisioned, body: Record<string, unknown>) => admin(`/accounts/${account.account.id}/sip-sources`, { method: 'POST', body: JSON.stringify(body) });
  /** Everything a caller learns from an answer, for leak checks. */
  const leaks = (text: string) => [carrierB.account.id, carrierB.account.name, '127.0.0.0/8'].filter((s) => text.includes(s));
  const invite = async () => {
    const r = await uac.request(svc.node.sipPort!, sipRequest());
    return r.status === 302 ? x5uOf(r.headers.get('identity')![0]!) : r.status;
  };

  beforeAll(async () => {
    svc = await startTestService({ sip: true, overrides: { adminToken: ADMIN } });
    pbxA = await svc.provision({ name: 'pbx-a', defaultAttest: 'A', maxAttest: 'A' });
    carrierB = await svc.provision({ name: 'carrier-b', defaultAttest: 'A', maxAttest: 'A' });
    expect((await addVia(carrierB, { cidr: '127.0.0.0/8' })).status).toBe(201);
    uac = await UdpPeer.open('127.0.0.77');
  });
  afterAll(async () => {
    uac?.close();
    await svc.stop();
  });

  it("refuses an operator's block inside, around or equal to another account's through the admin API without the flag, naming no one", async () => {
    for (const cidr of ['127.0.0.77/32', '127.0.0.0/8', '0.0.0.0/0']) {
      const r = await addVia(pbxA, { cidr });
      const text = await r.text();
      expect(r.status, cidr).toBe(409);
      expect(JSON.parse(text).error, cidr).toMatchObject({ code: 'ERR_REQ_CONFLICT', field: 'cidr', reason: expect.stringMatching(NEUTRAL) });
      expect(leaks(text.replace(cidr, '')), cidr).toEqual([]);
    }
    expect(await svc.node.store.listSipSources(pbxA.account.id)).toEqual([]);
    // Calls from 127.0.0.77 stay the carrier's: signed with its certificate.
    await expect.poll(invite, { timeout: 5000 }).toBe(carrierB.x5u);
  });

  it('checks allowOverlap is a boolean', async () => {
    const r = await addVia(pbxA, { cidr: '127.0.0.77', allowOverlap: 'yes' });
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'allowOverlap' });
  });

  it("answers another account's block as no block at all: remove is 404 with the words of a block that never existed", async () => {
    const foreign = await admin(`/accounts/${pbxA.account.id}/sip-sources?cidr=127.0.0.0/8`, { method: 'DELETE' });
    const missing = await admin(`/accounts/${pbxA.account.id}/sip-sources?cidr=10.99.0.0/16`, { method: 'DELETE' });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    const [f, m] = [(await foreign.json()).error, (await missing.json()).error];
    expect(f.reason.replace('127.0.0.0/8', 'X')).toBe(m.reason.replace('10.99.0.0/16', 'X'));
    expect(f.code).toBe(m.code);
    expect(leaks(JSON.stringify(f).replace('127.0.0.0/8', ''))).toEqual([]);
    expect(await svc.node.store.listSipSources(carrierB.account.id)).toHaveLength(1);
    const listed = await (await admin(`/accounts/${pbxA.account.id}/sip-sources`)).json();
    expect(listed).toEqual({ sipSources: [] });
  });

  describe('through the dashboard', () => {
    let operator: DashClient;
    let dashAdmin: DashClient;
    beforeAll(async () => {
      operator = await DashClient.login(svc, (await makeUser(svc, 'operator', pbxA.account.id)).username);
      dashAdmin = await DashClient.login(svc, (await makeUser(svc, 'admin')).username);
    });

    it('an operator never overlaps another account, whatever it sends, and learns nothing about whose block it is', async () => {
      for (const body of [{ cidr: '127.0.0.78/32' }, { cidr: '127.0.0.78/32', allowOverlap: true }, { cidr: '127.0.0.0/8', allowOverlap: true }]) {
        const r = await operator.post(`/dashboard/api/accounts/${pbxA.account.id}/sip-sources`, body);
        expect(r.status, JSON.stringify(body)).toBe(409);
        expect(r.json.error, JSON.stringify(body)).toMatchObject({ code: 'ERR_REQ_CONFLICT', reason: expect.stringMatching(NEUTRAL) });
        expect(leaks(r.text.replace(body.cidr, ''))).toEqual([]);
      }
      // The carrier's account and its blocks are 404 to the operator, reading or removing.
      expect((await operator.get(`/dashboard/api/accounts/${carrierB.account.id}/sip-sources`)).status).toBe(404);
      expect((await operator.del(`/dashboard/api/accounts/${carrierB.account.id}/sip-sources?cidr=127.0.0.0/8`)).status).toBe(404);
      const own = await operator.del(`/dashboard/api/accounts/${pbxA.account.id}/sip-sources?cidr=${encodeURIComponent('127.0.0.0/8')}`);
      expect(own.status).toBe(404);
      expect(own.json.error.code).toBe('ERR_REQ_NOT_FOUND');
      expect(leaks(own.text.replace('127.0.0.0/8', ''))).toEqual([]);
      expect(await svc.node.store.listSipSources(carrierB.account.id)).toHaveLength(1);
    });

    it('answers a non-boolean allowOverlap with 400 naming it, to an operator and an admin alike, as the admin API does', async () => {
      for (const client of [operator, dashAdmin]) {
        const r = await client.post(`/dashboard/api/accounts/${pbxA.account.id}/sip-sources`, { cidr: '127.0.0.80/32', allowOverlap: 'yes' });
        expect(r.status).toBe(400);
        expect(r.json.error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'allowOverlap' });
      }
      expect(await svc.node.store.listSipSources(pbxA.account.id)).toEqual([]);
    });

    it('a dashboard admin is refused without allowOverlap and admitted with it, and the grant is audited where operators cannot read it', async () => {
      const refused = await dashAdmin.post(`/dashboard/api/accounts/${pbxA.account.id}/sip-sources`, { cidr: '127.0.0.79/32' });
      expect(refused.status).toBe(409);
      const allowed = await dashAdmin.post(`/dashboard/api/accounts/${pbxA.account.id}/sip-sources`, { cidr: '127.0.0.79/32', allowOverlap: true });
      expect(allowed.status).toBe(201);
      const entries = (await dashAdmin.get('/dashboard/api/audit?limit=50')).json.entries as { action: string; detail: unknown; username: string }[];
      const grant = entries.find((e) => e.action === 'sipsource.overlap-allowed' && JSON.stringify(e.detail).includes('127.0.0.79/32'));
      expect(grant).toBeDefined();
      expect(JSON.stringify(grant)).toContain(carrierB.account.id);
      // The operator sees its own account's audit entries, but not the grant naming the carrier.
      const seen = JSON.stringify((await operator.get('/dashboard/api/audit?limit=100')).json);
      expect(seen).toContain('127.0.0.79/32');
      expect(leaks(seen)).toEqual([]);
      expect((await dashAdmin.del(`/dashboard/api/accounts/${pbxA.account.id}/sip-sources?cidr=${encodeURIComponent('127.0.0.79/32')}`)).status).toBe(204);
    });
  });

  it('admits the overlap when the admin API allows it explicitly, audits both blocks and accounts, and the longer block then wins', async () => {
    const r = await addVia(pbxA, { cidr: '127.0.0.77', allowOverlap: true });
    expect(r.status).toBe(201);
    expect(await r.json()).toEqual({
      accountId: pbxA.account.id,
      cidr: '127.0.0.77/32',
      sourceKind: 'customer',
      dialect: PLAIN_DIALECT,
      overlaps: [{ accountId: carrierB.account.id, cidr: '127.0.0.0/8', sourceKind: 'customer' }],
    });
    const audit = await svc.node.store.dashboard.listAudit({ limit: 100 });
    const row = audit.find((e) => e.action === 'sipsource.overlap-allowed' && e.target === 'sipsource:127.0.0.77/32');
    expect(row).toMatchObject({ username: 'admin-api', userId: null, accountId: null });
    expect(JSON.parse(row!.detail!)).toEqual({
      block: { cidr: '127.0.0.77/32', accountId: pbxA.account.id, sourceKind: 'customer' },
      overlaps: [{ cidr: '127.0.0.0/8', accountId: carrierB.account.id }],
    });
    await expect.poll(invite, { timeout: 5000 }).toBe(pbxA.x5u);
  });
});

describe('shakenstack sipsource add --allow-overlap (CLI)', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shakenstack-overlap-'));
    env = { SHAKENSTACK_DATA_DIR: dir };
    for (const name of ['carrier-b', 'pbx-a']) expect((await runCli(['account', 'create', name], env)).code).toBe(0);
    expect((await runCli(['sipsource', 'add', '--account', 'carrier-b', '--cidr', '203.0.113.0/24'], env)).code).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses an overlapping block without the flag, naming no one, and admits and audits it with the flag', async () => {
    const refused = await runCli(['sipsource', 'add', '--account', 'pbx-a', '--cidr', '203.0.113.9'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/203\.0\.113\.9\/32 overlaps a SIP source block this account does not hold.*\[ERR_REQ_CONFLICT\]/);
    expect(refused.stderr).not.toMatch(/carrier-b|203\.0\.113\.0/);
    const added = await runCli(['sipsource', 'add', '--account', 'pbx-a', '--cidr', '203.0.113.9', '--allow-overlap', '--json'], env);
    expect(added.code).toBe(0);
    const out = JSON.parse(added.stdout);
    expect(out).toMatchObject({ cidr: '203.0.113.9/32', overlaps: [{ cidr: '203.0.113.0/24' }] });
    const store = await openStore({ engine: 'embedded', dataDir: dir });
    try {
      const row = (await store.dashboard.listAudit({ limit: 10 })).find((e) => e.action === 'sipsource.overlap-allowed');
      expect(row).toMatchObject({ username: 'cli', accountId: null, target: 'sipsource:203.0.113.9/32' });
      expect(JSON.parse(row!.detail!)).toMatchObject({ block: { cidr: '203.0.113.9/32', accountId: out.accountId }, overlaps: [{ cidr: '203.0.113.0/24' }] });
    } finally {
      await store.close();
    }
  });
});
