import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stallOf } from '../../bench/event-loop-stall.js';
import { seedRequestLog } from '../../bench/request-log-seed.js';
import { storeInsights } from '../../server/dashboard/insights.js';
import { computeStats } from '../../server/dashboard/stats.js';
import { ThreadedInsights } from '../../server/dashboard/threaded-insights.js';
import { openStore } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/store.js';
import { DashClient, makeUser, startDashboardService } from './support.js';

const DAY = 86_400_000;
/** Just before a whole hour, so the 7-day window (hour buckets) ends exactly where the seeded rows end. */
const WINDOW_END = Date.UTC(2026, 5, 1, 12);
const NOW = WINDOW_END - 1;
/** Enough rows that a 7-day window holds the event loop for well over 100 ms when run on it (≈ 300-550 ms measured). */
const ROWS = 100_000;

function errorLog() {
  const errors: { obj: object; msg: string }[] = [];
  return { errors, logger: { error: (obj: object, msg: string) => void errors.push({ obj, msg }) } };
}

describe('dashboard insights on a thread (embedded store)', () => {
  let dataDir: string;
  let store: Store;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-insight-'));
    store = await openStore({ engine: 'embedded', dataDir });
    await seedRequestLog(store, { rows: ROWS, untilMs: WINDOW_END, spanMs: 7 * DAY });
  });
  afterAll(async () => {
    await store?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('computes a 7-day window with the same numbers as the node connection while the event loop keeps turning', async () => {
    const q = { window: '7d' as const, nowMs: NOW };
    const inline = await stallOf(() => computeStats(store, q));
    const { errors, logger } = errorLog();
    const insights = new ThreadedInsights({ dataDir }, logger);
    try {
      // Cold: this includes starting the thread, which costs the main loop its own few tens of ms (module
      // loading) that vary with the machine's load; the stall is measured on the next call, the steady state.
      const cold = await insights.stats(q);
      expect(cold).toEqual(inline.value);
      const threaded = await stallOf(() => insights.stats(q));
      expect(threaded.value).toEqual(inline.value);
      expect(threaded.value.totals.count).toBe(ROWS);
      // The old path does stall here, so the bound below is a real difference and not a quiet machine.
      expect(inline.maxStallMs).toBeGreaterThan(100);
      expect(threaded.maxStallMs).toBeLessThan(100);

      const w = { since: WINDOW_END - 7 * DAY, until: WINDOW_END };
      const counts = await insights.reportCounts(w);
      expect(counts).toEqual(await storeInsights(store).reportCounts(w));
      // The seed's forwarded calls (one record in 20 signed with a div, one in 20 verified with one) are counted.
      const forwarded = (kind: string) => counts.forwarded.filter((r) => r.kind === kind).reduce((n, r) => n + r.count, 0);
      expect([forwarded('sign'), forwarded('verify')]).toEqual([ROWS / 20, ROWS / 20]);
    } finally {
      await insights.close();
    }
    expect(errors).toEqual([]);
  });

  it('queues queries behind the running one and refuses those beyond its queue with ERR_STORE_UNAVAILABLE', async () => {
    const insights = new ThreadedInsights({ dataDir }, errorLog().logger, { maxQueued: 1 });
    try {
      const running = insights.stats({ window: '24h', nowMs: NOW });
      const queued = insights.stats({ window: '1h', nowMs: NOW });
      await expect(insights.stats({ window: '15m', nowMs: NOW })).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      expect((await running).window).toBe('24h');
      expect((await queued).window).toBe('1h');
    } finally {
      await insights.close();
    }
  });

  it('fails a query that outlives its timeout with ERR_STORE_UNAVAILABLE and answers the next one on a fresh thread', async () => {
    // 100 ms: the 7-day window over 100k rows takes 300 ms or more, one hour of it (≈ 600 rows) a few ms.
    const insights = new ThreadedInsights({ dataDir }, errorLog().logger, { timeoutMs: 100 });
    const slow = insights.stats({ window: '7d', nowMs: NOW });
    const next = insights.stats({ window: '1h', nowMs: NOW });
    await expect(slow).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', reason: expect.stringMatching(/longer than 100 ms/) });
    expect((await next).totals.count).toBe((await computeStats(store, { window: '1h', nowMs: NOW })).totals.count);
    await insights.close();
    await expect(insights.stats({ window: '15m', nowMs: NOW })).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', reason: 'the node is shutting down' });
    // The retired thread is never terminated (inside a libsql call that aborts the process): it finishes its
    // statements, closes its connection and ends on its own.
    await insights.stopped();
  });

  it('refuses to open a reader where the node has no database file', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'shakenstack-insight-empty-'));
    const insights = new ThreadedInsights({ dataDir: empty }, errorLog().logger);
    try {
      await expect(insights.stats({ window: '15m', nowMs: NOW })).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', reason: expect.stringMatching(/does not exist/) });
    } finally {
      await insights.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('node shutdown with a stats query on the insight thread', () => {
  it('answers the in-flight request with 503 ERR_STORE_UNAVAILABLE and stops', async () => {
    const svc = await startDashboardService('embedded');
    let stopped = false;
    try {
      await seedRequestLog(svc.node.store, { rows: ROWS, untilMs: Date.now(), spanMs: 7 * DAY });
      const { username } = await makeUser(svc, 'admin');
      const admin = await DashClient.login(svc, username);
      const pending = admin.get('/dashboard/api/stats?window=7d');
      // Long enough for the request to reach the route; the thread then needs far longer for 100k rows.
      await new Promise((r) => setTimeout(r, 150));
      await svc.stop();
      stopped = true;
      const answer = await pending;
      expect(answer.status).toBe(503);
      expect(answer.json.error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', reason: 'the node is shutting down' });
    } finally {
      if (!stopped) await svc.stop();
    }
  });
});
