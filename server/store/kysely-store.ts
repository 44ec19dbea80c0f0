import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { systemClock } from '../core/ports.js';
import type { Clock } from '../core/ports.js';
import { accountQueries } from './account-queries.js';
import { apiKeyQueries } from './api-key-queries.js';
import { CommittedChanges } from './committed-changes.js';
import { credentialQueries } from './credential-queries.js';
import { KyselyDashboardStore } from './dashboard-queries.js';
import { inventoryQueries } from './inventory-queries.js';
import { keyBlobQueries } from './key-blob-queries.js';
import { requestLogQueries } from './request-log-queries.js';
import { rcdProfileQueries } from './rcd-profile-queries.js';
import { routingRuleQueries } from './routing-rule-queries.js';
import type { Database, StoreEngine } from './schema.js';
import { sipSourceQueries } from './sip-source-queries.js';
import type { StoreContext } from './store-context.js';
import { guarded } from './store-errors.js';
import type { Store } from './store.js';

export interface KyselyStoreOptions {
  engine: StoreEngine;
  clock?: Clock;
}

/**
 * The one `Store`: the same queries on both engines, given a migrated `Kysely<Database>`. Each aggregate's
 * queries live in a module of their own; they share the connection and the change counter, so every change
 * bumps it in its own transaction and this process's `onCommittedChange` listeners hear of it once committed.
 */
export function createKyselyStore(db: Kysely<Database>, options: KyselyStoreOptions): Store {
  const clock = options.clock ?? systemClock;
  const changes = new CommittedChanges(db);
  const ctx: StoreContext = { db, engine: options.engine, clock, changes };
  return {
    engine: options.engine,
    dashboard: new KyselyDashboardStore(db, clock),
    ...accountQueries(ctx),
    ...credentialQueries(ctx),
    ...apiKeyQueries(ctx),
    ...keyBlobQueries(ctx),
    ...inventoryQueries(ctx),
    ...routingRuleQueries(ctx),
    ...sipSourceQueries(ctx),
    ...rcdProfileQueries(ctx),
    ...requestLogQueries(ctx),
    changeVersion: () => changes.version(),
    onCommittedChange: (listener) => changes.onCommittedChange(listener),
    ping: () =>
      guarded(async () => {
        await sql`select 1`.execute(db);
      }),
    close: () => db.destroy(),
  };
}
