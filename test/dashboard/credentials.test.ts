import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAIN_DIALECT } from '../../server/core/sbc-dialect.js';
import { startExpiryMonitor } from '../../server/dashboard/expiry.js';
import { createLabPki, issueLeaf, type LabPki } from '../../server/pki/lab-pki.js';
import type { Provisioned, TestService } from '../helpers/service.js';
import { DashClient, eventually, makeUser, sign, startDashboardService } from './support.js';

const DAY_MS = 86_400_000;
const call = { orig: { tn: '12025550100' }, dest: { tn: ['12025550199'] } };

describe('dashboard credentials and API keys', () => {
  let svc: TestService;
  let acct: Provisioned;
  let op: DashClient;
  let pki: LabPki;

  beforeAll(async () => {
    svc = await startDashboardService('embedded');
    acct = await svc.provision({ name: 'cred-acct' });
    op = await DashClient.login(svc, (await makeUser(svc, 'operator', acct.account.id)).username);
    pki = await createLabPki({ spc: '567J' });
  });
  afterAll(() => svc?.stop());

  const upload = (body: Record<string, unknown>) => op.post(`/dashboard/api/accounts/${acct.account.id}/credentials`, body);

  it('refuses bad uploads with a 400 and a clear reason, writing nothing', async () => {
    const other = await createLabPki();
    const expired = await issueLeaf(pki.intermediate, { leafNotBefore: new Date(Date.now() - 40 * DAY_MS), leafNotAfter: new Date(Date.now() - DAY_MS) });
    const p384 = await issueLeaf(pki.intermediate, { leafKeyCurve: 'P-384' });
    const noTn = await issueLeaf(pki.intermediate, { omitTnAuthList: true });
    // [what, body, the form field at fault, the core's credential code (none for a form check), reason]
    const cases: [string, Record<string, unknown>, string, string | undefined, RegExp][] = [
      ['mismatch', { certificatePem: pki.chainPem, privateKeyPem: other.leaf.keyPem }, 'certificatePem', 'ERR_CRED_KEY_MISMATCH', /does not match/],
      ['expired', { certificatePem: expired.chainPem, privateKeyPem: expired.leaf.keyPem }, 'certificatePem', 'ERR_CRED_EXPIRED', /expired at/],
      ['wrong curve', { certificatePem: p384.chainPem, privateKeyPem: p384.leaf.keyPem }, 'certificatePem', 'ERR_CRED_INVALID', /P-384.*P-256/],
      ['no TNAuthList', { certificatePem: noTn.chainPem, privateKeyPem: noTn.leaf.keyPem }, 'certificatePem', 'ERR_CRED_INVALID', /TNAuthList/],
      ['unparsable', { certificatePem: '-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n', privateKeyPem: pki.leaf.keyPem }, 'certificatePem', 'ERR_CRED_INVALID', /not valid base64/],
      ['not a key', { certificatePem: pki.chainPem, privateKeyPem: 'hello' }, 'privateKeyPem', 'ERR_CRED_INVALID', /private key/],
      ['both key kinds', { certificatePem: pki.chainPem, privateKeyPem: pki.leaf.keyPem, keyRef: 'pkcs11:token=a;object=b' }, 'privateKeyPem', undefined, /not both/],
      ['no chain', { privateKeyPem: pki.leaf.keyPem }, 'certificatePem', undefined, /certificate chain/],
    ];
    for (const [what, body, field, credentialCode, reason] of cases) {
      const r = await upload(body);
      expect(r.status, what).toBe(400);
      expect(r.json.error, what).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field, reason: expect.stringMatching(reason) });
      expect(r.json.error.details?.credentialCode, what).toBe(credentialCode);
      expect(r.text, what).not.toContain('PRIVATE KEY');
    }
    const list = await op.get(`/dashboard/api/accounts/${acct.account.id}/credentials`);
    expect(list.json.credentials).toHaveLength(1);
  });

  it('rotates to an uploaded credential at once and keeps the retired chain published at its old x5u', async () => {
    const before = await sign(svc, acct.token, call);
    expect(before.json.x5u).toBe(acct.x5u);
    const r = await upload({ certificatePem: pki.chainPem, privateKeyPem: pki.leaf.keyPem });
    expect(r.status).toBe(201);
    const cred = r.json.credential;
    expect(cred).toMatchObject({ state: 'active', spc: '567J', subject: expect.stringContaining('CN=SHAKEN 567J'), keyStore: 'software', retiredAt: null });
    expect(cred.daysLeft).toBeGreaterThanOrEqual(364);
    expect(cred.serial).toMatch(/^[0-9a-f]+$/);
    expect(cred.issuer).toContain('CN=');
    expect(cred.x5u).not.toBe(acct.x5u);
    expect(JSON.stringify(r.json)).not.toMatch(/PRIVATE|keyRef|soft:/);

    // Running nodes pick the change up within changePollMs; then the new credential signs.
    const after = await eventually(async () => {
      const s = await sign(svc, acct.token, call);
      return s.json.x5u === cred.x5u && s;
    }, 'signing with the new credential');
    expect(after.status).toBe(200);
    const oldChain = await fetch(acct.x5u);
    expect(oldChain.status).toBe(200);
    expect(await oldChain.text()).toBe(acct.pki.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/).join(''));
    expect((await fetch(cred.x5u)).status).toBe(200);

    const list = (await op.get(`/dashboard/api/accounts/${acct.account.id}/credentials`)).json.credentials;
    expect(list.map((c: any) => c.state)).toEqual(['active', 'retired']);
    expect(list[1].x5u).toBe(acct.x5u);
    expect(list[1].retiredAt).not.toBeNull();
    const detail = (await op.get(`/dashboard/api/accounts/${acct.account.id}`)).json;
    expect(detail.account.activeCredential.id).toBe(cred.id);
    const audit = (await op.get('/dashboard/api/audit')).json.entries.find((e: any) => e.action === 'credential.import');
    expect(audit).toMatchObject({ target: `credential:${cred.id}`, detail: { spc: '567J', retired: list[1].id } });
  });

  it('creates an API key shown once that signs, and revokes it', async () => {
    const created = await op.post(`/dashboard/api/accounts/${acct.account.id}/api-keys`, { name: 'sbc-2', sourceKind: 'gateway' });
    expect(created.status).toBe(201);
    expect(created.json.apiKey).toMatchObject({ name: 'sbc-2', sourceKind: 'gateway', revokedAt: null });
    const token = created.json.token as string;
    const signed = await sign(svc, token, call);
    expect(signed.status).toBe(200);
    expect(signed.json.attest).toBe('C');
    const keys = await op.get(`/dashboard/api/accounts/${acct.account.id}/api-keys`);
    expect(JSON.stringify(keys.json)).not.toContain(token.split('.').pop()!);
    expect((await op.del(`/dashboard/api/accounts/${acct.account.id}/api-keys/${created.json.apiKey.id}`)).status).toBe(204);
    await eventually(async () => (await sign(svc, token, call)).status === 403, 'the revoked key refused');
    const listed = (await op.get(`/dashboard/api/accounts/${acct.account.id}/api-keys`)).json.apiKeys.find((k: any) => k.id === created.json.apiKey.id);
    expect(listed.revokedAt).not.toBeNull();
    const actions = (await op.get('/dashboard/api/audit')).json.entries.map((e: any) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['apikey.create', 'apikey.revoke']));
  });

  it('adds and removes routing rules and SIP source blocks, and sets a block\'s SBC dialect', async () => {
    const base = `/dashboard/api/accounts/${acct.account.id}`;
    const route = await op.post(`${base}/routes`, { prefix: '1800', target: 'sip:tollfree.example.net', priority: 5 });
    expect(route.status).toBe(201);
    expect((await op.get(`${base}/routes`)).json.routes).toEqual([{ id: route.json.route.id, prefix: '1800', target: 'sip:tollfree.example.net', priority: 5 }]);
    expect((await op.post(`${base}/routes`, { prefix: '1800', target: 'http://nope' })).status).toBe(400);
    expect((await op.del(`${base}/routes/${route.json.route.id}`)).status).toBe(204);
    expect((await op.get(`${base}/routes`)).json.routes).toEqual([]);

    const src = await op.post(`${base}/sip-sources`, { cidr: '192.0.2.7/24', sourceKind: 'customer' });
    expect(src.status).toBe(201);
    expect((await op.get(`${base}/sip-sources`)).json.sipSources).toEqual([{ cidr: '192.0.2.0/24', sourceKind: 'customer', dialect: PLAIN_DIALECT }]);
    const dialect = { identityInContact: true, multipleChoices: true, attestationHeaders: true };
    const set = await op.request('PATCH', `${base}/sip-sources?cidr=${encodeURIComponent('192.0.2.0/24')}`, { dialect });
    expect(set.status).toBe(200);
    expect(set.json.sipSource).toEqual({ cidr: '192.0.2.0/24', sourceKind: 'customer', dialect });
    expect((await op.get(`${base}/sip-sources`)).json.sipSources).toEqual([{ cidr: '192.0.2.0/24', sourceKind: 'customer', dialect }]);
    expect((await op.del(`${base}/sip-sources?cidr=${encodeURIComponent('192.0.2.0/24')}`)).status).toBe(204);
    expect((await op.get(`${base}/sip-sources`)).json.sipSources).toEqual([]);
  });
});

