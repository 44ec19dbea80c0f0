import { autocannonLoad } from './autocannon-load.js';
import type { Cleanup } from './cleanup.js';
import { findOnPath } from './executable.js';
import { wrkLoad } from './wrk-load.js';

export interface LoadSpec {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSec: number;
  /** Requests per second across all connections; unset means as fast as the server answers (closed loop). */
  rate?: number;
}

export interface LoadResult {
  requests: number;
  durationSec: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses with a status outside 2xx. */
  non2xx: number;
  /** Connect/read/write errors and timeouts. */
  socketErrors: number;
  /** CPU cores the load generator itself used (it shares the machine with the server). */
  cores: number;
}

export interface LoadGenerator {
  name: 'wrk' | 'autocannon';
  /** Latency resolution, printed next to p50/p99 so a 1 ms step is not read as a measurement. */
  resolution: string;
  run(spec: LoadSpec, cleanup: Cleanup): Promise<LoadResult>;
}

/**
 * wrk by default, autocannon as the fallback. On a 2-core machine the generator takes CPU from the server,
 * so its cost per request decides. Measured against `http-sign` on the 2-core dev VM, the two interleaved
 * ~10 times each: wrk (C, one thread) spent 22-28 µs of CPU per request, autocannon (a Node process that
 * parses every response) 52-77 µs, and the server got 20-40% more req/s per free core with wrk at workers=1.
 * autocannon also records latency in whole milliseconds, too coarse for a 5 ms p99 target; wrk records
 * microseconds. wrk has no rate limit of its own (wrk2 is not packaged); `wrk-load.ts` paces it from Lua.
 */
export function chooseLoadGenerator(preferred: string | undefined): { generator: LoadGenerator; note: string } {
  const wrk = findOnPath('wrk');
  if (preferred === 'autocannon') return { generator: autocannonLoad, note: 'autocannon (asked for with --loadgen)' };
  if (wrk) return { generator: wrkLoad(wrk), note: `wrk (${wrk})` };
  return { generator: autocannonLoad, note: 'autocannon (fallback: wrk is not installed; apt-get install wrk)' };
}
