import { randomUUID } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { blankLogRecord } from '../../server/core/request-log-record.js';
import type { RequestLogRecord } from '../../server/core/ports.js';
import { passportCondition } from '../../server/store/passport-filter.js';
import { MIGRATION_ENGINES, embeddedEngine } from './migration-engines.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

const T0 = Date.UTC(2026, 11, 1);

const record = (over: Partial<RequestLogRecord>): RequestLogRecord => ({
  ...blankLogRecord('sign', 'http', new Date(T0 + 10_000)),
  outcome: 'ok',
  orig: '12025550100',
  dest: '12025550101',
  attestRequested: 'A',
  attestApplied: 'A',
  attestReason: 'requested',
  latencyUs: 90,
  origid: randomUUID(),
  passports: 'shaken',
  ...over,
});

describe('migration 013: the request log keeps a branded call’s RCD profile and RCD result', () => {
  for (const make of MIGRATION_ENGINES) {
    it(`old rows read null and are not branded; new rows keep profile and result, filtered and counted (${make.name})`, async () => {
      const engine = await make();
      cleanups.push(engine.cleanup);
      const accountId = `acc_${randomUUID().slice(0, 8)}`;
      // The database as a node before issue 16's insight left it: every migration up to 012 applied, none after.
      const before = await engine.migratedTo('012-rcd-profiles');
      try {
        // A row exactly as the code before 013 wrote it, for a call signed with a separate rcd PASSporT.
        await before
          .insertInto('request_log')
          .values({ time: T0, account_id: accountId, api_key_id: null, transport: 'http', orig: '12025550100', dest: '12025550101', attest_requested: 'A', attest_applied: 'A', attest_reason: 'requested', outcome: 'ok', error_code: null, latency_us: 80, origid: 'old-1', kind: 'sign', journal_key: null, passports: 'shaken,rcd' })
          .execute();
      } finally {
        await before.destroy();
      }

      const store = await engine.open();
      try {
        const [old] = await store.queryRequestLog({ accountId, limit: 10 });
        expect(old).toMatchObject({ origid: 'old-1', passports: 'shaken,rcd', rcdProfile: null, rcdVerified: null });
        const signed = record({ accountId, rcdProfile: 'rcd_a' });
        const verifiedOk = record({ accountId, kind: 'verify', time: new Date(T0 + 20_000), rcdVerified: true });
        const verifiedBad = record({ accountId, kind: 'verify', time: new Date(T0 + 30_000), outcome: 'error', errorCode: 'VERIFY_438_rcd_integrity', attestApplied: null, rcdVerified: false });
        const plain = record({ accountId, time: new Date(T0 + 40_000) });
        await store.appendRequestLog([signed, verifiedOk, verifiedBad, plain]);
        expect(await store.queryRequestLog({ accountId, limit: 10 })).toEqual([plain, verifiedBad, verifiedOk, signed, old]);
        expect(await store.queryRequestLog({ accountId, passport: 'branded' })).toEqual([verifiedBad, verifiedOk, signed]);
        expect((await store.dashboard.logRows({ accountId, passport: 'branded', limit: 10 })).map((r) => r.origid)).toEqual([verifiedBad, verifiedOk, signed].map((r) => r.origid));
        // Reports: signatures by profile, verifications by result (a failed RCD fails the call, and still counts).
        expect(await store.dashboard.brandedByAccount({ since: T0, until: T0 + 60_000, accountId })).toEqual([
          { accountId, kind: 'sign', profile: 'rcd_a', verified: null, count: 1 },
          { accountId, kind: 'verify', profile: null, verified: false, count: 1 },
          { accountId, kind: 'verify', profile: null, verified: true, count: 1 },
        ]);
        expect((await store.dashboard.statsBuckets({ since: T0, until: T0 + 60_000, accountId }, 60_000)).map((b) => [b.count, b.branded])).toEqual([[5, 3]]);
      } finally {
        await store.close();
      }
    });
  }
});

describe('migration 013: branded calls through partial indexes', () => {
  it('finds branded calls through the partial indexes, so the filter never walks the whole log (embedded plan)', async () => {
    const engine = await embeddedEngine();
    cleanups.push(engine.cleanup);
    await (await engine.open()).close();
    // Every migration has run: this only opens the database, and SQLite explains the condition as the queries build it.
    const db = await engine.migratedTo('013-request-log-rcd');
    try {
      const explain = async (q: { sql: string; parameters: readonly unknown[] }) =>
        (await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]))).rows.map((r) => r.detail).join('; ');
      const newest = db.selectFrom('request_log').selectAll().where(passportCondition('branded')).orderBy('id', 'desc').limit(100).compile();
      expect(await explain(newest)).toMatch(/USING INDEX request_log_rcd_idx/);
      const ofAccount = db.selectFrom('request_log').selectAll().where('account_id', '=', 'acc_x').where(passportCondition('branded')).where('id', '>', 5).orderBy('id', 'asc').limit(100).compile();
      expect(await explain(ofAccount)).toMatch(/USING INDEX request_log_account_rcd_idx \(account_id=\? AND id>\?\)/);
    } finally {
      await db.destroy();
    }
  });
});
