import { randomBytes } from 'node:crypto';
import { TnInventory, type InventoryEntry } from '../server/core/tn-inventory.js';
import { measuredLoad } from './measured-load.js';
import { fmtInt, round } from './report.js';
import type { BenchContext, Scenario, ScenarioReport } from './scenario.js';
import { startShakenstack } from './shakenstack-server.js';

const ENTRIES = 1_000_000;
const PASS_SEC = 5;
/** The quick start's calling number: inside the demo account's inventory prefix, so enforce mode signs A. */
const ORIG = '14045266060';

/** A million entries shaped like a carrier's: mostly single numbers, some blocks, a few prefixes. */
function* inventoryEntries(): Generator<InventoryEntry> {
  for (let i = 0; i < 990_000; i++) yield { kind: 'tn', tn: String(12_000_000_000 + i * 7) };
  for (let i = 0; i < 9_000; i++) yield { kind: 'range', start: String(13_000_000_000 + i * 1000), count: 500 };
  for (let i = 0; i < 999; i++) yield { kind: 'prefix', prefix: String(1_500_000 + i) };
  yield { kind: 'prefix', prefix: '1404526' };
}

function csvOf(entries: Iterable<InventoryEntry>): string {
  const lines = ['kind,value,count'];
  for (const e of entries) lines.push(e.kind === 'tn' ? `tn,${e.tn},` : e.kind === 'prefix' ? `prefix,${e.prefix},` : `range,${e.start},${e.count}`);
  return lines.join('\n') + '\n';
}

/** Build time, memory and lookup cost of the in-memory inventory, in this process. */
function inMemory(): { buildMs: number; mb: number; lookupNs: number; hitShare: number } {
  const mem = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  globalThis.gc?.();
  const m0 = mem();
  const t0 = performance.now();
  const b = TnInventory.builder();
  for (const e of inventoryEntries()) b.add(e);
  const inv = b.build();
  const buildMs = performance.now() - t0;
  globalThis.gc?.();
  const mb = (mem() - m0) / 1048576;
  // Half the probes land on listed numbers, half between them; all are 11 digits like real NANP numbers.
  const probes = Array.from({ length: 200_000 }, (_, i) => String(12_000_000_000 + (i % 2 === 0 ? randomBytes(4).readUInt32BE() % 990_000 * 7 : randomBytes(4).readUInt32BE() % 6_930_000)));
  let hits = 0;
  for (const p of probes) if (inv.has(p)) hits++;
  const t1 = performance.now();
  for (let r = 0; r < 5; r++) for (const p of probes) if (inv.has(p)) hits++;
  const lookupNs = ((performance.now() - t1) * 1e6) / (probes.length * 5);
  return { buildMs, mb, lookupNs, hitShare: hits / (probes.length * 6) };
}

async function admin(url: string, token: string, path: string, init: RequestInit): Promise<unknown> {
  const res = await fetch(`${url}/api/admin${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });
  const body = await res.json();
  if (!res.ok) throw new Error(`admin ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export const inventory: Scenario = {
  name: 'inventory',
  title: `TN inventory: ${fmtInt(ENTRIES)} entries in memory, and HTTP sign with enforce on vs off (workers 1)`,
  async run(ctx: BenchContext): Promise<ScenarioReport> {
    ctx.progress('inventory: building 1,000,000 entries in memory');
    const mem = inMemory();

    const adminToken = randomBytes(24).toString('hex');
    const server = await startShakenstack(1, ctx.cleanup, { SHAKENSTACK_ADMIN_TOKEN: adminToken, SHAKENSTACK_CHANGE_POLL_MS: '200' });
    try {
      ctx.progress('inventory: importing 1,000,000 entries through the admin API');
      const t0 = performance.now();
      await admin(server.url, adminToken, '/accounts/demo/inventory?replace=true', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csvOf(inventoryEntries()) });
      const importSec = (performance.now() - t0) / 1000;
      const spec = {
        url: `${server.url}/api/stir-shaken/sign`,
        method: 'POST' as const,
        headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ orig: { tn: ORIG }, dest: { tn: ['18001234567'] }, attest: 'A' }),
        connections: ctx.connections,
        durationSec: PASS_SEC,
      };
      // A number outside the inventory tells which mode the node is judging in: enforce gives B for it.
      const probe = async () => {
        const res = await fetch(spec.url, { method: 'POST', headers: spec.headers, body: JSON.stringify({ orig: { tn: '19995550000' }, dest: { tn: ['18001234567'] }, attest: 'A' }) });
        return ((await res.json()) as { attestReason?: string }).attestReason;
      };
      const setMode = async (mode: 'enforce' | 'trust') => {
        await admin(server.url, adminToken, '/accounts/demo', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ policyMode: mode }) });
        const expected = mode === 'enforce' ? 'tn-not-in-inventory' : 'requested';
        const deadline = performance.now() + 30_000;
        while ((await probe()) !== expected) {
          if (performance.now() > deadline) throw new Error(`the node did not switch to ${mode} mode`);
          await new Promise((r) => setTimeout(r, 100));
        }
        await ctx.loadGenerator.run({ ...spec, durationSec: 2 }, ctx.cleanup);
      };
      // Interleaved, so a drift of the machine during the run hits both modes alike.
      const rps: Record<'enforce' | 'trust', number[]> = { enforce: [], trust: [] };
      for (const mode of ['trust', 'enforce', 'trust', 'enforce'] as const) {
        ctx.progress(`inventory: ${mode} mode, ${PASS_SEC} s`);
        await setMode(mode);
        const r = await measuredLoad(ctx, spec, server.sampler);
        if (r.non2xx > 0) throw new Error(`${mode} pass answered ${r.non2xx} non-2xx`);
        rps[mode].push(r.rps);
      }
      const best = (xs: number[]) => Math.max(...xs);
      const ratio = best(rps.enforce) / best(rps.trust);
      return {
        figures: {
          entries: ENTRIES,
          build_ms: round(mem.buildMs, 0),
          memory_mb: round(mem.mb, 1),
          lookup_ns: round(mem.lookupNs, 0),
          lookup_hit_share: round(mem.hitShare, 2),
          import_s: round(importSec, 1),
          enforce_rps: round(best(rps.enforce), 0),
          trust_rps: round(best(rps.trust), 0),
          enforce_over_trust: round(ratio, 3),
        },
        tables: [
          {
            title: 'In memory (this process)',
            columns: ['entries', 'build ms', 'memory MB', 'lookup ns', 'hits'],
            rows: [[fmtInt(ENTRIES), fmtInt(mem.buildMs), mem.mb.toFixed(1), mem.lookupNs.toFixed(0), `${Math.round(mem.hitShare * 100)} %`]],
          },
          {
            title: `HTTP sign, demo account holding the 1M inventory (best of 2 interleaved ${PASS_SEC} s passes each)`,
            columns: ['mode', 'req/s', 'passes'],
            rows: [
              ['trust (no lookup)', fmtInt(best(rps.trust)), rps.trust.map(fmtInt).join(' / ')],
              ['enforce (lookup)', fmtInt(best(rps.enforce)), rps.enforce.map(fmtInt).join(' / ')],
            ],
          },
        ],
        notes: [`import of ${fmtInt(ENTRIES)} CSV rows through POST /api/admin/accounts/demo/inventory: ${importSec.toFixed(1)} s`],
      };
    } finally {
      await server.stop();
    }
  },
};
