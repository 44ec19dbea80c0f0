import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeRequestLog } from '../../server/dashboard/retention.js';
import type { RequestLogRecord } from '../../server/core/ports.js';
import type { Provisioned, TestService } from '../helpers/service.js';
import { DashClient, ENGINES, eventually, makeUser, pdfText, sign, startDashboardService } from './support.js';

const DAY_MS = 86_400_000;

/** The CSV's sections: blocks separated by an empty line, each row split on commas (RFC 4180 quotes honoured). */
function csvSections(text: string): string[][][] {
  const rows = (line: string) => {
    const cells: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
        else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') cells.push(cur), (cur = '');
      else cur += ch;
    }
    cells.push(cur);
    return cells;
  };
  return text.trimEnd().split('\r\n\r\n').map((block) => block.split('\r\n').map(rows));
}

describe.each(ENGINES)('dashboard insight (%s store)', (engine) => {
  let svc: TestService;
  let p: Provisioned;
  let other: Provisioned;
  let admin: DashClient;
  const today = new Date().toISOString().slice(0, 10);
  const origids: string[] = [];

  beforeAll(async () => {
    svc = await startDashboardService(engine);
    p = await svc.provision({ name: 'insight' });
    other = await svc.provision({ name: 'elsewhere' });
    admin = await DashClient.login(svc, (await makeUser(svc, 'admin')).username);
    // 3 signed A, 2 signed B, 1 refused for a bad number; and one call on another account.
    for (let i = 0; i < 3; i++) origids.push((await sign(svc, p.token, { orig: { tn: '12025550100' }, dest: { tn: [`1202555020${i}`, '18005550000'] }, attest: 'A' })).json.origid);
    for (let i = 0; i < 2; i++) origids.push((await sign(svc, p.token, { orig: { tn: '12025550111' }, dest: { tn: ['12025550300'] }, attest: 'B' })).json.origid);
    expect((await sign(svc, p.token, { orig: { tn: '12025550100' }, dest: { tn: ['not-a-number'] } })).status).toBe(400);
    expect((await sign(svc, other.token, { orig: { tn: '13035550100' }, dest: { tn: ['13035550199'] }, attest: 'C' })).status).toBe(200);
    await eventually(async () => (await svc.node.store.countRequestLog()) === 7, 'seven log rows');
  });
  afterAll(() => svc?.stop());

  it('lists log rows newest first with filters by account, transport, outcome and number', async () => {
    const all = (await admin.get(`/dashboard/api/logs?account=${p.account.id}`)).json.rows;
    expect(all).toHaveLength(6);
    expect(all.map((r: any) => r.id)).toEqual([...all.map((r: any) => r.id)].sort((a: number, b: number) => b - a));
    expect(all[0]).toMatchObject({ kind: 'sign', accountId: p.account.id, apiKeyId: p.apiKeyId, transport: 'http', outcome: 'error', errorCode: 'ERR_TN_INVALID' });
    const signed = all.filter((r: any) => r.outcome === 'ok');
    expect(signed.map((r: any) => r.origid).sort()).toEqual([...origids].sort());
    expect(signed.find((r: any) => r.attestApplied === 'A').dest).toEqual([expect.stringMatching(/^1202555020\d$/), '18005550000']);

    const errors = (await admin.get(`/dashboard/api/logs?account=insight&outcome=error`)).json.rows;
    expect(errors).toHaveLength(1);
    // A number matches orig or any one destination, given in any common spelling.
    expect((await admin.get('/dashboard/api/logs?number=%2B1%20800%20555%200000')).json.rows).toHaveLength(3);
    expect((await admin.get('/dashboard/api/logs?number=12025550201')).json.rows).toHaveLength(1);
    expect((await admin.get('/dashboard/api/logs?number=12025550111')).json.rows).toHaveLength(2);
    expect((await admin.get('/dashboard/api/logs?number=1202555')).json.rows).toHaveLength(0);
    expect((await admin.get('/dashboard/api/logs?transport=grpc')).json.rows).toHaveLength(0);
    expect((await admin.get('/dashboard/api/logs?transport=pigeon')).status).toBe(400);
    const page = (await admin.get(`/dashboard/api/logs?limit=2&before=${all[1].id}`)).json.rows;
    expect(page.map((r: any) => r.id)).toEqual([all[2].id, all[3].id]);
  });

  it('streams a row over SSE once a real sign request has been logged', async () => {
    const stream = await openLogStream(`${svc.url}/dashboard/api/logs/stream?account=${p.account.id}`, admin.cookie);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const read = stream.read;
    await read((t) => t.includes(': connected'));
    // Another account's call must not appear in this account's stream.
    await sign(svc, other.token, { orig: { tn: '13035550100' }, dest: { tn: ['13035550199'] } });
    const signed = await sign(svc, p.token, { orig: { tn: '12025550100' }, dest: { tn: ['12025550999'] } });
    const text = await read((t) => t.includes(signed.json.origid));
    const events = text.split('\n\n').filter((e) => e.includes('event: log'));
    expect(events).toHaveLength(1);
    const data = JSON.parse(events[0]!.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
    expect(data).toMatchObject({ kind: 'sign', accountId: p.account.id, outcome: 'ok', orig: '12025550100', dest: ['12025550999'], origid: signed.json.origid });
    expect(events[0]).toMatch(new RegExp(`^id: ${data.id}$`, 'm'));
    await stream.close();
  });

  it('refuses the stream without a session', async () => {
    const res = await fetch(`${svc.url}/dashboard/api/logs/stream`);
    expect(res.status).toBe(401);
  });

  it('counts volume, errors, attestation, latency and per-integration health that match the requests made', async () => {
    const st = (await admin.get(`/dashboard/api/stats?window=15m&account=${p.account.id}`)).json;
    expect(st.window).toBe('15m');
    expect(st.bucketSec).toBe(30);
    expect(st.buckets).toHaveLength(30);
    const count = st.totals.count;
    // 6 from the set-up, plus 1 from the SSE test when it ran first.
    expect([6, 7]).toContain(count);
    expect(st.totals.errors).toBe(1);
    expect(st.totals.errorRate).toBeCloseTo(1 / count);
    expect(st.buckets.reduce((s: number, b: any) => s + b.count, 0)).toBe(count);
    const byAttest = st.buckets.reduce((s: any, b: any) => ({ A: s.A + b.byAttest.A, B: s.B + b.byAttest.B, C: s.C + b.byAttest.C }), { A: 0, B: 0, C: 0 });
    expect(byAttest).toEqual({ A: 3 + (count - 6), B: 2, C: 0 });
    expect(st.totals.p50Ms).toBeGreaterThan(0);
    expect(st.totals.p99Ms).toBeGreaterThanOrEqual(st.totals.p95Ms);
    expect(st.totals.p95Ms).toBeGreaterThanOrEqual(st.totals.p50Ms);
    expect(st.integrations).toEqual([{ apiKeyId: p.apiKeyId, apiKeyName: 'test', transport: 'http', count, errors: 1, errorRate: 1 / count, p99Ms: st.totals.p99Ms, lastSeen: expect.any(String) }]);
    const empty = st.buckets.find((b: any) => b.count === 0);
    expect(empty).toMatchObject({ errors: 0, p50Ms: null, byAttest: { A: 0, B: 0, C: 0 }, forwarded: 0 });
    expect(st.totals.forwarded).toBe(0);
    expect((await admin.get('/dashboard/api/stats?window=2y')).status).toBe(400);
  });

  it('reports signed calls by account and attestation, failures by reason and certificates in JSON, CSV and PDF with the same numbers', async () => {
    const q = `/dashboard/api/reports?from=${today}&to=${today}`;
    const json = await admin.get(`${q}&format=json`);
    expect(json.headers.get('content-disposition')).toMatch(/^attachment; filename="shakenstack-report-.*\.json"$/);
    const r = json.json;
    const mine = r.signedByAccount.find((s: any) => s.accountId === p.account.id);
    const extra = mine.total - 5; // the SSE test's call, when it ran first
    expect(mine).toEqual({ accountId: p.account.id, accountName: 'insight', A: 3 + extra, B: 2, C: 0, total: 5 + extra, forwardedSigned: 0, forwardedVerified: 0, brandedSigned: 0, rcdVerified: 0, rcdFailed: 0 });
    expect(r.signedByAccount.find((s: any) => s.accountId === other.account.id)).toMatchObject({ C: 1 });
    expect(r.failuresByReason).toEqual([{ errorCode: 'ERR_TN_INVALID', count: 1 }]);
    expect(r.certificates.map((c: any) => c.accountId).sort()).toEqual([p.account.id, other.account.id].sort());
    expect(r.certificates[0]).toMatchObject({ spc: '1234', state: 'active', daysLeft: 364 });

    const csv = await admin.get(`${q}&format=csv&account=${p.account.id}`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const [signed, branded, profiles, failures, certs] = csvSections(csv.text);
    expect(branded!.slice(1)).toEqual([['account_id', 'account_name', 'branded_signed', 'rcd_verified', 'rcd_failed'], ['TOTAL', '', '0', '0', '0']]);
    expect(profiles!.slice(1)).toEqual([['account_id', 'account_name', 'profile_id', 'brand', 'signed']]);
    expect(signed![1]).toEqual(['account_id', 'account_name', 'A', 'B', 'C', 'total', 'forwarded_signed', 'forwarded_verified']);
    expect(signed!.slice(2)).toEqual([
      [p.account.id, 'insight', String(3 + extra), '2', '0', String(5 + extra), '0', '0'],
      ['TOTAL', '', String(3 + extra), '2', '0', String(5 + extra), '0', '0'],
    ]);
    expect(failures!.slice(1)).toEqual([['error_code', 'count'], ['ERR_TN_INVALID', '1'], ['TOTAL', '1']]);
    expect(certs![2]).toEqual([p.account.id, expect.stringMatching(/^cred_/), 'CN=SHAKEN 1234, O=shakenstack test, C=US', '1234', expect.any(String), '364', 'active']);

    const pdf = await fetch(`${svc.url}${q}&format=pdf&account=${p.account.id}`, { headers: { cookie: admin.cookie } });
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const text = pdfText(bytes);
    expect(text).toContain(`Signed calls by account and attestation (total ${5 + extra})`);
    expect(text).toContain('Failed signing requests by reason (total 1)');
    expect(text).toContain('ERR_TN_INVALID');
    expect(text).toContain(`insight (${p.account.id})`);

    const bad = await admin.get('/dashboard/api/reports?from=2026-02-30&to=2026-03-01');
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('from');
    const past = (await admin.get('/dashboard/api/reports?from=2020-01-01&to=2020-01-31')).json;
    expect(past.signedByAccount).toEqual([]);
    expect(past.failuresByReason).toEqual([]);
  });

  describe('forwarded calls (div PASSporTs, RFC 8946)', () => {
    // Records as the core writes them for calls that carry a div, built here directly: yesterday, so that the
    // other tests' counts for today stay as they are.
    let fwd: Provisioned;
    const day = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
    const at = (min: number) => new Date(Date.parse(`${day}T12:00:00Z`) + min * 60_000);
    const made: RequestLogRecord[] = [];
    const record = (over: Partial<RequestLogRecord>): RequestLogRecord => ({
      kind: 'sign',
      time: at(made.length),
      accountId: fwd.account.id,
      apiKeyId: fwd.apiKeyId,
      transport: 'sip',
      orig: '14045550100',
      dest: '14045550177',
      attestRequested: 'A',
      attestApplied: 'A',
      attestReason: 'requested',
      outcome: 'ok',
      errorCode: null,
      latencyUs: 300,
      origid: `fwd-${made.length}`,
      passports: 'shaken,div',
      rcdProfile: null,
      rcdVerified: null,
      ...over,
    });

    beforeAll(async () => {
      fwd = await svc.provision({ name: 'forwarding' });
      const plan: Partial<RequestLogRecord>[] = [
        { attestApplied: 'A' }, // signed, forwarded
        { attestApplied: 'B', passports: 'shaken,div,div' }, // signed, forwarded twice
        { attestApplied: 'A', passports: 'shaken' }, // signed, not forwarded
        { attestApplied: 'C', passports: 'shaken' },
        { outcome: 'error', errorCode: 'ERR_ATTEST_REFUSED', attestApplied: null }, // refused: not a signed call
        { kind: 'verify', attestRequested: null }, // verified, forwarded
        { kind: 'verify', attestRequested: null, passports: 'shaken,div,div' },
        { kind: 'verify', attestRequested: null, attestApplied: 'B', passports: 'shaken,div' },
        { kind: 'verify', attestRequested: null, outcome: 'error', errorCode: 'VERIFY_438_claims_invalid', attestApplied: null }, // verification failed
        { kind: 'verify', attestRequested: null, passports: 'shaken' }, // verified, not forwarded
        { passports: null, outcome: 'error', errorCode: 'ERR_REQ_FIELD_MISSING', attestApplied: null }, // nothing signed, no list
        { attestApplied: 'A', passports: 'shaken,div-o' }, // signed, forwarded with a div-o (RFC 8946 §5)
      ];
      for (const over of plan) made.push(record(over));
      await svc.node.store.appendRequestLog(made);
    });

    it('counts forwarded calls signed and verified per account next to the signed counts, in JSON, CSV and PDF', async () => {
      const q = `/dashboard/api/reports?from=${day}&to=${day}&account=${fwd.account.id}`;
      const r = (await admin.get(`${q}&format=json`)).json;
      expect(r.signedByAccount).toEqual([{ accountId: fwd.account.id, accountName: 'forwarding', A: 3, B: 1, C: 1, total: 5, forwardedSigned: 3, forwardedVerified: 3, brandedSigned: 0, rcdVerified: 0, rcdFailed: 0 }]);
      expect(r.totals).toEqual({ signed: 5, failures: 2, forwardedSigned: 3, forwardedVerified: 3, brandedSigned: 0, rcdVerified: 0, rcdFailed: 0 });
      // The overview counts every request of a forwarded call, refused ones included: 8 of the 12 records.
      const st = (await admin.get(`/dashboard/api/stats?window=7d&account=${fwd.account.id}`)).json;
      expect(st.totals.forwarded).toBe(8);
      expect(st.buckets.reduce((n: number, b: any) => n + b.forwarded, 0)).toBe(8);
      expect(r.failuresByReason).toEqual([
        { errorCode: 'ERR_ATTEST_REFUSED', count: 1 },
        { errorCode: 'ERR_REQ_FIELD_MISSING', count: 1 },
      ]);

      const [signed] = csvSections((await admin.get(`${q}&format=csv`)).text);
      expect(signed![0]![0]).toMatch(/forwarded calls \(div or div-o\) signed and verified/);
      expect(signed!.slice(1)).toEqual([
        ['account_id', 'account_name', 'A', 'B', 'C', 'total', 'forwarded_signed', 'forwarded_verified'],
        [fwd.account.id, 'forwarding', '3', '1', '1', '5', '3', '3'],
        ['TOTAL', '', '3', '1', '1', '5', '3', '3'],
      ]);

      const pdf = Buffer.from(await (await fetch(`${svc.url}${q}&format=pdf`, { headers: { cookie: admin.cookie } })).arrayBuffer());
      const text = pdfText(pdf);
      // The table's cells in order (the two last headers wrap in their narrow columns): A B C Total, forwarded signed, verified.
      expect(text).toMatch(/Forwarded\s+signed\nForwarded\s+verified\n/);
      expect(text).toContain(`forwarding (${fwd.account.id})\n3\n1\n1\n5\n3\n3\n`);
      expect(text).toContain('3 among the signed calls, 3 verified successfully');

      // An account that only verified forwarded calls still has its row; plain verifications alone do not make one.
      const onlyVerified = await svc.provision({ name: 'verifier' });
      await svc.node.store.appendRequestLog([
        record({ accountId: onlyVerified.account.id, kind: 'verify', time: at(30) }),
        record({ accountId: onlyVerified.account.id, kind: 'verify', time: at(31), passports: 'shaken' }),
      ]);
      const both = (await admin.get(`/dashboard/api/reports?from=${day}&to=${day}`)).json.signedByAccount;
      expect(both.find((x: any) => x.accountId === onlyVerified.account.id)).toEqual({ accountId: onlyVerified.account.id, accountName: 'verifier', A: 0, B: 0, C: 0, total: 0, forwardedSigned: 0, forwardedVerified: 1, brandedSigned: 0, rcdVerified: 0, rcdFailed: 0 });
    });

    it('shows each row’s PASSporT kinds in order and filters the list by kind', async () => {
      const rows = (await admin.get(`/dashboard/api/logs?account=${fwd.account.id}&limit=100`)).json.rows;
      const byOrigid = new Map(rows.map((x: any) => [x.origid, x.passports]));
      expect(byOrigid.get('fwd-1')).toEqual(['shaken', 'div', 'div']);
      expect(byOrigid.get('fwd-2')).toEqual(['shaken']);
      expect(byOrigid.get('fwd-10')).toEqual([]);

      expect(byOrigid.get('fwd-11')).toEqual(['shaken', 'div-o']);

      const forwarded = (await admin.get(`/dashboard/api/logs?account=${fwd.account.id}&passport=forwarded`)).json.rows;
      expect(forwarded.map((x: any) => x.origid)).toEqual(['fwd-11', 'fwd-8', 'fwd-7', 'fwd-6', 'fwd-5', 'fwd-4', 'fwd-1', 'fwd-0']);
      // One kind alone: `div` is not `div-o`.
      const divs = (await admin.get(`/dashboard/api/logs?account=${fwd.account.id}&passport=div`)).json.rows;
      expect(divs.map((x: any) => x.origid)).toEqual(['fwd-8', 'fwd-7', 'fwd-6', 'fwd-5', 'fwd-4', 'fwd-1', 'fwd-0']);
      const verifiedForwarded = (await admin.get(`/dashboard/api/logs?account=${fwd.account.id}&passport=div&outcome=ok`)).json.rows;
      expect(verifiedForwarded.map((x: any) => `${x.kind} ${x.passports.join(',')}`)).toEqual(['verify shaken,div', 'verify shaken,div,div', 'verify shaken,div', 'sign shaken,div,div', 'sign shaken,div']);
      const bad = await admin.get('/dashboard/api/logs?passport=diverted');
      expect(bad.status).toBe(400);
      expect(bad.json.error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'passport' });
    });

    it('streams only forwarded calls when the live tail asks for them', async () => {
      const stream = await openLogStream(`${svc.url}/dashboard/api/logs/stream?account=${fwd.account.id}&passport=forwarded`, admin.cookie);
      const read = stream.read;
      await read((t) => t.includes(': connected'));
      // The plain call goes first: had the filter let it through, it would arrive before the forwarded one.
      await svc.node.store.appendRequestLog([record({ time: new Date(), origid: 'tail-plain', passports: 'shaken' })]);
      await svc.node.store.appendRequestLog([record({ time: new Date(), origid: 'tail-forwarded', passports: 'shaken,div-o' })]);
      const text = await read((t) => t.includes('tail-forwarded'));
      const events = text.split('\n\n').filter((e) => e.includes('event: log'));
      expect(events).toHaveLength(1);
      const data = JSON.parse(events[0]!.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
      expect(data).toMatchObject({ origid: 'tail-forwarded', passports: ['shaken', 'div-o'], kind: 'sign', transport: 'sip' });
      await stream.close();
    });
  });

  it('exposes request counters and latency histograms by transport, outcome and attestation on /metrics', async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const value = (re: RegExp) => Number(text.split('\n').find((l) => re.test(l))?.split(' ').pop());
    expect(value(/^shakenstack_requests_total\{kind="sign",transport="http",outcome="ok",attest="B"\}/)).toBe(2);
    expect(value(/^shakenstack_requests_total\{kind="sign",transport="http",outcome="error",attest="none"\}/)).toBe(1);
    expect(value(/^shakenstack_request_errors_total\{kind="sign",transport="http",code="ERR_TN_INVALID"\}/)).toBe(1);
    const okCount = value(/^shakenstack_request_duration_seconds_count\{kind="sign",transport="http",outcome="ok"\}/);
    expect(okCount).toBeGreaterThanOrEqual(6);
    expect(value(/^shakenstack_request_duration_seconds_bucket\{le="\+Inf",kind="sign",transport="http",outcome="ok"\}/)).toBe(okCount);
    expect(text).toMatch(/^shakenstack_readiness\{probe="store"\} 1$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('deletes request-log rows older than the retention in batches and keeps newer ones', async () => {
    const old = (daysAgo: number): RequestLogRecord => ({
      kind: 'sign',
      time: new Date(Date.now() - daysAgo * DAY_MS),
      accountId: p.account.id,
      apiKeyId: null,
      transport: 'http',
      orig: '1',
      dest: '2',
      attestRequested: 'A',
      attestApplied: 'A',
      attestReason: 'requested',
      outcome: 'ok',
      errorCode: null,
      latencyUs: 10,
      origid: null,
      passports: 'shaken',
      rcdProfile: null,
      rcdVerified: null,
    });
    await svc.node.store.appendRequestLog([...Array.from({ length: 25 }, () => old(100)), old(89)]);
    const before = await svc.node.store.countRequestLog();
    expect(await purgeRequestLog(svc.node.store, { retentionDays: 0, nowMs: Date.now() })).toBe(0);
    expect(await purgeRequestLog(svc.node.store, { retentionDays: 90, nowMs: Date.now(), batch: 10 })).toBe(25);
    expect(await svc.node.store.countRequestLog()).toBe(before - 25);
  });
});

/** The live log's SSE stream with a session: `read` waits until the text so far satisfies `until` and returns it. */
async function openLogStream(url: string, cookie: string) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { cookie }, signal: controller.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  let text = '';
  return {
    contentType: res.headers.get('content-type'),
    async read(until: (t: string) => boolean): Promise<string> {
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += Buffer.from(value).toString('utf8');
      }
      return text;
    },
    async close(): Promise<void> {
      controller.abort();
      await reader.cancel().catch(() => undefined);
    },
  };
}

describe('request-log retention in the background', () => {
  it('purges old rows at start', async () => {
    const first = await startDashboardService('postgres');
    const url = first.config.store.url!;
    const p = await first.provision({ name: 'retained' });
    const rec = (t: number): RequestLogRecord => ({ kind: 'sign', time: new Date(t), accountId: p.account.id, apiKeyId: null, transport: 'http', orig: null, dest: null, attestRequested: null, attestApplied: null, attestReason: null, outcome: 'ok', errorCode: null, latencyUs: 1, origid: null, passports: null, rcdProfile: null, rcdVerified: null });
    await first.node.store.appendRequestLog([rec(Date.now() - 3 * DAY_MS), rec(Date.now() - 3 * DAY_MS), rec(Date.now())]);
    // A second node with a 2-day retention on the same database deletes the two old rows by itself.
    const second = await startDashboardService('postgres', { url, overrides: { 'requestLog.retentionDays': 2 } });
    try {
      await eventually(async () => (await second.node.store.countRequestLog()) === 1, 'the background purge', 15_000);
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});

describe('live tail at shutdown', () => {
  it('ends open streams so that the node stops without waiting for them', async () => {
    const svc = await startDashboardService('embedded', { overrides: { shutdownTimeoutMs: 60_000 } });
    const admin = await DashClient.login(svc, (await makeUser(svc, 'admin')).username);
    const res = await fetch(`${svc.url}/dashboard/api/logs/stream`, { headers: { cookie: admin.cookie } });
    const reader = res.body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toContain(': connected');
    await svc.stop();
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });
});
