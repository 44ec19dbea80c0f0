import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RequestLogRecord } from '../../server/core/ports.js';
import { openStore } from '../../server/store/open-store.js';
import { ThreadedRequestLog } from '../../server/store/threaded-request-log.js';

const rec = (accountId: string): RequestLogRecord => ({
  kind: 'sign',
  time: new Date(),
  accountId,
  apiKeyId: null,
  transport: 'http',
  orig: '14045266060',
  dest: '18001234567',
  attestRequested: 'A',
  attestApplied: 'A',
  attestReason: 'requested',
  outcome: 'ok',
  errorCode: null,
  latencyUs: 100,
  origid: randomUUID(),
});

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
  const logger = { warn: vi.fn(), error: vi.fn() };

  it('writes every record handed over before close, in batches, off the main thread', async () => {
    const log = await ThreadedRequestLog.start({ store: { engine: 'embedded', dataDir }, flushIntervalMs: 60_000, maxBatch: 200 }, logger);
    const accountId = randomUUID();
    for (let i = 0; i < 2500; i++) log.record(rec(accountId));
    expect(await log.close()).toEqual({ dropped: 0 });
    expect(await count(accountId)).toBe(2500);
  });

  it('replaces a thread that dies and keeps logging', async () => {
    const log = await ThreadedRequestLog.start({ store: { engine: 'embedded', dataDir }, flushIntervalMs: 20, maxBatch: 200 }, logger);
    const accountId = randomUUID();
    await (log as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect.poll(() => logger.error.mock.calls.length).toBeGreaterThan(0);
    await expect.poll(() => (log as unknown as { worker: { threadId: number } }).worker.threadId).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) log.record(rec(accountId));
    await log.close();
    expect(await count(accountId)).toBe(10);
  });
});
