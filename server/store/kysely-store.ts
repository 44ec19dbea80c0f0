import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import { ShakenError } from '../core/errors.js';
import { systemClock } from '../core/ports.js';
import type { AccountRecord, ApiKeyRecord, Clock, CredentialRecord, RequestLogRecord } from '../core/ports.js';
import type { InventoryEntry } from '../core/tn-inventory.js';
import type { RoutingRule } from '../core/routing.js';
import { admitSipSource, type SipSource } from '../core/sip-sources.js';
import { KyselyDashboardStore } from './dashboard-queries.js';
import type { DashboardStore } from './dashboard-store.js';
import { bumpInventoryVersion, deleteInventory, streamInventoryRows, upsertInventory } from './inventory-queries.js';
import type {
  AccountPatch,
  KeyBlob,
  NewAccount,
  NewApiKey,
  NewCredential,
  RequestLogQuery,
  Store,
  StoredRequestLogRecord,
} from './store.js';
import type { Database, StoreEngine } from './schema.js';
import { guarded, guardedIterable, isUniqueViolation } from './store-errors.js';
import {
  REQUEST_LOG_COLUMNS,
  blobParam,
  toAccount,
  toApiKey,
  toCredential,
  toKeyBlob,
  toRequestLogRecord,
  toRequestLogRow,
} from './row-mapping.js';

/**
 * Most parameters one statement may bind: SQLite's SQLITE_MAX_VARIABLE_NUMBER (32766 since 3.32; libsql
 * 0.5 ships 3.45, checked), PostgreSQL's 16-bit parameter count in the Bind message.
 */
const MAX_BIND_PARAMS: Record<StoreEngine, number> = { embedded: 32766, postgres: 65535 };

const DEFAULT_LOG_LIMIT = 100;

function newId(prefix: 'acc' | 'cred' | 'key' | 'route'): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

function notFound(what: string, id: string, field: string): ShakenError {
  return new ShakenError('ERR_REQ_NOT_FOUND', `${what} ${id} does not exist`, { field });
}

export interface KyselyStoreOptions {
  engine: StoreEngine;
  clock?: Clock;
}

/** The one `Store`: the same queries on both engines, given a migrated `Kysely<Database>`. */
export class KyselyStore implements Store {
  readonly engine: StoreEngine;
  readonly dashboard: DashboardStore;
  private readonly clock: Clock;
  private readonly logChunkRows: number;
  private readonly inventoryChunkRows: number;
  private readonly committedChangeListeners = new Set<() => void>();

  constructor(
    private readonly db: Kysely<Database>,
    options: KyselyStoreOptions,
  ) {
    this.engine = options.engine;
    this.clock = options.clock ?? systemClock;
    this.dashboard = new KyselyDashboardStore(db, this.clock);
    this.logChunkRows = Math.floor(MAX_BIND_PARAMS[options.engine] / REQUEST_LOG_COLUMNS);
    this.inventoryChunkRows = Math.floor(MAX_BIND_PARAMS[options.engine] / 4);
  }

