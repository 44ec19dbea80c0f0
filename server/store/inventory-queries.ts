import type { Kysely, Transaction } from 'kysely';
import type { InventoryEntry } from '../core/tn-inventory.js';
import type { Database } from './schema.js';
import { requireAccount, rowsPerStatement, type StoreContext } from './store-context.js';
import { guarded, guardedIterable } from './store-errors.js';
import type { Store } from './store.js';

export type InventoryQueries = Pick<Store, 'addInventory' | 'removeInventory' | 'countInventory' | 'streamInventory'>;

export function inventoryQueries({ db, engine, changes }: StoreContext): InventoryQueries {
  const chunkRows = rowsPerStatement(engine, 4);
  return {
    /** `entries` may be a stream of chunks (a CSV import), consumed inside the one transaction. */
    addInventory(accountId, entries, opts = {}) {
      return guarded(() =>
        changes.mutate(async (trx) => {
          await requireAccount(trx, accountId);
          if (opts.replace) await trx.deleteFrom('tn_inventory').where('account_id', '=', accountId).execute();
          if (Symbol.asyncIterator in entries) {
            for await (const chunk of entries) await upsertInventory(trx, accountId, chunk, chunkRows);
          } else {
            await upsertInventory(trx, accountId, entries, chunkRows);
          }
          await bumpInventoryVersion(trx, accountId);
        }),
      );
    },

    removeInventory(accountId, entries) {
      return guarded(() =>
        changes.mutate(async (trx) => {
          await requireAccount(trx, accountId);
          const removed = await deleteInventory(trx, accountId, entries);
          await bumpInventoryVersion(trx, accountId);
          return removed;
        }),
      );
    },

    countInventory(accountId) {
      return guarded(async () => {
        const row = await db
          .selectFrom('tn_inventory')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('account_id', '=', accountId)
          .executeTakeFirstOrThrow();
        return Number(row.n);
      });
    },

    async *streamInventory(accountId, chunkSize = 10_000) {
      yield* guardedIterable(streamInventoryRows(db, accountId, chunkSize));
    },
  };
}

type Row = Database['tn_inventory'];

function toInventoryRow(accountId: string, e: InventoryEntry): Row {
  switch (e.kind) {
    case 'tn':
      return { account_id: accountId, kind: 'tn', value: e.tn, count: 1 };
    case 'range':
      return { account_id: accountId, kind: 'range', value: e.start, count: e.count };
    case 'prefix':
      return { account_id: accountId, kind: 'prefix', value: e.prefix, count: 0 };
  }
}

function toEntry(r: Pick<Row, 'kind' | 'value' | 'count'>): InventoryEntry {
  if (r.kind === 'tn') return { kind: 'tn', tn: r.value };
  if (r.kind === 'prefix') return { kind: 'prefix', prefix: r.value };
  return { kind: 'range', start: r.value, count: Number(r.count) };
}

/** Upserts in multi-row statements of `chunkRows` (the engine's bind-parameter limit / 4 columns). */
async function upsertInventory(trx: Transaction<Database>, accountId: string, entries: readonly InventoryEntry[], chunkRows: number): Promise<void> {
  for (let i = 0; i < entries.length; i += chunkRows) {
    const rows = entries.slice(i, i + chunkRows).map((e) => toInventoryRow(accountId, e));
    await trx
      .insertInto('tn_inventory')
      .values(rows)
      .onConflict((oc) => oc.columns(['account_id', 'kind', 'value']).doUpdateSet((eb) => ({ count: eb.ref('excluded.count') })))
      .execute();
  }
}

async function deleteInventory(trx: Transaction<Database>, accountId: string, entries: readonly InventoryEntry[]): Promise<number> {
  let removed = 0;
  for (const e of entries) {
    const row = toInventoryRow(accountId, e);
    const r = await trx.deleteFrom('tn_inventory').where('account_id', '=', accountId).where('kind', '=', row.kind).where('value', '=', row.value).executeTakeFirst();
    removed += Number(r.numDeletedRows);
  }
  return removed;
}

async function bumpInventoryVersion(trx: Transaction<Database>, accountId: string): Promise<void> {
  await trx
    .updateTable('accounts')
    .set((eb) => ({ inventory_version: eb('inventory_version', '+', 1) }))
    .where('id', '=', accountId)
    .execute();
}

/** Keyset pagination over the primary key, so each chunk is one index range scan, however deep. */
async function* streamInventoryRows(db: Kysely<Database>, accountId: string, chunkSize: number): AsyncIterable<InventoryEntry[]> {
  let after: { kind: Row['kind']; value: string } | undefined;
  for (;;) {
    let q = db.selectFrom('tn_inventory').select(['kind', 'value', 'count']).where('account_id', '=', accountId);
    if (after) {
      const { kind, value } = after;
      // A row-value comparison, which both engines answer from the primary-key index; the equivalent OR form
      // made SQLite rescan the account's rows for every chunk (a million-entry inventory took minutes).
      q = q.where((eb) => eb(eb.refTuple('kind', 'value'), '>', eb.tuple(kind, value)));
    }
    const rows = await q.orderBy('kind').orderBy('value').limit(chunkSize).execute();
    if (rows.length === 0) return;
    yield rows.map(toEntry);
    if (rows.length < chunkSize) return;
    const last = rows[rows.length - 1]!;
    after = { kind: last.kind, value: last.value };
  }
}
