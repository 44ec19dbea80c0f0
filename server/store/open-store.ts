import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import Libsql from 'libsql';
import pg from 'pg';
import type { CustomTypesConfig } from 'pg';
import type { Clock } from '../core/ports.js';
import { EmbeddedDialect } from './embedded-dialect.js';
import { KyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations/index.js';
import { preparePrivateDatabase } from './private-files.js';
import type { Database, StoreEngine } from './schema.js';
import type { Store } from './store.js';
import { toStoreError } from './store-errors.js';

export type OpenStoreOptions = (
  | { engine: 'embedded'; dataDir: string }
  | { engine: 'postgres'; url: string; poolSize?: number }
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

/** A connect that hangs (blackholed host) fails after this instead of holding the request forever. */
const PG_CONNECT_TIMEOUT_MS = 5000;

/**
 * Opens the engine, applies pending migrations and returns the store. Connection failures come out as
 * `ERR_STORE_UNAVAILABLE`; a failed migration is thrown as is, after the engine is closed.
 */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const db = opts.engine === 'embedded' ? await openEmbedded(opts.dataDir) : openPostgres(opts.url, opts.poolSize);
  try {
    await migrate(db, opts.engine);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw toStoreError(err);
  }
  return new KyselyStore(db, { engine: opts.engine, clock: opts.clock });
}

async function openEmbedded(dataDir: string): Promise<Kysely<Database>> {
  // Folder 0700 and file 0600 before SQLite creates anything, whatever the umask.
  await preparePrivateDatabase(dataDir, join(dataDir, EMBEDDED_DB_FILE));
  let database: Libsql.Database | undefined;
  try {
    database = new Libsql(join(dataDir, EMBEDDED_DB_FILE));
    // busy_timeout first: switching to WAL itself needs a lock another process may hold.
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    database.pragma('journal_mode = WAL');
    // WAL + NORMAL stays consistent on power loss and only risks the last commits; FULL would fsync per batch.
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
  } catch (err) {
    database?.close();
    throw toStoreError(err);
  }
  return new Kysely<Database>({ dialect: new EmbeddedDialect({ database }) });
}

/** int8 as a JS number for this pool's clients only; pg's global parsers stay untouched. */
const int8AsNumber: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

function openPostgres(url: string, poolSize = 10): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    types: int8AsNumber,
  });
  // An idle client losing its connection (server restart) emits here; unhandled, that would kill the
  // process. The pool drops the client and the next query reports the outage through the store.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

async function migrate(db: Kysely<Database>, engine: StoreEngine): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(engine) });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;
}
