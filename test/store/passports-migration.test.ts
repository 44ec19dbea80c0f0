import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import Libsql from 'libsql';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { RequestLogRecord } from '../../server/core/ports.js';
import { EmbeddedDialect } from '../../server/store/embedded-dialect.js';
import { migrationProvider } from '../../server/store/migrations/index.js';
import { EMBEDDED_DB_FILE, openStore } from '../../server/store/open-store.js';
import { passportCondition } from '../../server/store/passport-filter.js';
import type { Database } from '../../server/store/schema.js';
import type { Store } from '../../server/store/store.js';
import { createTempDatabase } from '../helpers/postgres.js';

interface Engine {
  name: 'embedded' | 'postgres';
  /** Opens the store as the service does: every pending migration runs. */
  open(): Promise<Store>;
  /** The database as a node before issue 14 left it: every migration up to 008 applied, none after. */
  at008(): Promise<Kysely<Database>>;
  cleanup(): Promise<void>;
}

async function migratedTo008(db: Kysely<Database>, engine: Engine['name']): Promise<Kysely<Database>> {
  const { error } = await new Migrator({ db, provider: migrationProvider(engine) }).migrateTo('008-login-attempts');
  if (error !== undefined) throw error;
  return db;
}

async function embedded(): Promise<Engine & { file: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-passports-migration-'));
  const file = join(dataDir, EMBEDDED_DB_FILE);
  return {
    name: 'embedded',
    file,
    open: () => openStore({ engine: 'embedded', dataDir }),
    at008: () => migratedTo008(new Kysely<Database>({ dialect: new EmbeddedDialect({ database: new Libsql(file) }) }), 'embedded'),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function postgres(): Promise<Engine & { url: string }> {
  const db = await createTempDatabase();
  return {
    name: 'postgres',
    url: db.url,
    open: () => openStore({ engine: 'postgres', url: db.url, poolSize: 2 }),
    at008: () => migratedTo008(new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url, max: 2 }) }) }), 'postgres'),
    cleanup: db.drop,
  };
}

const T0 = Date.UTC(2026, 10, 1);

/** A row exactly as the code before 009 inserted it: no passports column exists yet. */
const oldRow = (i: number, accountId: string) => ({
  time: T0 + i,
  account_id: accountId,
  api_key_id: 'key_old',
  transport: 'http' as const,
  orig: '12025550100',
  dest: '12025550101',
  attest_requested: 'A' as const,
  attest_applied: 'A' as const,
  attest_reason: 'requested' as const,
  outcome: 'ok' as const,
  error_code: null,
  latency_us: 100 + i,
  origid: `old-${i}`,
  kind: 'sign' as const,
  journal_key: null,
});

