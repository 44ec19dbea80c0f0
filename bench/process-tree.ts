import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ, the unit of utime/stime in /proc/<pid>/stat, is 100 on every mainstream Linux architecture.
const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  cpuTicks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after comm start at field 3 (state); ppid is field 4, utime 14, stime 15 (proc(5)).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** One `<field>: <n> kB` line of a /proc file of `pid`; 0 when the process is gone or the line is absent. */
function readProcKb(pid: number, file: 'status' | 'smaps_rollup', field: 'VmRSS' | 'Pss'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** `root` and all its descendants that are alive now (cluster workers are children of the primary). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const st = readStat(pid);
    if (!st) continue;
    const list = children.get(st.ppid);
    if (list) list.push(pid);
    else children.set(st.ppid, [pid]);
  }
  const out: number[] = [];
  const todo = readStat(root) ? [root] : [];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * Seconds of CPU the whole machine has spent busy since boot (all cores): the cores' time since boot less their
 * idle and iowait time. Not the sum of /proc/stat's busy fields: those are counted by the scheduler tick, and
 * with a tickless idle kernel (these VMs) a core that wakes for a short burst and idles again before the next
 * tick is never charged for it, while idle time is measured from timestamps. Under sipp and a SIP server the busy
 * fields added up to a third of what the processes' own CPU times did (0.26 against 0.73 cores), and the
 * ticks of all fields to 148 a second on 2 cores instead of 200; cores × uptime − idle agreed with the processes.
 */
export function machineBusySeconds(): number {
  const lines = readFileSync('/proc/stat', 'latin1').split('\n');
  const cores = lines.filter((l) => /^cpu\d/.test(l)).length;
  // cpu user nice system idle iowait ...
  const [idle, iowait] = lines[0]!.trim().split(/\s+/).slice(4, 6).map(Number) as [number, number];
  const uptime = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
  return cores * uptime - (idle + iowait) / TICKS_PER_SECOND;
}

export interface TreeSample {
  atMs: number;
  rssKb: number;
  /**
   * Proportional set size: each page shared by n processes counted 1/n in each. RSS counts the `node` binary's
   * pages (and everything a cluster worker shares with its primary) once per process; PSS sums to what the
   * tree really holds.
   */
  pssKb: number;
  /** RSS of the first pid (the root of a tree). */
  firstRssKb: number;
  cpuSeconds: number;
  pids: number[];
}

/** Sum of resident memory and CPU time over `pids`, read from /proc; pids that have exited are left out. */
export function sampleProcesses(pids: readonly number[]): TreeSample {
  let rssKb = 0;
  let pssKb = 0;
  let firstRssKb = 0;
  let ticks = 0;
  const alive: number[] = [];
  for (const pid of pids) {
    const st = readStat(pid);
    if (!st) continue;
    alive.push(pid);
    ticks += st.cpuTicks;
    const rss = readProcKb(pid, 'status', 'VmRSS');
    if (pid === pids[0]) firstRssKb = rss;
    rssKb += rss;
    pssKb += readProcKb(pid, 'smaps_rollup', 'Pss');
  }
  return { atMs: performance.now(), rssKb, pssKb, firstRssKb, cpuSeconds: ticks / TICKS_PER_SECOND, pids: alive };
}

/** CPU cores a tree used between two samples (1.0 = one core busy all the time). */
export function coresBetween(a: TreeSample, b: TreeSample): number {
  const wallS = (b.atMs - a.atMs) / 1000;
  return wallS > 0 ? (b.cpuSeconds - a.cpuSeconds) / wallS : 0;
}

// Reading all of /proc to find children costs ~15 ms on a busy 2-core VM, so the tree is re-listed only
// every this many ticks or when a known process is gone; the known pids are read every tick (~1 ms each).
const RESCAN_EVERY_TICKS = 8;

/**
 * Samples a process (and, with `descendants`, its whole tree) every `intervalMs`: peak RSS (the sum over
 * all its processes at one instant), the first and last samples for CPU use, and every pid seen so
 * `onPid` can register it for cleanup.
 */
export class TreeSampler {
  peakRssKb = 0;
  /** Peak PSS, the sum over the tree at one instant (shared pages counted once in all). */
  peakPssKb = 0;
  /** Peak RSS of the root process alone (the cluster primary). */
  peakRootRssKb = 0;
  first: TreeSample | undefined;
  last: TreeSample | undefined;
  private readonly seen = new Set<number>();
  private known: number[];
  private ticks = 0;
  private readonly timer: NodeJS.Timeout;
  private tickCpuMicros = 0;

  constructor(
    private readonly root: number,
    intervalMs: number,
    private readonly opts: { descendants: boolean; onPid?: (pid: number) => void },
  ) {
    this.known = [root];
    this.take(true);
    this.timer = setInterval(() => {
      const before = process.cpuUsage();
      this.take(++this.ticks % RESCAN_EVERY_TICKS === 0);
      const used = process.cpuUsage(before);
      this.tickCpuMicros += used.user + used.system;
    }, intervalMs);
  }

  /**
   * CPU this process has spent in the periodic samples so far, in seconds (reading /proc: a few ms a second on a
   * busy machine). A scenario whose load generator is the bench process itself subtracts it from the generator's
   * CPU, which would otherwise carry the measuring along with the load.
   */
  get tickCpuSeconds(): number {
    return this.tickCpuMicros / 1e6;
  }

  /** Samples now; `rescan` re-lists the tree first (children forked since the last listing). */
  take(rescan = false): TreeSample | undefined {
    if (rescan && this.opts.descendants) this.known = processTree(this.root);
    let s = sampleProcesses(this.known);
    if (s.pids.length < this.known.length && this.opts.descendants) {
      this.known = processTree(this.root);
      s = sampleProcesses(this.known);
    }
    if (s.pids.length === 0) return undefined;
    this.first ??= s;
    this.last = s;
    this.peakRssKb = Math.max(this.peakRssKb, s.rssKb);
    this.peakPssKb = Math.max(this.peakPssKb, s.pssKb);
    this.peakRootRssKb = Math.max(this.peakRootRssKb, s.firstRssKb);
    for (const pid of s.pids) {
      if (!this.seen.has(pid)) {
        this.seen.add(pid);
        this.opts.onPid?.(pid);
      }
    }
    return s;
  }

  /** Every pid of the tree seen so far, root included. */
  get pids(): number[] {
    return [...this.seen];
  }

  /** Average cores over the sampled life of the tree. */
  get cores(): number {
    return this.first && this.last ? coresBetween(this.first, this.last) : 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
