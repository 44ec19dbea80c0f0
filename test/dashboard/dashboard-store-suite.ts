import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RequestLogRecord } from '../../server/core/ports.js';
import type { Store } from '../../server/store/store.js';

const T0 = Date.UTC(2026, 0, 1);

const rec = (over: Partial<RequestLogRecord>): RequestLogRecord => ({
  kind: 'sign',
  time: new Date(T0),
  accountId: null,
  apiKeyId: null,
  transport: 'http',
  orig: '12025550100',
  dest: '12025550101',
  attestRequested: 'A',
  attestApplied: 'A',
  attestReason: 'requested',
  outcome: 'ok',
  errorCode: null,
  latencyUs: 100,
  origid: randomUUID(),
  passports: 'shaken',
  rcdProfile: null,
  rcdVerified: null,
  ...over,
});

/** The dashboard's store queries, run by embedded.test.ts and postgres.test.ts on each engine. */
export function dashboardStoreSuite(open: () => Promise<Store>): void {
  let store: Store;
  let acc: string;
  beforeAll(async () => {
    store = await open();
    acc = (await store.createAccount({ name: `dash-${randomUUID().slice(0, 8)}`, defaultAttest: 'A', maxAttest: 'A', tokenTtlSec: 60, policyMode: 'trust', nonNumericOrig: 'B' })).id;
    const rows: RequestLogRecord[] = [];
    // Bucket 0 (first minute): 2 A and 1 error; bucket 2: 1 B, 1 C on a gateway key; another account's rows too.
    rows.push(rec({ accountId: acc, apiKeyId: 'key_1', time: new Date(T0 + 1000), latencyUs: 1000 }));
    rows.push(rec({ accountId: acc, apiKeyId: 'key_1', time: new Date(T0 + 59_999), latencyUs: 3000 }));
    rows.push(rec({ accountId: acc, apiKeyId: 'key_1', time: new Date(T0 + 30_000), outcome: 'error', errorCode: 'ERR_TN_INVALID', attestApplied: null, latencyUs: 50, passports: null }));
    // A forwarded call (RFC 8946): the B signature carries a div, and so does the verification below.
    rows.push(rec({ accountId: acc, apiKeyId: 'key_1', time: new Date(T0 + 120_000), attestApplied: 'B', dest: '18005550000,12025550777', passports: 'shaken,div' }));
    rows.push(rec({ accountId: acc, apiKeyId: 'key_2', transport: 'grpc', time: new Date(T0 + 150_000), attestApplied: 'C' }));
    rows.push(rec({ accountId: acc, apiKeyId: 'key_1', kind: 'verify', time: new Date(T0 + 150_000), attestApplied: 'A', passports: 'shaken,div,div' }));
    rows.push(rec({ accountId: 'acc_other', time: new Date(T0 + 1000) }));
    rows.push(rec({ accountId: acc, time: new Date(T0 + 180_000) })); // outside [T0, T0+3min)
    await store.appendRequestLog(rows);
  });
  afterAll(() => store?.close());

  const w = () => ({ since: T0, until: T0 + 180_000, accountId: acc });

  it('aggregates per bucket: count, errors, signed calls by applied attestation (verifications not counted as signed) and forwarded calls', async () => {
    expect(await store.dashboard.statsBuckets(w(), 60_000)).toEqual([
      { bucket: 0, count: 3, errors: 1, A: 2, B: 0, C: 0, forwarded: 0, branded: 0 },
      { bucket: 2, count: 3, errors: 0, A: 0, B: 1, C: 1, forwarded: 2, branded: 0 },
    ]);
    expect(await store.dashboard.countLogRows(w())).toBe(6);
  });

  it('samples latencies whole or every k-th row by id', async () => {
    const all = await store.dashboard.latencySamples(w(), 1);
    expect(all.map((s) => s.latencyUs).sort((a, b) => a - b)).toEqual([50, 100, 100, 100, 1000, 3000]);
    const half = await store.dashboard.latencySamples(w(), 2);
    expect(half.length).toBeGreaterThanOrEqual(2);
    expect(half.length).toBeLessThanOrEqual(4);
  });

  it('groups integrations by API key and transport', async () => {
    expect(await store.dashboard.integrations(w())).toEqual([
      { apiKeyId: 'key_1', transport: 'http', count: 5, errors: 1, lastSeen: T0 + 150_000 },
      { apiKeyId: 'key_2', transport: 'grpc', count: 1, errors: 0, lastSeen: T0 + 150_000 },
    ]);
  });

  it('counts signed calls by account and attestation, forwarded calls signed and verified, and failures by code for reports', async () => {
    const all = { since: T0, until: T0 + DAY };
    expect((await store.dashboard.signedByAccount(all)).filter((r) => r.accountId === acc)).toEqual([
      { accountId: acc, attest: 'A', count: 3 },
      { accountId: acc, attest: 'B', count: 1 },
      { accountId: acc, attest: 'C', count: 1 },
    ]);
    expect(await store.dashboard.forwardedByAccount({ ...all, accountId: acc })).toEqual([
      { accountId: acc, kind: 'sign', count: 1 },
      { accountId: acc, kind: 'verify', count: 1 },
    ]);
    expect(await store.dashboard.forwardedByAccount({ since: T0 + 120_000, until: T0 + 150_000, accountId: acc })).toEqual([{ accountId: acc, kind: 'sign', count: 1 }]);
    // Only successful requests count, and a div or div-o anywhere in the list makes a forwarded call.
    const other = `acc_${randomUUID().slice(0, 8)}`;
    await store.appendRequestLog([
      rec({ accountId: other, time: new Date(T0 + 100_000), passports: 'div' }),
      rec({ accountId: other, time: new Date(T0 + 100_000), passports: 'shaken,div', outcome: 'error', errorCode: 'ERR_ATTEST_REFUSED', attestApplied: null }),
      rec({ accountId: other, time: new Date(T0 + 100_000), passports: 'shaken,div', kind: 'verify', outcome: 'error', errorCode: 'VERIFY_438_claims_invalid' }),
      rec({ accountId: other, time: new Date(T0 + 100_000), passports: 'shaken,rcd', kind: 'verify' }),
      rec({ accountId: other, time: new Date(T0 + 100_000), passports: 'shaken,div-o', kind: 'verify' }),
    ]);
    expect(await store.dashboard.forwardedByAccount({ ...all, accountId: other })).toEqual([
      { accountId: other, kind: 'sign', count: 1 },
      { accountId: other, kind: 'verify', count: 1 },
    ]);
    expect(await store.dashboard.failuresByReason({ ...all, accountId: acc })).toEqual([{ errorCode: 'ERR_TN_INVALID', count: 1 }]);
  });

  it('pages log rows back by id and tails forward from an id, matching a number in orig or any dest', async () => {
    const newest = await store.dashboard.logRows({ accountId: acc, limit: 3 });
    expect(newest).toHaveLength(3);
    const after = await store.dashboard.logRows({ accountId: acc, afterId: newest[2]!.id, limit: 10 });
    expect(after.map((r) => r.id)).toEqual([newest[1]!.id, newest[0]!.id]);
    expect((await store.dashboard.logRows({ number: '12025550777', limit: 10 })).map((r) => r.dest)).toEqual(['18005550000,12025550777']);
    expect(await store.dashboard.logRows({ number: '2025550777', limit: 10 })).toEqual([]);
    expect(await store.dashboard.lastLogId()).toBeGreaterThanOrEqual(newest[0]!.id);
  });

  it('filters log rows by a kind of PASSporT (forwarded calls: div), paging back and tailing forward', async () => {
    const forwarded = await store.dashboard.logRows({ accountId: acc, passport: 'forwarded', limit: 10 });
    expect(forwarded.map((r) => [r.kind, r.passports])).toEqual([
      ['verify', 'shaken,div,div'],
      ['sign', 'shaken,div'],
    ]);
    expect(await store.dashboard.logRows({ accountId: acc, passport: 'div', limit: 10 })).toEqual(forwarded);
    expect(await store.dashboard.logRows({ accountId: acc, passport: 'div-o', limit: 10 })).toEqual([]);
    expect(await store.dashboard.logRows({ accountId: acc, passport: 'div', beforeId: forwarded[0]!.id, limit: 10 })).toEqual([forwarded[1]]);
    expect(await store.dashboard.logRows({ accountId: acc, passport: 'div', afterId: forwarded[1]!.id, limit: 10 })).toEqual([forwarded[0]]);
    expect((await store.dashboard.logRows({ passport: 'div', outcome: 'ok', transport: 'http', number: '12025550777', limit: 10 })).map((r) => r.id)).toEqual([forwarded[1]!.id]);
    // The error row has no list: it is neither a forwarded call nor a shaken one.
    expect(await store.dashboard.logRows({ accountId: acc, passport: 'shaken', limit: 10 })).toHaveLength(6);
    expect(await store.dashboard.logRows({ accountId: acc, passport: 'rcd', limit: 10 })).toEqual([]);
  });

  it('keeps users unique by name, ends their sessions on a change, and purges idle and expired sessions', async () => {
    const name = `u-${randomUUID().slice(0, 8)}`;
    const u = await store.dashboard.createUser({ username: name, passwordHash: 'scrypt$x', role: 'viewer', accountId: acc });
    await expect(store.dashboard.createUser({ username: name, passwordHash: 'h', role: 'admin', accountId: null })).rejects.toMatchObject({ code: 'ERR_REQ_CONFLICT' });
    const session = (id: string, lastSeen: number, expires: number) => ({ idHash: id, userId: u.id, csrfToken: 't', createdAt: new Date(0), lastSeenAt: new Date(lastSeen), expiresAt: new Date(expires) });
    await store.dashboard.createSession(session(`${name}-a`, 1000, 10_000));
    await store.dashboard.updateUser(u.id, { role: 'viewer' });
    expect(await store.dashboard.getSession(`${name}-a`)).toBeUndefined();
    await store.dashboard.createSession(session(`${name}-idle`, 1000, 100_000));
    await store.dashboard.createSession(session(`${name}-old`, 9000, 9500));
    await store.dashboard.createSession(session(`${name}-live`, 9000, 100_000));
    expect(await store.dashboard.purgeSessions(10_000, 5000)).toBeGreaterThanOrEqual(2);
    expect(await store.dashboard.getSession(`${name}-live`)).toMatchObject({ userId: u.id, expiresAt: new Date(100_000) });
    await store.dashboard.removeUser(u.id);
    expect(await store.dashboard.getSession(`${name}-live`)).toBeUndefined();
    await expect(store.dashboard.removeUser(u.id)).rejects.toMatchObject({ code: 'ERR_REQ_NOT_FOUND' });
  });

  it('counts login attempts in a window that starts over once it has passed, and claims an expiry notice once per credential and day', async () => {
    const key = randomUUID();
    const W = 1000;
    expect(await store.dashboard.reserveLoginAttempt(key, 100, W)).toEqual({ attempts: 1, windowStartMs: 100 });
    expect(await store.dashboard.reserveLoginAttempt(key, 200, W)).toEqual({ attempts: 2, windowStartMs: 100 });
    expect(await store.dashboard.reserveLoginAttempt(key, 1099, W)).toEqual({ attempts: 3, windowStartMs: 100 });
    expect(await store.dashboard.reserveLoginAttempt(key, 1100, W)).toEqual({ attempts: 1, windowStartMs: 1100 });
    // Concurrent attempts each get their own count: none of them can read a count another has not raised.
    const parallel = await Promise.all(Array.from({ length: 12 }, () => store.dashboard.reserveLoginAttempt(key, 1200, W)));
    expect(parallel.map((r) => r.attempts).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));
    await store.dashboard.clearLoginAttempts(key);
    expect((await store.dashboard.reserveLoginAttempt(key, 1300, W)).attempts).toBe(1);
    expect(await store.dashboard.purgeLoginAttempts(1301)).toBeGreaterThanOrEqual(1);
    expect((await store.dashboard.reserveLoginAttempt(key, 1400, W)).attempts).toBe(1);
    const cred = `cred_${randomUUID()}`;
    expect(await store.dashboard.claimExpiryNotice(cred, '2026-01-01')).toBe(true);
    expect(await store.dashboard.claimExpiryNotice(cred, '2026-01-01')).toBe(false);
    expect(await store.dashboard.claimExpiryNotice(cred, '2026-01-02')).toBe(true);
  });

  it('purges request-log rows older than a time, a batch at a time', async () => {
    const before = await store.countRequestLog();
    expect(await store.dashboard.purgeRequestLog(T0 + 60_000, 2)).toBe(2);
    expect(await store.dashboard.purgeRequestLog(T0 + 60_000, 2)).toBe(2);
    expect(await store.dashboard.purgeRequestLog(T0 + 60_000, 2)).toBe(0);
    expect(await store.countRequestLog()).toBe(before - 4);
  });
}

const DAY = 86_400_000;
