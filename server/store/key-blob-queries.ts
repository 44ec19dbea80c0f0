import { blobParam, toKeyBlob } from './row-mapping.js';
import type { StoreContext } from './store-context.js';
import { guarded } from './store-errors.js';
import type { Store } from './store.js';

export type KeyBlobQueries = Pick<Store, 'putKeyBlob' | 'getKeyBlob' | 'listKeyBlobs'>;

/** The software key store's encrypted blobs: not a change other processes' caches hear of (no change counter). */
export function keyBlobQueries({ db, clock }: StoreContext): KeyBlobQueries {
  return {
    /** Inserts or replaces: re-wrapping a key under a new master key rewrites its blob and keeps `createdAt`. */
    putKeyBlob(ref, blob) {
      return guarded(async () => {
        await db
          .insertInto('key_blobs')
          .values({ ref, blob: blobParam(blob), created_at: clock.now() })
          .onConflict((oc) => oc.column('ref').doUpdateSet((eb) => ({ blob: eb.ref('excluded.blob') })))
          .execute();
      });
    },

    getKeyBlob(ref) {
      return guarded(async () => {
        const row = await db.selectFrom('key_blobs').selectAll().where('ref', '=', ref).executeTakeFirst();
        return row && toKeyBlob(row);
      });
    },

    listKeyBlobs() {
      return guarded(async () => {
        const rows = await db.selectFrom('key_blobs').selectAll().orderBy('ref').execute();
        return rows.map(toKeyBlob);
      });
    },
  };
}
