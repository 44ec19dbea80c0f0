import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
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
    // The journal must stay full from the first record to the rest, so no pass may ship that record in between:
    // no timed pass (only close() ships), and the start-up pass is over before the first record.
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

  it('counts what was journaled after the thread measured the journal, when its report arrives after the write', async () => {
    // Its own journal folder (the store is shared), so the segment files hold this log's records only.
    const ownDir = await mkdtemp(join(tmpdir(), 'log-thread-journal-'));
    try {
      const log = await ThreadedRequestLog.start(options({ dataDir: ownDir, journalMaxBytes: 1, flushIntervalMs: 60_000 }), logger);
      const internals = log as unknown as { worker: Worker; journal: { flush(): void } };
      const accountId = randomUUID();
      await log.record(rec(accountId));
      const journaled = readdirSync(join(ownDir, 'journal')).reduce((n, f) => n + statSync(join(ownDir, 'journal', f)).size, 0);
      expect(journaled).toBeGreaterThan(0);
      // The race made deterministic: a report the thread measured before that record (an empty journal, nothing
      // written yet) arrives only now. Until `next` is awaited all runs in this turn: no real report lands between.
      internals.worker.emit('message', { type: 'progress', pendingBytes: 0, writtenAtMeasure: 0, dropped: 0 });
      expect(log.stats.journalBytes).toBe(journaled);
      // So the 1-byte journal is still full: the next record is kept in memory, not journaled.
      const next = log.record(rec(accountId));
      internals.journal.flush();
      expect(log.stats.unjournaled).toBe(1);
      await next;
      await log.close();
      expect(await count(accountId)).toBe(2);
    } finally {
      await rm(ownDir, { recursive: true, force: true });
    }
  });
});
