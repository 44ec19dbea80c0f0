import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../server/config/load.js';
import { computeStats, type StatsWindow } from '../server/dashboard/stats.js';
import { createDashboardUser } from '../server/dashboard/users.js';
import { startNode } from '../server/node.js';
import { stallOf } from './event-loop-stall.js';
import { seedRequestLog } from './request-log-seed.js';

/*
 * How long a dashboard stats request holds the node's event loop, before and after the insight thread.
 * "before" runs computeStats on the node's own connection, as the stats route did; "after" asks the running
 * node over HTTP, which hands the work to its thread. Not part of `npm run bench`: it builds a large log first.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/dashboard-stall.js [--rows 1000000]
 */
const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 300_000;
const DAY = 86_400_000;

const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-stall-'));
const config = loadConfig({ env: {}, overrides: { dataDir, 'http.port': 0, 'http.host': '127.0.0.1', 'grpc.enabled': false, 'sip.enabled': false, logLevel: 'silent', demo: false } });
const node = await startNode(config, pino({ level: 'silent' }));
try {
  const nowMs = Date.now();
  let t0 = performance.now();
  await seedRequestLog(node.store, { rows: ROWS, untilMs: nowMs, spanMs: 7 * DAY });
  console.log(`seeded ${ROWS} rows over 7 days in ${Math.round(performance.now() - t0)} ms`);

  await createDashboardUser(node.store, { username: 'bench', password: 'bench password 123', role: 'admin', accountId: null });
  const login = await fetch(`${node.publicUrl}/dashboard/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench', password: 'bench password 123' }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;

  // The first query starts the thread; windows are asked once each, as the stats cache would answer a repeat.
  await fetch(`${node.publicUrl}/dashboard/api/stats?window=15m`, { headers: { cookie } });
  for (const window of ['24h', '7d'] as StatsWindow[]) {
    t0 = performance.now();
    const before = await stallOf(() => computeStats(node.store, { window, nowMs }));
    // The server's clock moves on; its buckets line up with ours unless a bucket boundary passed in between.
    const after = await stallOf(async () => (await fetch(`${node.publicUrl}/dashboard/api/stats?window=${window}`, { headers: { cookie } })).json());
    const same = isDeepStrictEqual(JSON.parse(JSON.stringify(before.value)).totals, (after.value as { totals: unknown }).totals);
    console.log(
      JSON.stringify({
        window,
        rows: ROWS,
        before: { maxStallMs: Math.round(before.maxStallMs), queryMs: Math.round(before.ms) },
        after: { maxStallMs: Math.round(after.maxStallMs), requestMs: Math.round(after.ms) },
        sameTotals: same,
      }),
    );
  }
} finally {
  await node.close();
  await rm(dataDir, { recursive: true, force: true });
}
