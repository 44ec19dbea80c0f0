import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provisioned, TestService } from '../helpers/service.js';
import { CertServer } from '../verify/support.js';
import { DashClient, eventually, makeUser, pdfText, sign, startDashboardService } from './support.js';
import { blankLogRecord } from '../../server/core/request-log-record.js';

const LOGO = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');

describe('dashboard: branded calls (RCD profiles) with their logo', () => {
  let svc: TestService;
  let acct: Provisioned;
  let other: Provisioned;
  let content: CertServer;
  let admin: DashClient;

  beforeAll(async () => {
    content = await CertServer.start();
    content.serve('/logo.png', LOGO, { 'content-type': 'image/png' });
    svc = await startDashboardService('embedded', { tlsCa: content.tlsCaPem, overrides: { 'verify.allowPrivateAddresses': true } });
    acct = await svc.provision();
    other = await svc.provision();
    admin = await DashClient.login(svc, (await makeUser(svc, 'admin')).username);
  });
  afterAll(async () => {
    await svc.stop();
    await content.stop();
  });

  it('lets an admin vet a brand, shows it with its logo served through the dashboard, and removes it', async () => {
    const base = `/dashboard/api/accounts/${acct.account.id}`;
    const added = await admin.post(`${base}/rcd-profiles`, { rcd: { nam: 'Example Bank', icn: content.url('/logo.png') }, tns: ['12025550100'], prefixes: ['1303555'], crn: ['Fraud alert'] });
    expect(added.status).toBe(201);
    const profile = added.json.rcdProfile;
    expect(profile).toMatchObject({ rcd: { nam: 'Example Bank' }, logo: `${base}/rcd-profiles/${profile.id}/logo` });

    const detail = await admin.get(base);
    expect(detail.json.rcdProfiles).toEqual([expect.objectContaining({ id: profile.id, crn: ['Fraud alert'], logo: profile.logo })]);

    const logo = await fetch(svc.url + profile.logo, { headers: { cookie: admin.cookie } });
    expect(logo.status).toBe(200);
    expect(logo.headers.get('content-type')).toBe('image/png');
    expect(logo.headers.get('content-disposition')).toBe('attachment');
    expect(logo.headers.get('x-rcd-digest-matches')).toBe('true');
    expect(Buffer.from(await logo.arrayBuffer())).toEqual(LOGO);

    const bad = await admin.post(`${base}/rcd-profiles`, { rcd: { nam: 'Bad', icn: content.url('/missing.png') }, tns: ['12025550100'] });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'rcd.icn' });

    expect((await admin.del(`${base}/rcd-profiles/${profile.id}`)).status).toBe(200);
    expect((await admin.get(base)).json.rcdProfiles).toEqual([]);
    const audit = await admin.get('/dashboard/api/audit');
    expect(JSON.stringify(audit.json)).toContain('rcd.add');
  });

  it('shows an operator its account\'s brands but lets only an admin vet one; another account\'s logo is not found', async () => {
    const base = `/dashboard/api/accounts/${acct.account.id}`;
    const { json } = await admin.post(`${base}/rcd-profiles`, { rcd: { nam: 'Operator Visible', icn: content.url('/logo.png') }, tns: ['12025550100'] });
    const operator = await DashClient.login(svc, (await makeUser(svc, 'operator', acct.account.id)).username);
    const refused = await operator.post(`${base}/rcd-profiles`, { rcd: { nam: 'Self Made Brand' }, tns: ['12025550100'] });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('ERR_ROLE_FORBIDDEN');
    expect((await operator.get(base)).json.rcdProfiles.map((p: { id: string }) => p.id)).toContain(json.rcdProfile.id);
    expect((await fetch(svc.url + json.rcdProfile.logo, { headers: { cookie: operator.cookie } })).status).toBe(200);

    const outsider = await DashClient.login(svc, (await makeUser(svc, 'operator', other.account.id)).username);
    expect((await fetch(svc.url + json.rcdProfile.logo, { headers: { cookie: outsider.cookie } })).status).toBe(404);
    expect((await admin.get(`/dashboard/api/accounts/${other.account.id}/rcd-profiles/${json.rcdProfile.id}/logo`)).status).toBe(404);
  });

  it('counts branded calls: the log shows and filters them, the overview totals them, the reports count them per account and profile', async () => {
    const branded = await svc.provision({ name: 'branded' });
    const base = `/dashboard/api/accounts/${branded.account.id}`;
    const bank = (await admin.post(`${base}/rcd-profiles`, { rcd: { nam: 'Example Bank' }, tns: ['12025550100'], crn: ['Fraud alert'] })).json.rcdProfile;
    const shop = (await admin.post(`${base}/rcd-profiles`, { rcd: { nam: 'Example Shop' }, tns: ['12025550100'], placement: 'rcd' })).json.rcdProfile;
    const call = (rcd?: Record<string, unknown>) => sign(svc, branded.token, { orig: { tn: '12025550100' }, dest: { tn: ['12025550199'] }, attest: 'A', ...(rcd ? { rcd } : {}) });
    for (const r of [{ profile: bank.id }, { profile: bank.id, crn: 'Fraud alert' }, { profile: shop.id }, undefined]) expect((await call(r)).status).toBe(200);
    // Refused (the number is not the brand's): no profile was used, so it is not a branded call.
    const refused = await sign(svc, branded.token, { orig: { tn: '12025550111' }, dest: { tn: ['12025550199'] }, rcd: { profile: bank.id } });
    expect(refused.status).toBe(403);
    await eventually(async () => (await svc.node.store.queryRequestLog({ accountId: branded.account.id })).length === 5, 'five log rows');
    // A verifier's records, as the core writes them for calls whose RCD verified and whose RCD failed.
    const verified = (ok: boolean) => ({ ...blankLogRecord('verify', 'sip', new Date()), accountId: branded.account.id, outcome: 'ok' as const, passports: 'shaken', rcdVerified: ok });
    await svc.node.store.appendRequestLog([verified(true), verified(true), verified(false)]);

    const rows = (await admin.get(`/dashboard/api/logs?account=${branded.account.id}&passport=branded`)).json.rows;
    expect(rows.map((x: any) => [x.kind, x.rcdProfile, x.rcdVerified])).toEqual([
      ['verify', null, false],
      ['verify', null, true],
      ['verify', null, true],
      ['sign', shop.id, null],
      ['sign', bank.id, null],
      ['sign', bank.id, null],
    ]);
    expect(rows[3].passports).toEqual(['shaken', 'rcd']);
    const st = (await admin.get(`/dashboard/api/stats?window=1h&account=${branded.account.id}`)).json;
    expect(st.totals).toMatchObject({ count: 8, branded: 6 });

    const day = new Date().toISOString().slice(0, 10);
    const q = `/dashboard/api/reports?from=${day}&to=${day}&account=${branded.account.id}`;
    const r = (await admin.get(`${q}&format=json`)).json;
    expect(r.signedByAccount).toEqual([expect.objectContaining({ accountId: branded.account.id, total: 4, brandedSigned: 3, rcdVerified: 2, rcdFailed: 1 })]);
    expect(r.brandedByProfile).toEqual([
      { accountId: branded.account.id, accountName: 'branded', profileId: bank.id, profileName: 'Example Bank', signed: 2 },
      { accountId: branded.account.id, accountName: 'branded', profileId: shop.id, profileName: 'Example Shop', signed: 1 },
    ]);
    expect(r.totals).toMatchObject({ signed: 4, brandedSigned: 3, rcdVerified: 2, rcdFailed: 1 });
    const csv = (await admin.get(`${q}&format=csv`)).text.split('\r\n\r\n');
    expect(csv[1]!.split('\r\n').slice(1)).toEqual(['account_id,account_name,branded_signed,rcd_verified,rcd_failed', `${branded.account.id},branded,3,2,1`, 'TOTAL,,3,2,1']);
    expect(csv[2]!.split('\r\n').slice(1)).toEqual(['account_id,account_name,profile_id,brand,signed', `${branded.account.id},branded,${bank.id},Example Bank,2`, `${branded.account.id},branded,${shop.id},Example Shop,1`]);
    const pdf = pdfText(Buffer.from(await (await fetch(`${svc.url}${q}&format=pdf`, { headers: { cookie: admin.cookie } })).arrayBuffer()));
    expect(pdf).toContain('Branded calls (Rich Call Data, RFC 9795): 3 signed, 2 verified, 1 failed');
    expect(pdf).toContain(`branded (${branded.account.id})\n3\n2\n1\n`);
    expect(pdf).toContain(`${bank.id}\nExample Bank\n2\n`);
  });
});
