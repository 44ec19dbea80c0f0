import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provisioned, TestService } from '../helpers/service.js';
import { CertServer } from '../verify/support.js';
import { DashClient, makeUser, startDashboardService } from './support.js';

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
});
