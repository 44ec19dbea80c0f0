import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cleanup } from './cleanup.js';
import type { LoadGenerator, LoadResult, LoadSpec } from './load-generator.js';
import { TreeSampler } from './process-tree.js';

/** A Lua long-bracket string literal; the level is chosen so the text cannot close it early. */
function luaString(text: string): string {
  let level = '=';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[${text}]${level}]`;
}

/**
 * The request, an optional pacer, and a `done` hook that prints the figures as one JSON line in
 * microseconds (wrk's own summary rounds to two decimals of whatever unit it picks).
 */
function luaScript(spec: LoadSpec): string {
  const lines = [
    `wrk.method = ${luaString(spec.method)}`,
    `wrk.body = ${luaString(spec.body)}`,
    ...Object.entries(spec.headers).map(([k, v]) => `wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`),
  ];
  if (spec.rate !== undefined) {
    // wrk2-style open loop on plain wrk: before each request wrk calls delay(), and every call claims the next
    // slot of one fixed schedule (run with -t1, so one Lua state owns the schedule). After a stall the missed
    // slots (up to 1 s of them) go out as a catch-up burst, so the average rate holds. Latency is still measured
    // from the actual send, not the slot, so a stall longer than connections x interval is under-reported
    // (coordinated omission; wrk2 corrects for it, but is not packaged). LuaJIT's ffi gives the monotonic clock
    // wrk does not expose.
    lines.push(
      'local has_ffi, ffi = pcall(require, "ffi")',
      'if not has_ffi then error("the paced pass needs a wrk built with LuaJIT (for its ffi clock); run with --loadgen autocannon") end',
      'ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int, bench_timespec *); ]]',
      'local ts = ffi.new("bench_timespec")',
      'local function now_ms() ffi.C.clock_gettime(1, ts); return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6 end',
      `local interval = ${1000 / spec.rate}`,
      'local next_slot = nil',
      'function delay()',
      '  local now = now_ms()',
      '  if next_slot == nil or next_slot < now - 1000 then next_slot = now end',
      '  local slot = next_slot',
      '  next_slot = next_slot + interval',
      '  if slot <= now then return 0 end',
      '  return math.floor(slot - now + 0.5)',
      'end',
    );
  }
  lines.push(
    'function done(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format("WRK_JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d,\\"status\\":%d,\\"socket\\":%d}\\n",',
    '    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,',
    '    e.status, e.connect + e.read + e.write + e.timeout))',
    'end',
  );
  return lines.join('\n') + '\n';
}

interface WrkJson {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
  status: number;
  socket: number;
}

/** wrk driven through a generated Lua script: one thread (the server needs the other core), `connections` sockets. */
export function wrkLoad(wrkPath: string): LoadGenerator {
  return {
    name: 'wrk',
    resolution: '1 µs',
    async run(spec: LoadSpec, cleanup: Cleanup): Promise<LoadResult> {
      const dir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-wrk-'));
      cleanup.trackDir(dir);
      try {
        const script = join(dir, 'load.lua');
        writeFileSync(script, luaScript(spec));
        const args = ['-t1', `-c${spec.connections}`, `-d${spec.durationSec}s`, '--timeout', '5s', '-s', script, spec.url];
        const child = spawn(wrkPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        const pid = child.pid!;
        cleanup.trackPid(pid);
        const sampler = new TreeSampler(pid, 250, { descendants: false });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        // wrk stops itself after -d; the watchdog only bounds a wedged run.
        const watchdog = setTimeout(() => cleanup.signal(pid, 'SIGKILL'), (spec.durationSec + 15) * 1000);
        const code = await new Promise<number | null>((resolve, reject) => {
          child.on('error', reject);
          child.on('close', resolve);
        }).finally(() => {
          clearTimeout(watchdog);
          sampler.stop();
          cleanup.untrackPid(pid);
        });
        const m = /^WRK_JSON (\{.*\})$/m.exec(out);
        if (code !== 0 || !m) throw new Error(`wrk exited with ${code}:\n${out.slice(-2000)}`);
        const r = JSON.parse(m[1]!) as WrkJson;
        const durationSec = r.duration_us / 1e6;
        return {
          requests: r.requests,
          durationSec,
          rps: r.requests / durationSec,
          p50Ms: r.p50_us / 1000,
          p99Ms: r.p99_us / 1000,
          maxMs: r.max_us / 1000,
          // wrk counts status >= 400 as errors.status; the sign endpoint never redirects, so this is non-2xx.
          non2xx: r.status,
          socketErrors: r.socket,
          cores: sampler.cores,
        };
      } finally {
        cleanup.removeDir(dir);
      }
    },
  };
}
