import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { machineBusySeconds } from './process-tree.js';
import { fmtInt, round } from './report.js';
import type { Scenario, ScenarioReport } from './scenario.js';

const WARMUP_MS = 500;
const MEASURE_MS = 3_000;
const IN_FLIGHT = 16;

/**
 * A real PASSporT signing input, `b64(header).b64(claims)` with a UUID origid: ~300 bytes, as the service's
 * (~330 with its x5u). Hashing is a few hundred ns of the ~35 µs sign, so the exact length hardly matters.
 */
function passportSigningInput(): Buffer {
  const header = { alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u: 'https://cert.example.net/sti/cert.pem' };
  const claims = { attest: 'A', dest: { tn: ['18001234567'] }, iat: 1_700_000_000, orig: { tn: '14045266060' }, origid: '123e4567-e89b-12d3-a456-426655440000' };
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return Buffer.from(`${b64(header)}.${b64(claims)}`, 'ascii');
}

interface Rate {
  perSec: number;
  cores: number;
  /** Cores other processes kept busy meanwhile (a shared machine); the async form needs both cores. */
  otherCores: number;
}

interface CpuMark {
  own: NodeJS.CpuUsage;
  machine: number;
  atMs: number;
}

function cpuMark(): CpuMark {
  return { own: process.cpuUsage(), machine: machineBusySeconds(), atMs: performance.now() };
}

function rate(count: number, mark: CpuMark): Rate {
  const wallS = (performance.now() - mark.atMs) / 1000;
  const d = process.cpuUsage(mark.own);
  const cores = (d.user + d.system) / 1e6 / wallS;
  const machineCores = (machineBusySeconds() - mark.machine) / wallS;
  return { perSec: count / wallS, cores, otherCores: Math.max(0, machineCores - cores) };
}

/** CPU time per signature, comparable with the HTTP scenario's CPU µs per request. */
function cpuUsPerSign(r: Rate): number {
  return (r.cores / r.perSec) * 1e6;
}

/** The synchronous form on the main thread: one core, no queueing. Checks the clock every 64 signs. */
function syncRate(key: KeyObject, data: Buffer, ms: number): Rate {
  const mark = cpuMark();
  const end = mark.atMs + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 64; i++) sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
    n += 64;
  }
  return rate(n, mark);
}

/** The callback form the server uses: work goes to libuv's pool (4 threads by default), `IN_FLIGHT` at a time. */
function asyncRate(key: KeyObject, data: Buffer, ms: number): Promise<Rate> {
  return new Promise((resolve, reject) => {
    const mark = cpuMark();
    const end = mark.atMs + ms;
    let done = 0;
    let inFlight = 0;
    const launch = (): void => {
      inFlight++;
      sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, (err) => {
        inFlight--;
        if (err) return reject(err);
        done++;
        if (performance.now() < end) return launch();
        if (inFlight === 0) resolve(rate(done, mark));
      });
    };
    for (let i = 0; i < IN_FLIGHT; i++) launch();
  });
}

export const rawSign: Scenario = {
  name: 'raw-sign',
  title: `raw node:crypto ES256 sign (baseline; ${MEASURE_MS / 1000} s each after ${WARMUP_MS} ms warm-up)`,
  async run(ctx): Promise<ScenarioReport> {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const data = passportSigningInput();
    ctx.progress(`raw-sign: sync, ${MEASURE_MS} ms`);
    syncRate(privateKey, data, WARMUP_MS);
    const sync = syncRate(privateKey, data, MEASURE_MS);
    ctx.progress(`raw-sign: async x${IN_FLIGHT}, ${MEASURE_MS} ms`);
    await asyncRate(privateKey, data, WARMUP_MS);
    const async = await asyncRate(privateKey, data, MEASURE_MS);
    return {
      figures: {
        input_bytes: data.length,
        sync_per_s: Math.round(sync.perSec),
        sync_cpu_us_per_sign: round(cpuUsPerSign(sync), 1),
        sync_cores: round(sync.cores, 2),
        sync_other_cores: round(sync.otherCores, 2),
        async16_per_s: Math.round(async.perSec),
        async16_cpu_us_per_sign: round(cpuUsPerSign(async), 1),
        async16_cores: round(async.cores, 2),
        async16_other_cores: round(async.otherCores, 2),
      },
      tables: [
        {
          title: `ES256 over a ${data.length}-byte PASSporT signing input, KeyObject, dsaEncoding ieee-p1363`,
          columns: ['form', 'signs/s', 'CPU used', 'CPU µs/sign', 'other CPU'],
          rows: [sync, async].map((r, i) => [
            i === 0 ? 'sync, main thread' : `callback, ${IN_FLIGHT} in flight (libuv pool)`,
            fmtInt(r.perSec),
            r.cores.toFixed(2),
            cpuUsPerSign(r).toFixed(1),
            r.otherCores.toFixed(2),
          ]),
        },
      ],
      notes: [],
    };
  },
};

