import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cleanup } from './cleanup.js';

/** One prepared request: each is sent once, in order (a CPS token's jti is accepted once). */
export interface ListedRequest {
  method: 'GET' | 'POST';
  path: string;
  authorization: string;
  /** JSON without tabs or newlines (JSON.stringify's output). */
  body?: string;
}

export interface ListRun {
  /** The wrk process, so its CPU can be read beside the server's. */
  pid: number;
  result: Promise<{ requests: number; durationUs: number; p50Us: number; p99Us: number; status: number; socket: number; exhausted: boolean }>;
}

/*
 * wrk reads the list once in init() (before its clock starts) and formats each request there, so request() is a
 * table lookup: the client costs a few µs of C and Lua per request, not a Node fetch. When the list runs out the
 * thread stops (a repeated token would only be refused as a replay), and `exhausted` says so.
 */
const SCRIPT = `
local reqs = {}
local i = 0
local exhausted = false
function init(args)
  for line in io.lines(args[1]) do
    local m, p, a, b = line:match("^(%u+)\\t([^\\t]*)\\t([^\\t]*)\\t(.*)$")
    local h = { ["authorization"] = a }
    if b == "" then b = nil else h["content-type"] = "application/json" end
    reqs[#reqs + 1] = wrk.format(m, p, h, b)
  end
  health = wrk.format("GET", "/cps/health")
end
function request()
  i = i + 1
  if i > #reqs then
    if not exhausted then exhausted = true; wrk.thread:stop() end
    return health
  end
  return reqs[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d,\\"status\\":%d,\\"socket\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
`;

/** Starts one wrk (one thread, `connections` sockets) sending `list` in order to `url` for at most `durationSec`. */
export function runRequestList(wrkPath: string, url: string, list: readonly ListedRequest[], connections: number, durationSec: number, cleanup: Cleanup): ListRun {
  const dir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-wrklist-'));
  cleanup.trackDir(dir);
  const script = join(dir, 'list.lua');
  const file = join(dir, 'requests.tsv');
  writeFileSync(script, SCRIPT);
  writeFileSync(file, list.map((r) => `${r.method}\t${r.path}\t${r.authorization}\t${r.body ?? ''}`).join('\n') + '\n');
  const child = spawn(wrkPath, ['-t1', `-c${connections}`, `-d${durationSec}s`, '--timeout', '5s', '-s', script, url, '--', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid!;
  cleanup.trackPid(pid);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const watchdog = setTimeout(() => cleanup.signal(pid, 'SIGKILL'), (durationSec + 30) * 1000);
  const result = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  })
    .finally(() => {
      clearTimeout(watchdog);
      cleanup.untrackPid(pid);
      cleanup.removeDir(dir);
    })
    .then((code) => {
      const m = /^WRK_JSON (\{.*\})$/m.exec(out);
      if (code !== 0 || !m) throw new Error(`wrk exited with ${code}:\n${out.slice(-2000)}`);
      const r = JSON.parse(m[1]!) as { requests: number; duration_us: number; p50_us: number; p99_us: number; status: number; socket: number };
      // The health requests sent after the list ran out are not the list's.
      const requests = Math.min(r.requests, list.length);
      return { requests, durationUs: r.duration_us, p50Us: r.p50_us, p99Us: r.p99_us, status: r.status, socket: r.socket, exhausted: r.requests >= list.length };
    });
  return { pid, result };
}
