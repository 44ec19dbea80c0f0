import { readFileSync, rmSync } from 'node:fs';

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot; with the pid it names one process. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // comm (field 2) may contain spaces and parentheses; the fields after the last ')' are fixed.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * The safety net for Ctrl-C and crashes: every child process and temp dir the bench creates is registered
 * here and removed synchronously by `runNow()`. Processes are killed by pid only, and only while the pid
 * still has the start time it was registered with, so a recycled pid is never hit.
 */
export class Cleanup {
  private readonly pids = new Map<number, string>();
  private readonly dirs = new Set<string>();

  trackPid(pid: number): void {
    const started = processStartTime(pid);
    if (started !== undefined) this.pids.set(pid, started);
  }

  untrackPid(pid: number): void {
    this.pids.delete(pid);
  }

  /** True while `pid` is the same process that was registered and has not exited. */
  isAlive(pid: number): boolean {
    const started = this.pids.get(pid);
    return started !== undefined && processStartTime(pid) === started;
  }

  /** Sends `signal` to `pid` if it is still the registered process. */
  signal(pid: number, signal: NodeJS.Signals): void {
    if (!this.isAlive(pid)) return;
    try {
      process.kill(pid, signal);
    } catch {
      // Exited between the check and the kill.
    }
  }

  trackDir(dir: string): void {
    this.dirs.add(dir);
  }

  removeDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    this.dirs.delete(dir);
  }

  /** SIGKILLs every registered process still alive and deletes every registered dir. */
  runNow(): void {
    for (const pid of [...this.pids.keys()]) {
      this.signal(pid, 'SIGKILL');
      this.pids.delete(pid);
    }
    for (const dir of [...this.dirs]) this.removeDir(dir);
  }
}
