import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely } from 'kysely';
import Libsql from 'libsql';
import { ShakenError } from '../core/errors.js';
import { EmbeddedDialect } from './embedded-dialect.js';
import { createKyselyStore } from './kysely-store.js';
import { EMBEDDED_DB_FILE } from './open-store.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';
import { toStoreError } from './store-errors.js';

/** A reader waits this long for a checkpoint or recovery that holds the file, as the node's own connection does. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * A second, read-only connection to the embedded store's file, for work that must not run on the node's event
 * loop. The node has already opened and migrated the file (WAL mode), so a reader sees committed rows without
 * blocking the writer. `query_only` makes any write a SQLITE_READONLY error: this connection never migrates
 * or changes anything.
 */
export function openEmbeddedReader(dataDir: string): Store {
  const file = join(dataDir, EMBEDDED_DB_FILE);
  // libsql would create an empty database in its place; a reader must find the node's file.
  if (!existsSync(file)) throw new ShakenError('ERR_STORE_UNAVAILABLE', 'store unavailable: the embedded database file does not exist');
  let database: Libsql.Database | undefined;
  try {
    database = new Libsql(file);
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    database.pragma('query_only = ON');
  } catch (err) {
    database?.close();
    throw toStoreError(err);
  }
  return createKyselyStore(new Kysely<Database>({ dialect: new EmbeddedDialect({ database }) }), { engine: 'embedded' });
}
