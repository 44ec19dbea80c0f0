import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownerName } from '../server/store/journal-segments.js';
import { RequestJournal } from '../server/store/request-journal.js';
import { machineBusySeconds } from './process-tree.js';
import { round } from './report.js';
import { signedRecord } from './request-log-seed.js';
import type { Scenario, ScenarioReport } from './scenario.js';

const RECORDS = 50_000;
const WARMUP = 5_000;

interface Cost {
  wallUs: number;
  cpuUs: number;
  otherCores: number;
  bytes: number;
}

/**
 * `perRun` records finish in one event-loop turn and share one write, awaited as the core awaits it. 1 is the
 * journal's worst case (and the usual one at low concurrency).
 */
async function measure(dir: string, perRun: number, n: number): Promise<Cost> {
  const records = Array.from({ length: n }, () => signedRecord());
  let bytes = 0;
  const journal = new RequestJournal({
    dir,
    owner: ownerName(process.pid, Date.now()),
    segmentBytes: 8 << 20,
    isFull: () => false,
    onUnjournaled: () => {
      throw new Error('journal refused a record');
    },
    onWritten: (b) => {
      bytes += b;
    },
  });
  const cpu = process.cpuUsage();
  const busy = machineBusySeconds();
  const t0 = performance.now();
  for (let i = 0; i < n; i += perRun) {
    let written: Promise<void> = Promise.resolve();
    for (let j = i; j < Math.min(i + perRun, n); j++) written = journal.record(records[j]!);
    await written;
  }
  const wallMs = performance.now() - t0;
  journal.close();
  const d = process.cpuUsage(cpu);
  const cores = (d.user + d.system) / 1000 / wallMs;
  const machineCores = ((machineBusySeconds() - busy) * 1000) / wallMs;
  return { wallUs: (wallMs * 1000) / n, cpuUs: (d.user + d.system) / n, otherCores: Math.max(0, machineCores - cores), bytes: bytes / n };
}

/** What journaling costs the event loop per request-log record: JSON, and one `writeSync` per event-loop turn. */
export const requestJournal: Scenario = {
  name: 'request-journal',
  title: 'request-log journal: cost per record on the request path',
  async run(ctx): Promise<ScenarioReport> {
    const dir = mkdtempSync(join(tmpdir(), 'bench-journal-'));
    ctx.cleanup.trackDir(dir);
    await measure(join(dir, 'warmup'), 1, WARMUP);
    const rows: string[][] = [];
    const figures: Record<string, number> = {};
    for (const perRun of [1, 16]) {
      ctx.progress(`journal: ${RECORDS} records, ${perRun} per write`);
      const c = await measure(join(dir, `run${perRun}`), perRun, RECORDS);
      figures[`per_write_${perRun}.us_per_record`] = round(c.wallUs, 2);
      figures[`per_write_${perRun}.cpu_us_per_record`] = round(c.cpuUs, 2);
      figures[`per_write_${perRun}.other_cores`] = round(c.otherCores, 2);
      rows.push([String(perRun), c.wallUs.toFixed(2), c.cpuUs.toFixed(2), c.bytes.toFixed(0), c.otherCores.toFixed(2)]);
    }
    ctx.cleanup.removeDir(dir);
    return {
      figures,
      tables: [{ title: 'journal append (page cache, no fsync)', columns: ['records per write', 'µs per record', 'CPU µs per record', 'bytes per record', 'other cores busy'], rows }],
      notes: ['Each write is one writeSync to the segment file; the µs include JSON.stringify of the record.'],
    };
  },
};
