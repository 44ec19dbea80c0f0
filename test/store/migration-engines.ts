import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import Libsql from 'libsql';
import pg from 'pg';
import { EmbeddedDialect } from '../../server/store/embedded-dialect.js';
import { migrationProvider } from '../../server/store/migrations/index.js';
import { EMBEDDED_DB_FILE, openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/store.js';
import { createTempDatabase } from '../helpers/postgres.js';

/** A fresh database of one engine, for testing a migration against rows an older node wrote. */
export interface MigrationEngine {
  name: 'embedded' | 'postgres';
  /** The database with every migration up to and including `last` applied, none after: an older node's. */
  migratedTo(last: string): Promise<Kysely<any>>;
  /** The store as the current code opens it: the remaining migrations run. */
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

async function migrated(db: Kysely<any>, engine: MigrationEngine['name'], last: string): Promise<Kysely<any>> {
  const { error } = await new Migrator({ db, provider: migrationProvider(engine) }).migrateTo(last);
  if (error !== undefined) throw error;
  return db;
}

export async function embeddedEngine(): Promise<MigrationEngine> {
  const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-migration-'));
  const file = join(dataDir, EMBEDDED_DB_FILE);
  return {
    name: 'embedded',
    migratedTo: (last) => migrated(new Kysely<any>({ dialect: new EmbeddedDialect({ database: new Libsql(file) }) }), 'embedded', last),
    open: () => openStore({ engine: 'embedded', dataDir }),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

export async function postgresEngine(): Promise<MigrationEngine> {
  const db = await createTempDatabase();
  return {
    name: 'postgres',
    migratedTo: (last) => migrated(new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url, max: 2 }) }) }), 'postgres', last),
    open: () => openStore({ engine: 'postgres', url: db.url, poolSize: 2 }),
    cleanup: db.drop,
  };
}

/** Both engines, as makers: a migration test runs once per engine. */
export const MIGRATION_ENGINES = [embeddedEngine, postgresEngine];
