import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import Libsql from 'libsql';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PLAIN_DIALECT } from '../../server/core/sbc-dialect.js';
import { EmbeddedDialect } from '../../server/store/embedded-dialect.js';
import { migrationProvider } from '../../server/store/migrations/index.js';
import { EMBEDDED_DB_FILE, openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/store.js';
import { createTempDatabase } from '../helpers/postgres.js';

interface Engine {
  name: 'embedded' | 'postgres';
  open(): Promise<Store>;
  /** The database as a node before issue 15 left it: every migration up to 009 applied, none after. */
  at009(): Promise<Kysely<any>>;
  cleanup(): Promise<void>;
}

async function migratedTo009(db: Kysely<any>, engine: Engine['name']): Promise<Kysely<any>> {
  const { error } = await new Migrator({ db, provider: migrationProvider(engine) }).migrateTo('009-request-log-passports');
  if (error !== undefined) throw error;
  return db;
}

async function embedded(): Promise<Engine> {
  const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-dialects-migration-'));
  const file = join(dataDir, EMBEDDED_DB_FILE);
  return {
    name: 'embedded',
    open: () => openStore({ engine: 'embedded', dataDir }),
    at009: () => migratedTo009(new Kysely<any>({ dialect: new EmbeddedDialect({ database: new Libsql(file) }) }), 'embedded'),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function postgres(): Promise<Engine> {
  const db = await createTempDatabase();
  return {
    name: 'postgres',
    open: () => openStore({ engine: 'postgres', url: db.url, poolSize: 2 }),
    at009: () => migratedTo009(new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url, max: 2 }) }) }), 'postgres'),
    cleanup: db.drop,
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('migration 011: SIP sources get an SBC dialect', () => {
  for (const make of [embedded, postgres]) {
    it(`gives the blocks already there the plain dialect, so their answers do not change, and stores new ones (${make.name})`, async () => {
      const engine = await make();
      cleanups.push(engine.cleanup);
      const accountId = `acc_${randomUUID().slice(0, 8)}`;
      const before = await engine.at009();
      try {
        // Rows exactly as the code before 011 wrote them: no dialect columns exist yet.
        await before
          .insertInto('accounts')
          .values({ id: accountId, name: accountId, default_attest: 'A', max_attest: 'A', token_ttl_sec: 60, enabled: 1, policy_mode: 'trust', non_numeric_orig: 'C', inventory_version: 0, created_at: 1 })
          .execute();
        await before.insertInto('sip_sources').values({ account_id: accountId, cidr: '192.0.2.0/24', source_kind: 'gateway', created_at: 1 }).execute();
      } finally {
        await before.destroy();
      }

      const store = await engine.open();
      try {
        expect(await store.listSipSources(accountId)).toEqual([{ accountId, cidr: '192.0.2.0/24', sourceKind: 'gateway', dialect: PLAIN_DIALECT }]);
        const sbc = { identityInContact: true, multipleChoices: false, attestationHeaders: true };
        await store.addSipSource({ accountId, cidr: '198.51.100.7/32', sourceKind: 'customer', dialect: sbc });
        expect((await store.listSipSources(accountId)).map((s) => s.dialect)).toEqual([PLAIN_DIALECT, sbc]);
      } finally {
        await store.close();
      }
    });
  }
});
