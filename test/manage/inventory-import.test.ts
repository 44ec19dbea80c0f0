import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInventoryCsv, importInventory } from '../../server/manage/inventory.js';
import { openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/store.js';

const lines = (n: number, last?: string) => [...Array.from({ length: n }, (_, i) => `tn,${12000000000 + i}`), ...(last ? [last] : [])];

describe('inventory CSV import', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inv-import-'));
    store = await openStore({ engine: 'embedded', dataDir: dir });
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('imports tens of thousands of rows over several chunks in one go', async () => {
    const a = await store.createAccount({ name: 'bulk', defaultAttest: 'A', maxAttest: 'A', tokenTtlSec: 60, policyMode: 'enforce', nonNumericOrig: 'B' });
    expect(await importInventory(store, a.id, () => lines(25_000))).toEqual({ imported: 25_000, errors: [], errorCount: 0 });
    expect(await store.countInventory(a.id)).toBe(25_000);
  });

  it('rolls back every chunk already written when a later one fails', async () => {
    const a = await store.createAccount({ name: 'atomic', defaultAttest: 'A', maxAttest: 'A', tokenTtlSec: 60, policyMode: 'enforce', nonNumericOrig: 'B' });
    await store.addInventory(a.id, [{ kind: 'tn', tn: '1' }]);
    let opened = 0;
    // The file changes between the check and the write: the write pass meets a bad row after two chunks.
    const open = () => (++opened === 1 ? lines(25_000) : lines(25_000, 'tn,bad'));
    await expect(importInventory(store, a.id, open, { replace: true })).rejects.toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', reason: 'line 25001: telephone number may contain only digits, *, # and one leading +' });
    expect(await store.countInventory(a.id)).toBe(1);
  });

  it('counts all bad rows but lists only the first hundred', async () => {
    const bad = Array.from({ length: 150 }, () => 'tn,x');
    const r = await checkInventoryCsv(['kind,value,count', ...bad]);
    expect(r).toMatchObject({ rows: 150, errorCount: 150 });
    expect(r.errors).toHaveLength(100);
    expect(r.errors[0]).toEqual({ line: 2, reason: 'telephone number may contain only digits, *, # and one leading +' });
  });
});