const newRecord = (over: Partial<RequestLogRecord>): RequestLogRecord => ({
  kind: 'sign',
  time: new Date(T0 + 10_000),
  accountId: null,
  apiKeyId: 'key_new',
  transport: 'sip',
  orig: '12025550100',
  dest: '12025550199',
  attestRequested: 'A',
  attestApplied: 'A',
  attestReason: 'requested',
  outcome: 'ok',
  errorCode: null,
  latencyUs: 90,
  origid: randomUUID(),
  passports: 'shaken,div',
  rcdProfile: null,
  rcdVerified: null,
  ...over,
});

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('migration 009: the request log keeps each call’s PASSporT kinds', () => {
  for (const make of [embedded, postgres]) {
    it(`adds the column to a log that has rows: old rows read null, new ones keep their list (${make.name})`, async () => {
      const engine = await make();
      cleanups.push(engine.cleanup);
      const accountId = `acc_${randomUUID().slice(0, 8)}`;
      const before = await engine.at008();
      try {
        await before.insertInto('request_log').values([oldRow(1, accountId), oldRow(2, accountId), oldRow(3, accountId)]).execute();
      } finally {
        await before.destroy();
      }

      const store = await engine.open();
      try {
        const old = await store.queryRequestLog({ accountId, limit: 10 });
        expect(old.map((r) => r.origid)).toEqual(['old-3', 'old-2', 'old-1']);
        expect(old.map((r) => r.passports)).toEqual([null, null, null]);
        expect(old[0]).toMatchObject({ kind: 'sign', apiKeyId: 'key_old', outcome: 'ok', attestApplied: 'A', latencyUs: 103 });

        const forwarded = newRecord({ accountId });
        const verified = newRecord({ accountId, kind: 'verify', passports: 'shaken,div,div', time: new Date(T0 + 20_000) });
        const plain = newRecord({ accountId, passports: 'shaken', time: new Date(T0 + 30_000) });
        const nested = newRecord({ accountId, passports: 'shaken,div-o', time: new Date(T0 + 40_000) });
        await store.appendRequestLog([forwarded, verified, plain, nested]);
        expect(await store.queryRequestLog({ accountId, limit: 10 })).toEqual([nested, plain, verified, forwarded, ...old]);
        // Old rows have no list, so no kind matches them.
        expect(await store.queryRequestLog({ accountId, passport: 'div' })).toEqual([verified, forwarded]);
        expect(await store.queryRequestLog({ accountId, passport: 'forwarded' })).toEqual([nested, verified, forwarded]);
        expect(await store.queryRequestLog({ accountId, passport: 'shaken' })).toEqual([nested, plain, verified, forwarded]);
        // The dashboard's log view reads the same column.
        expect((await store.dashboard.logRows({ accountId, passport: 'forwarded', limit: 10 })).map((r) => r.passports)).toEqual(['shaken,div-o', 'shaken,div,div', 'shaken,div']);
      } finally {
        await store.close();
      }
    });
  }

  it('finds forwarded calls (and div or div-o alone) through the partial indexes, so the filter never walks the whole log (embedded plan)', async () => {
    const engine = await embedded();
    cleanups.push(engine.cleanup);
    await (await engine.open()).close();
    // The condition as the queries build it, compiled on this engine and explained by SQLite itself.
    const db = new Kysely<Database>({ dialect: new EmbeddedDialect({ database: new Libsql(engine.file) }) });
    const raw = new Libsql(engine.file);
    try {
      const plan = (q: { sql: string; parameters: readonly unknown[] }) =>
        (raw.prepare(`explain query plan ${q.sql}`).all(q.parameters as unknown[]) as { detail: string }[]).map((r) => r.detail).join('; ');
      for (const filter of ['forwarded', 'div', 'div-o'] as const) {
        const newest = db.selectFrom('request_log').selectAll().where(passportCondition(filter)).orderBy('id', 'desc').limit(100).compile();
        expect(plan(newest)).toMatch(/USING INDEX request_log_div_idx/);
        const ofAccount = db.selectFrom('request_log').selectAll().where('account_id', '=', 'acc_x').where(passportCondition(filter)).where('id', '>', 5).orderBy('id', 'asc').limit(100).compile();
        expect(plan(ofAccount)).toMatch(/USING INDEX request_log_account_div_idx \(account_id=\? AND id>\?\)/);
      }
    } finally {
      raw.close();
      await db.destroy();
    }
  });

  it('creates the same partial indexes on PostgreSQL', async () => {
    const engine = await postgres();
    cleanups.push(engine.cleanup);
    await (await engine.open()).close();
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: engine.url, max: 1 }) }) });
    try {
      const { rows } = await sql<{ indexname: string; indexdef: string }>`select indexname, indexdef from pg_indexes where tablename = 'request_log' and indexname like '%div%' order by indexname`.execute(db);
      expect(rows.map((r) => r.indexname)).toEqual(['request_log_account_div_idx', 'request_log_div_idx']);
      for (const r of rows) expect(r.indexdef).toMatch(/WHERE \(passports ~~ '%div%'::text\)$/);
    } finally {
      await db.destroy();
    }
  });
});
