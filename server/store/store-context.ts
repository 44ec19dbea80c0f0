import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { ShakenError } from '../core/errors.js';
import type { Clock } from '../core/ports.js';
import type { CommittedChanges } from './committed-changes.js';
import type { Database, StoreEngine } from './schema.js';

/** What every aggregate's queries share: one connection, its engine, the clock, and the change counter. */
export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly engine: StoreEngine;
  readonly clock: Clock;
  readonly changes: CommittedChanges;
}

/**
 * Most parameters one statement may bind: SQLite's SQLITE_MAX_VARIABLE_NUMBER (32766 since 3.32; libsql
 * 0.5 ships 3.45, checked), PostgreSQL's 16-bit parameter count in the Bind message.
 */
const MAX_BIND_PARAMS: Record<StoreEngine, number> = { embedded: 32766, postgres: 65535 };

/** How many rows of `columns` columns one multi-row insert may carry on this engine. */
export function rowsPerStatement(engine: StoreEngine, columns: number): number {
  return Math.floor(MAX_BIND_PARAMS[engine] / columns);
}

export function newId(prefix: 'acc' | 'cred' | 'key' | 'route' | 'rcd'): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

export function notFound(what: string, id: string, field: string): ShakenError {
  return new ShakenError('ERR_REQ_NOT_FOUND', `${what} ${id} does not exist`, { field });
}

/** Inside a change's transaction: ERR_REQ_NOT_FOUND (field `accountId`) unless the account exists. */
export async function requireAccount(trx: Transaction<Database>, accountId: string): Promise<void> {
  const found = await trx.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
  if (!found) throw notFound('account', accountId, 'accountId');
}
