import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/*
 * Names and ownership of the request-log journal's segment files, shared by the process that appends and the
 * thread that ships. A segment is `<owner>-<seq>.jsonl`, the owner being `<pid>-<start time, base 36>` of the
 * process that writes it. A process that adopts a dead owner's segment renames it `<name>~<adopter>` first:
 * rename is atomic, so of several processes starting at once exactly one adopts each orphan.
 */

export const JOURNAL_DIR = 'journal';

/** A segment file as found in the journal folder. */
export interface SegmentFile {
  /** File name as it is on disk. */
  file: string;
  /** `<owner>-<seq>`: the stable part, which journal keys start with, whoever ships the segment. */
  base: string;
  /** The process that wrote it. */
  writer: string;
  seq: number;
  /** The process that ships it: its writer, or the process that adopted it. */
  shipper: string;
}

const SEGMENT = /^(\d+-[0-9a-z_]+)-(\d+)\.jsonl(?:~(\d+-[0-9a-z_]+))?$/;

/** An owner name from a pid and a start time in ms: unique per start even when a restarted container reuses the pid. */
export function ownerName(pid: number, startMs: number): string {
  return `${pid}-${startMs.toString(36)}`;
}

/** Start time of `pid` in clock ticks after boot (field 22 of Linux /proc/<pid>/stat); null: no such process. */
function procStartTicks(pid: number): string | null | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // comm (field 2) may hold spaces and parentheses; the fields after the last ')' are fixed.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined;
  }
}

/**
 * This process's owner name. Where /proc exists it carries the kernel's start time of the process (`t…`), so a
 * pid later reused by another process is recognised as a different owner; elsewhere the wall-clock start. The
 * random suffix tells apart two journals opened by one process (tests run several nodes in one process).
 */
export function selfOwnerName(): string {
  const ticks = procStartTicks(process.pid);
  const start = ticks ? `t${Number(ticks).toString(36)}` : Date.now().toString(36);
  return `${process.pid}-${start}_${randomBytes(3).toString('hex')}`;
}

export function segmentFileName(owner: string, seq: number): string {
  return `${owner}-${String(seq).padStart(6, '0')}.jsonl`;
}

export function parseSegment(file: string): SegmentFile | undefined {
  const m = SEGMENT.exec(file);
  if (!m) return undefined;
  return { file, base: `${m[1]}-${m[2]}`, writer: m[1]!, seq: Number(m[2]), shipper: m[3] ?? m[1]! };
}

export function adoptedName(s: SegmentFile, adopter: string): string {
  return `${s.base}.jsonl~${adopter}`;
}

/**
 * Whether the process named `owner` may still be writing or shipping. An owner name with a kernel start time
 * is alive only while its pid has that start time: the same pid with another start time is a previous run of
 * this service or container (pids are reused across restarts), so it is gone. Without one, our own pid under
 * another owner name is taken for a previous run too. Otherwise the pid is asked: ESRCH
 * means no such process, EPERM one under another user; a pid reused by an unrelated process then keeps the
 * segments waiting until it ends (docs/reliability.md).
 */
export function ownerAlive(owner: string, self: string): boolean {
  if (owner === self) return true;
  const dash = owner.indexOf('-');
  const pid = Number(owner.slice(0, dash));
  const token = owner.slice(dash + 1);
  if (token.startsWith('t')) {
    const ticks = procStartTicks(pid);
    if (ticks === null) return false;
    // Unreadable (a /proc mounted hidepid): fall back to asking the pid.
    if (ticks !== undefined) return `t${Number(ticks).toString(36)}` === token.split('_')[0];
  }
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
