import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from '../executable.js';
import { processStartTime } from '../cleanup.js';
import { percentile } from '../report.js';
import { benchSipFile } from './kamailio.js';
import { freeUdpPort } from './udp.js';

/** The sipp binary (Debian package sip-tester), or undefined. */
export function sippPath(): string | undefined {
  return findOnPath('sipp');
}

export interface SippRun {
  pid: number;
  /** Resolves when sipp exits: 0 every call succeeded, 1 at least one failed, higher: sipp itself failed. */
  done: Promise<SippResult>;
  /** SIGTERM, then SIGKILL after a second, by pid only while it is still this process. */
  stop(): Promise<void>;
}

export interface SippResult {
  code: number | null;
  /** The end of sipp's screen output and stderr (its reason when it fails early). */
  output: string;
}

const OUTPUT_CAP = 64 * 1024;

/**
 * Runs sipp with `args` in `cwd` (where it writes its -trace_* files). `-nostdin` is added: sipp has no
 * terminal here. `timeoutMs` bounds the whole run: past it sipp is killed and `code` is null.
 */
export function startSipp(args: string[], opts: { cwd: string; timeoutMs: number; onPid?: (pid: number) => void }): SippRun {
  const bin = sippPath();
  if (!bin) throw new Error('sipp is not installed (Debian package sip-tester)');
  const child = spawn(bin, [...args, '-nostdin'], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('sipp did not start');
  opts.onPid?.(pid);
  const started = processStartTime(pid);
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString('latin1');
    if (output.length > OUTPUT_CAP) output = output.slice(-OUTPUT_CAP);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const signal = (s: NodeJS.Signals) => {
    if (processStartTime(pid) !== started) return;
    try {
      process.kill(pid, s);
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(() => signal('SIGKILL'), opts.timeoutMs);
  const done = new Promise<SippResult>((resolve) => {
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      resolve({ code: sig ? null : code, output });
    });
  });
  return {
    pid,
    done,
    async stop() {
      signal('SIGTERM');
      const t = setTimeout(() => signal('SIGKILL'), 1_000);
      await done;
      clearTimeout(t);
    },
  };
}

export interface Sipp302Options {
  /** Calls started per second. */
  rate: number;
  durationSec: number;
  /** A call with no answer after this long fails. Default 2000 ms. */
  recvTimeoutMs?: number;
  orig?: string;
  dest?: string;
  onPid?: (pid: number) => void;
}

export interface Sipp302Result {
  /** Successful calls per second of sipp's own run time. */
  callsPerSec: number;
  /** Calls that did not end with a 302 carrying an Identity (other answers, timeouts, never sent). */
  failed: number;
  /** 99th percentile of INVITE → 302, milliseconds (sipp measures whole milliseconds). */
  p99Ms: number;
  p50Ms: number;
  offeredRate: number;
  calls: number;
  successful: number;
  /** Response times sipp recorded (one per successful call). */
  rttSamples: number;
}

/** `HH:MM:SS` (or with `:micro`) timestamps aside, sipp's stat file rows are `;`-separated. */
function parseStatFile(text: string): Record<string, string> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new Error('sipp wrote no statistics');
  const names = lines[0]!.split(';');
  const values = lines[lines.length - 1]!.split(';');
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
}

/** The epoch seconds at the end of a sipp time field (`2026-11-23\t19:44:06.500090\t1795463046.500090`). */
function epochOf(field: string | undefined): number {
  const v = Number((field ?? '').split('\t').pop());
  if (!Number.isFinite(v)) throw new Error(`sipp time field not understood: ${JSON.stringify(field)}`);
  return v;
}

/**
 * sipp writes response times to its -trace_rtt file in batches of -rtt_freq calls and drops a last
 * partial batch, so the batch must divide the number of calls: the largest divisor up to 1000.
 */
function rttDumpEvery(calls: number): number {
  for (let f = Math.min(1000, calls); f > 1; f--) if (calls % f === 0) return f;
  return 1;
}

/**
 * Runs bench/sip/uac-302.xml against `target` (`host:port`, UDP) at `rate` calls/s for `durationSec`
 * and reads sipp's statistics (-trace_stat) and per-call response times (-trace_rtt).
 */
