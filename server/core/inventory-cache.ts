import { setImmediate as nextTick } from 'node:timers/promises';
import type { AccountRecord, Directory } from './ports.js';
import { TnInventory } from './tn-inventory.js';

/**
 * Rows per store round trip while loading. The embedded engine reads synchronously, so a chunk is an
 * event-loop stall: measured on a million entries, 10,000-row chunks stalled up to 100 ms, 1,000-row
 * chunks 18 ms (the final sort), and the whole load took about 3 s either way.
 */
const LOAD_CHUNK = 1000;

interface Slot {
  version: number;
  current: TnInventory | undefined;
  loading: Promise<TnInventory> | undefined;
  loadingVersion: number;
}

/**
 * Each account's inventory, rebuilt only when its `inventoryVersion` moves. A rebuild happens in the
 * background while calls keep using the previous inventory, and the stream is consumed chunk by chunk with a
 * yield in between, so loading a million entries never stalls requests. Only the first load is awaited.
 */
export class InventoryCache {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly directory: Pick<Directory, 'streamInventory'>) {}

  private async load(accountId: string): Promise<TnInventory> {
    const builder = TnInventory.builder();
    for await (const chunk of this.directory.streamInventory(accountId, LOAD_CHUNK)) {
      for (const e of chunk) builder.add(e);
      await nextTick();
    }
    return builder.build();
  }

  private startLoad(slot: Slot, account: AccountRecord): Promise<TnInventory> {
    const version = account.inventoryVersion;
    const loading = this.load(account.id).then(
      (inventory) => {
        if (slot.loadingVersion === version) {
          slot.current = inventory;
          slot.version = version;
          slot.loading = undefined;
        }
        return inventory;
      },
      (err: unknown) => {
        if (slot.loadingVersion === version) slot.loading = undefined;
        throw err;
      },
    );
    slot.loading = loading;
    slot.loadingVersion = version;
    return loading;
  }

  /** The inventory to judge a call by: the current one, or (first time only) the one being loaded. */
  get(account: AccountRecord): TnInventory | Promise<TnInventory> {
    let slot = this.slots.get(account.id);
    if (!slot) {
      slot = { version: -1, current: undefined, loading: undefined, loadingVersion: -1 };
      this.slots.set(account.id, slot);
    }
    if (slot.current && slot.version === account.inventoryVersion) return slot.current;
    const pending = slot.loading && slot.loadingVersion === account.inventoryVersion ? slot.loading : this.startLoad(slot, account);
    if (slot.current) {
      // A newer inventory is on its way; until it lands, the previous one answers. Its failure is retried on a later call.
      pending.catch(() => undefined);
      return slot.current;
    }
    return pending;
  }
}