  createAccount(a: NewAccount): Promise<AccountRecord> {
    const row = {
      id: newId('acc'),
      name: a.name,
      default_attest: a.defaultAttest,
      max_attest: a.maxAttest,
      token_ttl_sec: a.tokenTtlSec,
      enabled: 1 as const,
      policy_mode: a.policyMode,
      non_numeric_orig: a.nonNumericOrig,
      inventory_version: 0,
      created_at: this.clock.now(),
    };
    return guarded(async () => {
      try {
        await this.mutate(async (trx) => {
          await trx.insertInto('accounts').values(row).execute();
        });
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new ShakenError('ERR_REQ_CONFLICT', `account ${a.name} already exists`, { field: 'name' });
        }
        throw err;
      }
      return toAccount(row);
    });
  }

  updateAccount(id: string, patch: AccountPatch): Promise<AccountRecord> {
    const set = {
      ...(patch.defaultAttest !== undefined && { default_attest: patch.defaultAttest }),
      ...(patch.maxAttest !== undefined && { max_attest: patch.maxAttest }),
      ...(patch.tokenTtlSec !== undefined && { token_ttl_sec: patch.tokenTtlSec }),
      ...(patch.enabled !== undefined && { enabled: patch.enabled ? (1 as const) : (0 as const) }),
      ...(patch.policyMode !== undefined && { policy_mode: patch.policyMode }),
      ...(patch.nonNumericOrig !== undefined && { non_numeric_orig: patch.nonNumericOrig }),
    };
    return guarded(async () => {
      if (Object.keys(set).length === 0) {
        const current = await this.getAccount(id);
        if (!current) throw notFound('account', id, 'id');
        return current;
      }
      const row = await this.mutate(async (trx) => {
        const updated = await trx.updateTable('accounts').set(set).where('id', '=', id).returningAll().executeTakeFirst();
        // Thrown inside the transaction so that the change counter is not bumped for nothing.
        if (!updated) throw notFound('account', id, 'id');
        return updated;
      });
      return toAccount(row);
    });
  }

  getAccount(id: string): Promise<AccountRecord | undefined> {
    return guarded(async () => {
      const row = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toAccount(row);
    });
  }

  listAccounts(): Promise<AccountRecord[]> {
    return guarded(async () => {
      const rows = await this.db.selectFrom('accounts').selectAll().orderBy('name').execute();
      return rows.map(toAccount);
    });
  }

  findAccountByName(name: string): Promise<AccountRecord | undefined> {
    return guarded(async () => {
      const row = await this.db.selectFrom('accounts').selectAll().where('name', '=', name).executeTakeFirst();
      return row && toAccount(row);
    });
  }

  addCredential(c: NewCredential): Promise<CredentialRecord> {
    return guarded(async () => {
      const now = this.clock.now();
      const row = {
        id: newId('cred'),
        account_id: c.accountId,
        key_ref: c.keyRef,
        chain_pem: c.chainPem,
        x5u: c.x5u,
        state: 'active' as const,
        created_at: now,
        retired_at: null,
      };
      await this.mutate(async (trx) => {
        await this.requireAccount(trx, c.accountId);
        // Retire first: the partial unique index allows one active credential per account at any instant.
        await trx
          .updateTable('credentials')
          .set({ state: 'retired', retired_at: now })
          .where('account_id', '=', c.accountId)
          .where('state', '=', 'active')
          .execute();
        await trx.insertInto('credentials').values(row).execute();
      });
      return toCredential(row);
    });
  }

  getCredential(id: string): Promise<CredentialRecord | undefined> {
    return guarded(async () => {
      const row = await this.db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toCredential(row);
    });
  }

  getActiveCredential(accountId: string): Promise<CredentialRecord | undefined> {
    return guarded(async () => {
      const row = await this.db
        .selectFrom('credentials')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('state', '=', 'active')
        .executeTakeFirst();
      return row && toCredential(row);
    });
  }

  listCredentials(accountId?: string): Promise<CredentialRecord[]> {
    return guarded(async () => {
      let q = this.db.selectFrom('credentials').selectAll();
      if (accountId !== undefined) q = q.where('account_id', '=', accountId);
      const rows = await q.orderBy('created_at').orderBy('id').execute();
      return rows.map(toCredential);
    });
  }

  createApiKey(k: NewApiKey): Promise<ApiKeyRecord> {
    return guarded(async () => {
      const row = {
        id: newId('key'),
        account_id: k.accountId,
        name: k.name,
        secret_hash: k.secretHash,
        source_kind: k.sourceKind,
        created_at: this.clock.now(),
        revoked_at: null,
      };
      await this.mutate(async (trx) => {
        await this.requireAccount(trx, k.accountId);
        await trx.insertInto('api_keys').values(row).execute();
      });
      return toApiKey(row);
    });
  }

  /** Revoking a revoked key returns it unchanged (first revocation time kept, no change recorded). */
  revokeApiKey(id: string): Promise<ApiKeyRecord> {
    return guarded(async () => {
      const revoked = await this.db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('api_keys')
          .set({ revoked_at: this.clock.now() })
          .where('id', '=', id)
          .where('revoked_at', 'is', null)
          .returningAll()
          .executeTakeFirst();
        if (row) await bumpChangeVersion(trx);
        return row;
      });
      if (revoked) {
        this.changeCommitted();
        return toApiKey(revoked);
      }
      const existing = await this.getApiKey(id);
      if (!existing) throw notFound('api key', id, 'id');
      return existing;
    });
  }

  getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    return guarded(async () => {
      const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toApiKey(row);
    });
  }

  listApiKeys(accountId?: string): Promise<ApiKeyRecord[]> {
    return guarded(async () => {
      let q = this.db.selectFrom('api_keys').selectAll();
      if (accountId !== undefined) q = q.where('account_id', '=', accountId);
      const rows = await q.orderBy('created_at').orderBy('id').execute();
      return rows.map(toApiKey);
    });
  }

  /** `entries` may be a stream of chunks (a CSV import), consumed inside the one transaction. */
  addInventory(accountId: string, entries: readonly InventoryEntry[] | AsyncIterable<readonly InventoryEntry[]>, opts: { replace?: boolean } = {}): Promise<void> {
    return guarded(() =>
      this.mutate(async (trx) => {
        await this.requireAccount(trx, accountId);
        if (opts.replace) await trx.deleteFrom('tn_inventory').where('account_id', '=', accountId).execute();
        if (Symbol.asyncIterator in entries) {
          for await (const chunk of entries) await upsertInventory(trx, accountId, chunk, this.inventoryChunkRows);
        } else {
          await upsertInventory(trx, accountId, entries, this.inventoryChunkRows);
        }
        await bumpInventoryVersion(trx, accountId);
      }),
    );
  }

  removeInventory(accountId: string, entries: readonly InventoryEntry[]): Promise<number> {
    return guarded(() =>
      this.mutate(async (trx) => {
        await this.requireAccount(trx, accountId);
        const removed = await deleteInventory(trx, accountId, entries);
        await bumpInventoryVersion(trx, accountId);
        return removed;
      }),
    );
  }

  countInventory(accountId: string): Promise<number> {
    return guarded(async () => {
      const row = await this.db
        .selectFrom('tn_inventory')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  addRoutingRule(rule: Omit<RoutingRule, 'id'>): Promise<RoutingRule> {
    return guarded(async () => {
      const row = { id: newId('route'), account_id: rule.accountId, prefix: rule.prefix, target: rule.target, priority: rule.priority, created_at: this.clock.now() };
      await this.mutate(async (trx) => {
        await this.requireAccount(trx, rule.accountId);
        await trx.insertInto('routing_rules').values(row).execute();
      });
      return { id: row.id, ...rule };
    });
  }

  removeRoutingRule(id: string): Promise<RoutingRule> {
    return guarded(() =>
      this.mutate(async (trx) => {
        const row = await trx.deleteFrom('routing_rules').where('id', '=', id).returningAll().executeTakeFirst();
        if (!row) throw notFound('routing rule', id, 'id');
        return { id: row.id, accountId: row.account_id, prefix: row.prefix, target: row.target, priority: Number(row.priority) };
      }),
    );
  }

  listRoutingRules(accountId: string): Promise<RoutingRule[]> {
    return guarded(async () => {
      const rows = await this.db.selectFrom('routing_rules').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
      return rows.map((r) => ({ id: r.id, accountId: r.account_id, prefix: r.prefix, target: r.target, priority: Number(r.priority) }));
    });
  }

  addSipSource(source: SipSource, options: { allowOverlap?: boolean } = {}): Promise<{ source: SipSource; overlaps: SipSource[] }> {
    return guarded(async () => {
      try {
        return await this.mutate(async (trx) => {
          await this.requireAccount(trx, source.accountId);
          // Check and insert as one step: two racing adds must not both pass the overlap check. SQLite's
          // `begin immediate` already serialises writers; PostgreSQL needs a lock that conflicts with itself
          // (and not with readers).
          if (this.engine === 'postgres') await sql`lock table sip_sources in share row exclusive mode`.execute(trx);
          const rows = await trx.selectFrom('sip_sources').select(['account_id', 'cidr', 'source_kind']).execute();
          const overlaps = admitSipSource(source, rows.map((r) => ({ accountId: r.account_id, cidr: r.cidr, sourceKind: r.source_kind })), options);
          await trx.insertInto('sip_sources').values({ account_id: source.accountId, cidr: source.cidr, source_kind: source.sourceKind, created_at: this.clock.now() }).execute();
          return { source, overlaps };
        });
      } catch (err) {
        // Only a writer that skipped the check above gets here; say no more than the check would.
        if (isUniqueViolation(err)) throw new ShakenError('ERR_REQ_CONFLICT', `${source.cidr} overlaps a SIP source block this account does not hold`, { field: 'cidr' });
        throw err;
      }
    });
  }

  removeSipSource(cidr: string): Promise<SipSource> {
    return guarded(() =>
      this.mutate(async (trx) => {
        const row = await trx.deleteFrom('sip_sources').where('cidr', '=', cidr).returningAll().executeTakeFirst();
        if (!row) throw notFound('SIP source', cidr, 'cidr');
        return { accountId: row.account_id, cidr: row.cidr, sourceKind: row.source_kind };
      }),
    );
  }

  listSipSources(accountId?: string): Promise<SipSource[]> {
    return guarded(async () => {
      let q = this.db.selectFrom('sip_sources').selectAll().orderBy('created_at').orderBy('cidr');
      if (accountId !== undefined) q = q.where('account_id', '=', accountId);
      return (await q.execute()).map((r) => ({ accountId: r.account_id, cidr: r.cidr, sourceKind: r.source_kind }));
    });
  }

  async *streamInventory(accountId: string, chunkSize = 10_000): AsyncIterable<InventoryEntry[]> {
    yield* guardedIterable(streamInventoryRows(this.db, accountId, chunkSize));
  }

  /** Inserts or replaces: re-wrapping a key under a new master key rewrites its blob and keeps `createdAt`. */
  putKeyBlob(ref: string, blob: Uint8Array): Promise<void> {
    return guarded(async () => {
      await this.db
        .insertInto('key_blobs')
        .values({ ref, blob: blobParam(blob), created_at: this.clock.now() })
        .onConflict((oc) => oc.column('ref').doUpdateSet((eb) => ({ blob: eb.ref('excluded.blob') })))
        .execute();
    });
  }

  getKeyBlob(ref: string): Promise<KeyBlob | undefined> {
    return guarded(async () => {
      const row = await this.db.selectFrom('key_blobs').selectAll().where('ref', '=', ref).executeTakeFirst();
      return row && toKeyBlob(row);
    });
  }

  listKeyBlobs(): Promise<KeyBlob[]> {
    return guarded(async () => {
      const rows = await this.db.selectFrom('key_blobs').selectAll().orderBy('ref').execute();
      return rows.map(toKeyBlob);
    });
  }

  appendRequestLog(records: readonly StoredRequestLogRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return guarded(async () => {
      const rows = records.map(toRequestLogRow);
      await this.db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += this.logChunkRows) {
          await trx
            .insertInto('request_log')
            .values(rows.slice(i, i + this.logChunkRows))
            // A journal replay meets the rows its first shipping stored; null keys never conflict.
            .onConflict((oc) => oc.column('journal_key').doNothing())
            .execute();
        }
      });
    });
  }

  /** `since` is inclusive, `until` exclusive; newest first; `limit` defaults to 100. */
  queryRequestLog(q: RequestLogQuery): Promise<RequestLogRecord[]> {
    return guarded(async () => {
      let query = this.db.selectFrom('request_log').selectAll();
      if (q.accountId !== undefined) query = query.where('account_id', '=', q.accountId);
      if (q.transport !== undefined) query = query.where('transport', '=', q.transport);
      if (q.outcome !== undefined) query = query.where('outcome', '=', q.outcome);
      if (q.since !== undefined) query = query.where('time', '>=', q.since.getTime());
      if (q.until !== undefined) query = query.where('time', '<', q.until.getTime());
      const limit = Math.max(0, Math.floor(q.limit ?? DEFAULT_LOG_LIMIT));
      const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toRequestLogRecord);
    });
  }

  countRequestLog(): Promise<number> {
    return guarded(async () => {
      const row = await this.db
        .selectFrom('request_log')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  changeVersion(): Promise<number> {
    return guarded(async () => {
      const row = await this.db
        .selectFrom('meta')
        .select('change_version')
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      return Number(row.change_version);
    });
  }

  ping(): Promise<void> {
    return guarded(async () => {
      await sql`select 1`.execute(this.db);
    });
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  onCommittedChange(listener: () => void): () => void {
    this.committedChangeListeners.add(listener);
    return () => this.committedChangeListeners.delete(listener);
  }

  /**
   * Runs a change to accounts, credentials, API keys, routes, SIP sources or inventory and bumps the change
   * counter in the same transaction; once it has committed, this process's listeners hear of it.
   */
  private async mutate<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const result = await this.db.transaction().execute(async (trx) => {
      const r = await work(trx);
      await bumpChangeVersion(trx);
      return r;
    });
    this.changeCommitted();
    return result;
  }

  private changeCommitted(): void {
    for (const listener of this.committedChangeListeners) {
      try {
        listener();
      } catch {
        // A listener that fails must not fail a write that has committed; the change watcher's poll retries it.
      }
    }
  }

  private async requireAccount(trx: Transaction<Database>, accountId: string): Promise<void> {
    const found = await trx.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
    if (!found) throw notFound('account', accountId, 'accountId');
  }
}

async function bumpChangeVersion(trx: Transaction<Database>): Promise<void> {
  await trx
    .updateTable('meta')
    .set((eb) => ({ change_version: eb('change_version', '+', 1) }))
    .where('id', '=', 1)
    .execute();
}
