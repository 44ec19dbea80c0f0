import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import Libsql from 'libsql';
import type { Clock } from '../core/ports.js';
import { ReopeningConnection, type EmbeddedHandle } from './embedded-connection.js';
import { EmbeddedDialect } from './embedded-dialect.js';
import { createKyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations/index.js';
import { openPostgresPool } from './postgres-pool.js';
import { preparePrivateDatabase } from './private-files.js';
import type { Database, StoreEngine } from './schema.js';
import type { Store } from './store.js';
import { toStoreError } from './store-errors.js';

export type OpenStoreOptions = (
  | { engine: 'embedded'; dataDir: string }
  | {
      engine: 'postgres';
      url: string;
      poolSize?: number;
      /** Default PG_CONNECT_TIMEOUT_MS. */
      connectTimeoutMs?: number;
      /** Statement and read timeout of every query but the migrations'; default PG_QUERY_TIMEOUT_MS, 0: none. */
      queryTimeoutMs?: number;
    }
) & {
  /** Source of created/retired/revoked times; tests inject one. */
  clock?: Clock;
};

export const EMBEDDED_DB_FILE = 'shakenstack.db';

/**
 * How long a writer waits for another process's write lock before SQLITE_BUSY. Our write transactions are
 * a few milliseconds; seconds of waiting means something is wrong and the caller should hear about it.
 */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** A connect that hangs (blackholed host) fails after this instead of holding the request forever (`store.connectTimeoutMs`). */
export const PG_CONNECT_TIMEOUT_MS = 5000;
/** `store.queryTimeoutMs`: see docs/reliability.md. */
export const PG_QUERY_TIMEOUT_MS = 15_000;

/**
 * Opens the engine, applies pending migrations and returns the store. Connection failures come out as
 * `ERR_STORE_UNAVAILABLE`; a failed migration is thrown as is, after the engine is closed.
 */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.engine === 'embedded') {
    const db = await openEmbedded(opts.dataDir);
    await migrateOrClose(db, 'embedded');
    return createKyselyStore(db, { engine: 'embedded', clock: opts.clock });
  }
  const connectTimeoutMs = opts.connectTimeoutMs ?? PG_CONNECT_TIMEOUT_MS;
  // Migrations on a connection of their own without the query timeout: building an index on a large request
  // log may take minutes, and must not be cancelled half-way at every start.
  const migrations = openPostgres({ url: opts.url, poolSize: 2, connectTimeoutMs, queryTimeoutMs: 0 });
  await migrateOrClose(migrations, 'postgres');
  await migrations.destroy();
  const db = openPostgres({ url: opts.url, poolSize: opts.poolSize ?? 10, connectTimeoutMs, queryTimeoutMs: opts.queryTimeoutMs ?? PG_QUERY_TIMEOUT_MS });
  // One round trip on the service's own pool: it proves its session settings are accepted, and it initialises
  // kysely's driver, without which a later destroy() is a no-op and a closed store would go on answering.
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw toStoreError(err);
  }
  return createKyselyStore(db, { engine: 'postgres', clock: opts.clock });
}

async function migrateOrClose(db: Kysely<Database>, engine: StoreEngine): Promise<void> {
  try {
    await migrate(db, engine);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw toStoreError(err);
  }
}

async function openEmbedded(dataDir: string): Promise<Kysely<Database>> {
  // Folder 0700 and file 0600 before SQLite creates anything, whatever the umask.
  await preparePrivateDatabase(dataDir, join(dataDir, EMBEDDED_DB_FILE));
  const connect = (): EmbeddedHandle => {
    const database = new Libsql(join(dataDir, EMBEDDED_DB_FILE));
    try {
      // busy_timeout first: switching to WAL itself needs a lock another process may hold.
      database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      database.pragma('journal_mode = WAL');
      // WAL + NORMAL stays consistent on power loss and only risks the last commits; FULL would fsync per batch.
      database.pragma('synchronous = NORMAL');
      database.pragma('foreign_keys = ON');
    } catch (err) {
      database.close();
      throw err;
    }
    return database;
  };
  let database: ReopeningConnection;
  try {
    database = new ReopeningConnection(connect);
  } catch (err) {
    throw toStoreError(err);
  }
  return new Kysely<Database>({ dialect: new EmbeddedDialect({ database }) });
}

function openPostgres(o: Parameters<typeof openPostgresPool>[0]): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: openPostgresPool(o) }) });
}

async function migrate(db: Kysely<Database>, engine: StoreEngine): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(engine) });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;
}
