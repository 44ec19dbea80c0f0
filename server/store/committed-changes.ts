import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { guarded } from './store-errors.js';

/**
 * The change counter of accounts, credentials, API keys, routes, SIP sources and inventory, and this process's
 * listeners. Every such change runs through `mutate`, which bumps the counter in the change's own transaction
 * (so other processes see both or neither) and tells the listeners once it has committed.
 */
export class CommittedChanges {
  private readonly listeners = new Set<(version: number) => void>();

  constructor(private readonly db: Kysely<Database>) {}

  /** Runs `work` in one transaction with the counter bump; once it has committed, this process's listeners hear of it. */
  mutate<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.mutateIf(work, () => true);
  }

  /** As `mutate`, for a write that may find nothing to change (revoking a revoked key): no bump, no notice then. */
  async mutateIf<T>(work: (trx: Transaction<Database>) => Promise<T>, changed: (result: T) => boolean): Promise<T> {
    let version: number | undefined;
    const result = await this.db.transaction().execute(async (trx) => {
      const r = await work(trx);
      if (changed(r)) version = await bumpChangeVersion(trx);
      return r;
    });
    if (version !== undefined) this.committed(version);
    return result;
  }

  version(): Promise<number> {
    return guarded(async () => {
      const row = await this.db.selectFrom('meta').select('change_version').where('id', '=', 1).executeTakeFirstOrThrow();
      return Number(row.change_version);
    });
  }

  onCommittedChange(listener: (version: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private committed(version: number): void {
    for (const listener of this.listeners) {
      try {
        listener(version);
      } catch {
        // A listener that fails must not fail a write that has committed; the change watcher's poll retries it.
      }
    }
  }
}

/** Bumps the counter and returns the new value: the version this change is known by. */
async function bumpChangeVersion(trx: Transaction<Database>): Promise<number> {
  const row = await trx
    .updateTable('meta')
    .set((eb) => ({ change_version: eb('change_version', '+', 1) }))
    .where('id', '=', 1)
    .returning('change_version')
    .executeTakeFirstOrThrow();
  return Number(row.change_version);
}
