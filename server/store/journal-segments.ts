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

const SEGMENT = /^(\d+-[0-9a-z]+)-(\d+)\.jsonl(?:~(\d+-[0-9a-z]+))?$/;

/** This process's owner name: unique per start even when a restarted container reuses the pid. */
export function ownerName(pid: number, startMs: number): string {
  return `${pid}-${startMs.toString(36)}`;
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
 * Whether the process named `owner` may still be writing or shipping. Our own pid under another owner name is
 * a previous run of this container or service (pids are reused across restarts), so it is gone. Otherwise the
 * pid is asked: ESRCH means no such process; EPERM means it exists under another user. A pid reused by an
 * unrelated process keeps its segments waiting until that process ends (docs/reliability.md).
 */
export function ownerAlive(owner: string, self: string): boolean {
  if (owner === self) return true;
  const pid = Number(owner.slice(0, owner.indexOf('-')));
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