export async function measureSipp302(target: string, opts: Sipp302Options): Promise<Sipp302Result> {
  if (!/^[\w.-]+:\d+$/.test(target)) throw new Error(`target must be host:port, got ${JSON.stringify(target)}`);
  if (!(opts.rate > 0) || !(opts.durationSec > 0)) throw new Error('rate and durationSec must be positive');
  const calls = Math.max(1, Math.round(opts.rate * opts.durationSec));
  const dir = mkdtempSync(join(tmpdir(), 'shakenstack-sipp-'));
  try {
    const port = await freeUdpPort();
    const recvTimeoutMs = opts.recvTimeoutMs ?? 2_000;
    const args = [
      '-sf', benchSipFile('uac-302.xml'),
      '-key', 'orig', opts.orig ?? '14045266060',
      '-key', 'dest', opts.dest ?? '18001234567',
      '-i', '127.0.0.1', '-p', String(port),
      '-r', String(opts.rate), '-rp', '1000', '-m', String(calls),
      '-recv_timeout', String(recvTimeoutMs),
      // Each call is one INVITE/302/ACK: sipp's default limit of open calls is enough headroom, but its
      // default scheduling caps (1000 per loop) would pace it below a few thousand calls/s.
      '-max_recv_loops', '10000', '-max_sched_loops', '10000',
      // sipp's socket buffers default to 64 KB: from about 8,000 calls/s (the SIP floor) the kernel dropped 302s
      // at sipp's own socket (/proc/net/udp drops) whenever sipp fell a few ms behind, failing calls the server
      // had answered. 4 MB (net.core.rmem_max here) leaves the failures to the server.
      '-buff_size', String(4 << 20),
      '-trace_stat', '-stf', join(dir, 'stat.csv'), '-fd', '1',
      '-trace_rtt', '-rtt_freq', String(rttDumpEvery(calls)),
      target,
    ];
    const run = startSipp(args, { cwd: dir, timeoutMs: (opts.durationSec * 3 + 30) * 1000, onPid: opts.onPid });
    const result = await run.done;
    if (result.code === null || result.code > 1) {
      throw new Error(`sipp failed (exit ${result.code}):\n${result.output.slice(-2_000)}`);
    }
    const stat = parseStatFile(readFileSync(join(dir, 'stat.csv'), 'latin1'));
    const successful = Number(stat['SuccessfulCall(C)']);
    const elapsed = epochOf(stat['CurrentTime']) - epochOf(stat['StartTime']);
    const rttFile = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
    const rtts = rttFile
      ? readFileSync(join(dir, rttFile), 'latin1')
          .split('\n')
          .slice(1)
          .map((l) => Number(l.split(';')[1]))
          .filter((v) => Number.isFinite(v))
          .sort((a, b) => a - b)
      : [];
    return {
      callsPerSec: elapsed > 0 ? successful / elapsed : 0,
      failed: calls - successful,
      p99Ms: percentile(rtts, 0.99),
      p50Ms: percentile(rtts, 0.5),
      offeredRate: opts.rate,
      calls,
      successful,
      rttSamples: rtts.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface MaxRateResult {
  /** The highest offered rate that finished with 0 failed calls and kept pace (≥ 97 % of offered). */
  best: Sipp302Result | undefined;
  trials: Sipp302Result[];
}

/** Seconds of the pass a fresh server gets at the last good rate before the search's next trial. */
const FRESH_WARMUP_SEC = 2;

/**
 * Finds the highest rate at 0 failed calls: doubles from `startRate` until a trial fails or falls behind,
 * then bisects between the last good and the first bad rate down to `resolution` (default 5 %).
 *
 * `fresh`, when given, replaces the server after every trial that failed or fell behind, and the new one gets a
 * short pass at the last good rate (JIT, buffers) before the next trial. Why: an overloaded trial leaves a server
 * worse off than a fresh one for the trials after it (the 302s of calls sipp gave up on are resent without an ACK
 * until Timer H, 32 s; Kamailio in one run then failed at 12,000 and 10,000 calls/s after passing 8,000, and its
 * search stopped at 9,657 where the run before reached 15,753), so where the bisection stopped depended on what
 * the earlier trials had left behind.
 */
export async function findMaxSipp302Rate(
  target: string,
  opts: {
    startRate: number;
    maxRate: number;
    durationSec: number;
    resolution?: number;
    /** Before each trial starts (a caller measuring CPU per trial samples here, and again in `onTrial`). */
    beforeTrial?: () => void;
    onTrial?: (r: Sipp302Result) => void;
    onPid?: (pid: number) => void;
    /** Stops the server and starts a fresh one; resolves to where the fresh one listens. */
    fresh?: () => Promise<string>;
  },
): Promise<MaxRateResult> {
  const trials: Sipp302Result[] = [];
  const good = (r: Sipp302Result) => r.failed === 0 && r.callsPerSec >= 0.97 * r.offeredRate;
  let best: Sipp302Result | undefined;
  let low = 0;
  let high = 0;
  let at = target;
  const trial = async (rate: number) => {
    // After a trial that failed or fell behind, the next one first replaces the server (so never after the last).
    const last = trials.at(-1);
    if (last && !good(last) && opts.fresh) {
      at = await opts.fresh();
      await measureSipp302(at, { rate: low > 0 ? low : opts.startRate, durationSec: FRESH_WARMUP_SEC, onPid: opts.onPid });
    }
    opts.beforeTrial?.();
    const r = await measureSipp302(at, { rate, durationSec: opts.durationSec, onPid: opts.onPid });
    trials.push(r);
    opts.onTrial?.(r);
    return r;
  };
  for (let rate = opts.startRate; rate <= opts.maxRate; rate *= 2) {
    const r = await trial(rate);
    if (good(r)) {
      best = r;
      low = rate;
    } else {
      high = rate;
      break;
    }
  }
  if (high === 0) return { best, trials };
  const resolution = opts.resolution ?? 0.05;
  while (high - low > Math.max(1, low * resolution)) {
    const mid = Math.round((low + high) / 2);
    const r = await trial(mid);
    if (good(r)) {
      best = r;
      low = mid;
    } else {
      high = mid;
    }
  }
  return { best, trials };
}