describe('certificate expiry warnings', () => {
  let svc: TestService;
  let hook: Server;
  const received: any[] = [];
  let soon: Provisioned;

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    svc = await startDashboardService('embedded');
    soon = await svc.provision({ name: 'expiring', pki: { leafNotAfter: new Date(Date.now() + 10 * DAY_MS) } });
    await svc.provision({ name: 'fine' });
  });
  afterAll(async () => {
    await svc?.stop();
    await new Promise((r) => hook.close(r));
  });

  it('lists active certificates with fewer than 30 days left, scoped like everything else', async () => {
    const admin = await DashClient.login(svc, (await makeUser(svc, 'admin')).username);
    const r = await admin.get('/dashboard/api/warnings');
    expect(r.json.warnings).toHaveLength(1);
    expect(r.json.warnings[0]).toMatchObject({ kind: 'certificate-expiring', accountId: soon.account.id, daysLeft: 9 });
    const fine = await svc.node.store.findAccountByName('fine');
    const op = await DashClient.login(svc, (await makeUser(svc, 'operator', fine!.id)).username);
    expect((await op.get('/dashboard/api/warnings')).json.warnings).toEqual([]);
  });

  it('exports days to expiry as a gauge on /metrics', async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('shakenstack_certificate_expiry_days{') && l.includes(`account="${soon.account.id}"`));
    expect(line).toMatch(/account_name="expiring".*state="active".* 9$/);
    expect(text).toMatch(/^shakenstack_certificates_expiring 1$/m);
  });

  it('posts the webhook once per credential per day, whichever process runs the check', async () => {
    const clock = { ms: Date.now(), now() { return this.ms; } };
    const logger = pino({ level: 'silent' });
    const webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const a = startExpiryMonitor({ store: svc.node.store, clock, logger, webhookUrl });
    const b = startExpiryMonitor({ store: svc.node.store, clock, logger, webhookUrl });
    try {
      await a.runOnce();
      await b.runOnce();
      await eventually(async () => received.length >= 1, 'the webhook');
      await a.runOnce();
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ event: 'certificate-expiring', accountId: soon.account.id, accountName: 'expiring', daysLeft: 9 });
      clock.ms += DAY_MS;
      await a.runOnce();
      expect(received).toHaveLength(2);
      expect(received[1].daysLeft).toBe(8);
    } finally {
      a.stop();
      b.stop();
    }
  });
});
