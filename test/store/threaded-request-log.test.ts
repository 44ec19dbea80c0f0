import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RequestLogRecord } from '../../server/core/ports.js';
import { openStore } from '../../server/store/open-store.js';
import { ThreadedRequestLog, type RequestLogOptions } from '../../server/store/threaded-request-log.js';
import { signedRecord } from '../../bench/request-log-seed.js';

const rec = (accountId: string): RequestLogRecord => signedRecord({ accountId, apiKeyId: null, latencyUs: 100 });

describe('request log on its own thread', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'log-thread-'));
    await (await openStore({ engine: 'embedded', dataDir })).close();
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  const count = async (accountId: string) => {
    const store = await openStore({ engine: 'embedded', dataDir });
    try {
      return (await store.queryRequestLog({ accountId, limit: 100_000 })).length;
    } finally {
      await store.close();
    }
  };
  const passportsOf = async (accountId: string) => {
    const store = await openStore({ engine: 'embedded', dataDir });
    try {
      return (await store.queryRequestLog({ accountId, limit: 100_000 })).map((r) => r.passports).sort();
    } finally {
      await store.close();
    }
  };
  const logger = { warn: vi.fn(), error: vi.fn() };
  const options = (o: Partial<RequestLogOptions> = {}): RequestLogOptions => ({
    // RequestLogOptions['store'] omits the clock from a union, which keeps only the common keys: say which member.
    store: { engine: 'embedded', dataDir } as RequestLogOptions['store'],
    dataDir,
    flushIntervalMs: 20,
    maxBatch: 200,
    storeTimeoutMs: 10_000,
    journalMaxBytes: 1 << 30,
    ...o,
  });

  it('stores every record handed over before close and leaves an empty journal', async () => {
    const log = await ThreadedRequestLog.start(options({ flushIntervalMs: 60_000 }), logger);
    const accountId = randomUUID();
    for (let i = 0; i < 2500; i++) log.record(i % 10 === 0 ? { ...rec(accountId), passports: 'shaken,div,div' } : rec(accountId));
    expect(await log.close()).toEqual({ dropped: 0, pendingBytes: 0 });
    expect(await count(accountId)).toBe(2500);
    const kinds = await passportsOf(accountId);
    expect([kinds.filter((p) => p === 'shaken').length, kinds.filter((p) => p === 'shaken,div,div').length]).toEqual([2250, 250]);
    expect(readdirSync(join(dataDir, 'journal'))).toEqual([]);
  });

  it('replaces a thread that dies; what was journaled meanwhile is stored, nothing lost', async () => {
    const log = await ThreadedRequestLog.start(options(), logger);
    const accountId = randomUUID();
    await (log as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    // Recorded while no thread runs: only the journal has them.
    for (let i = 0; i < 10; i++) log.record(rec(accountId));
    await expect.poll(() => logger.error.mock.calls.length).toBeGreaterThan(0);
    await expect.poll(() => count(accountId), { timeout: 10_000 }).toBe(10);
    await log.close();
  });

  it('when the journal is full, keeps signing-side records in memory, counts them, and still stores them', async () => {
    // No report of the thread may reset the journal's count between the first record and the rest: no timed
    // pass (only close() ships), and the report of its start-up pass (measured before any record) lands first.
    const log = await ThreadedRequestLog.start(options({ journalMaxBytes: 1, flushIntervalMs: 60_000 }), logger);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const accountId = randomUUID();
    await log.record(rec(accountId));
    // The first record fills the 1-byte journal; the rest cannot be journaled.
    // Forwarded calls among them: the PASSporT list crosses to the thread with the rest of the record.
    await Promise.all(Array.from({ length: 5 }, (_, i) => log.record({ ...rec(accountId), passports: i % 2 === 0 ? 'shaken,div' : null })));
    expect(log.stats.unjournaled).toBe(5);
    expect(log.stats.journalBytes).toBeGreaterThan(0);
    await log.close();
    expect(await count(accountId)).toBe(6);
    expect(await passportsOf(accountId)).toEqual([null, null, 'shaken', 'shaken,div', 'shaken,div', 'shaken,div']);
    expect(log.stats.dropped).toBe(0);
  });
});
