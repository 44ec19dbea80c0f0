import { closeSync, fstatSync, openSync, readSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { RequestLogRecord } from '../core/ports.js';
import { adoptedName, ownerAlive, parseSegment, type SegmentFile } from './journal-segments.js';
import type { Store, StoredRequestLogRecord } from './store.js';
import { withTimeout } from '../core/with-timeout.js';

/**
 * A journal line as JSON gives it back: the time as epoch milliseconds (ISO text in segments journaled before
 * issue 17 changed it; `new Date` reads both), and the fields a record gained after the version that journaled
 * it missing (a segment written before an upgrade, shipped by the upgraded process).
 */
type JournaledRecord = Omit<RequestLogRecord, 'time' | 'passports' | 'rcdProfile' | 'rcdVerified'> & { time: number | string; passports?: string | null; rcdProfile?: string | null; rcdVerified?: boolean | null };

/** Bytes read from a segment at a time; a record is a few hundred. */
const READ_CHUNK = 1 << 20;

export interface JournalShipperOptions {
  dir: string;
  owner: string;
  /** Records per store call. */
  maxBatch: number;
  /** A store call that takes longer fails with `ShipTimeout` (its connection may be hung in a dead network). */
  batchTimeoutMs: number;
  warn(obj: object, msg: string): void;
  /** After each stored batch (a long replay reports its progress as it goes). */
  onBatch?(): void;
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** A batch did not finish in time: the caller should drop its connections, not just retry on them. */
export class ShipTimeout extends Error {
  constructor(ms: number) {
    super(`request log: a batch insert took longer than ${ms} ms`);
  }
}

/**
 * Ships journal segments into the store: this process's own, and those of dead processes it adopts (one path
 * for normal shipping and replay). A record's key is `<segment base>:<byte offset>`, the same whoever ships it
 * and however often, so shipping a segment again (a thread restarted, a process killed after inserting but
 * before deleting) inserts nothing twice. A segment is deleted once it is complete and stored to its end.
 */
export class JournalShipper {
  /** Bytes of each segment already stored, by file name. Lost with the thread: replay from 0 is harmless. */
  private readonly shipped = new Map<string, number>();
  private corrupt = 0;
  /**
   * The read buffer, kept between passes. Why: a fresh 1 MiB Buffer per segment per pass (a dozen a second under
   * load) counted against V8's external memory and made the thread mark-compact its heap about once a second
   * (issue 17). A pass takes it and gives it back; one overlapping another (never, in the request-log thread)
   * would read into one of its own.
   */
  private spare: Buffer | undefined;

  constructor(
    private readonly store: Pick<Store, 'appendRequestLog'>,
    private readonly options: JournalShipperOptions,
  ) {}

  /** Bytes journaled and not yet stored in the segments this shipper is responsible for, measured now. */
  get pendingBytes(): number {
    let pending = 0;
    for (const file of listFiles(this.options.dir)) {
      const s = parseSegment(file);
      if (s?.shipper === this.options.owner) pending += this.sizeLeft(s);
    }
    return pending;
  }

  /** Lines that did not parse (a damaged file), skipped. */
  get corruptLines(): number {
    return this.corrupt;
  }

  /**
   * One pass: adopt orphans, then ship every segment this process is responsible for, oldest first. `final`
   * says the writer has closed its last segment (shutdown), so that one is complete too. Throws when the store
   * fails; what was stored before stays stored and the next pass goes on from there.
   */
  async ship(final = false): Promise<void> {
    const mine = this.claim();
    const newestOwn = Math.max(0, ...mine.filter((s) => s.writer === this.options.owner).map((s) => s.seq));
    for (const s of mine) {
      // Our own newest segment is still being appended to; anything else is complete.
      const complete = final || s.writer !== this.options.owner || s.seq < newestOwn;
      await this.shipSegment(s, complete);
    }
  }

  /** Segments to ship: ours, plus those whose shipper is dead, renamed to say we ship them now. */
  private claim(): SegmentFile[] {
    const { dir, owner } = this.options;
    const mine: SegmentFile[] = [];
    const alive = new Map<string, boolean>();
    for (const file of listFiles(dir)) {
      const s = parseSegment(file);
      if (!s) continue;
      if (s.shipper === owner) {
        mine.push(s);
        continue;
      }
      let live = alive.get(s.shipper);
      if (live === undefined) alive.set(s.shipper, (live = ownerAlive(s.shipper, owner)));
      if (live) continue;
      const adopted = adoptedName(s, owner);
      try {
        renameSync(join(dir, file), join(dir, adopted));
      } catch (e) {
        // Another process adopted it first.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      const shipped = this.shipped.get(file);
      this.shipped.delete(file);
      if (shipped !== undefined) this.shipped.set(adopted, shipped);
      mine.push({ ...s, file: adopted, shipper: owner });
    }
    // Adopted ones first (they are older), then ours in order.
    return mine.sort((a, b) => (a.writer === b.writer ? a.seq - b.seq : a.writer === owner ? 1 : b.writer === owner ? -1 : a.base < b.base ? -1 : 1));
  }

  private sizeLeft(s: SegmentFile): number {
    try {
      const fd = openSync(join(this.options.dir, s.file), 'r');
      try {
        return Math.max(0, fstatSync(fd).size - (this.shipped.get(s.file) ?? 0));
      } finally {
        closeSync(fd);
      }
    } catch {
      return 0;
    }
  }

  private async shipSegment(s: SegmentFile, complete: boolean): Promise<void> {
    const path = join(this.options.dir, s.file);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return this.forget(s.file);
      throw e;
    }
    const buf = this.spare ?? Buffer.allocUnsafe(READ_CHUNK);
    this.spare = undefined;
    try {
      let offset = this.shipped.get(s.file) ?? 0;
      const size = fstatSync(fd).size;
      while (offset < size) {
        const n = readSync(fd, buf, 0, Math.min(READ_CHUNK, size - offset), offset);
        const lastNewline = buf.lastIndexOf(10, n - 1);
        if (n === 0) break;
        if (lastNewline < 0) {
          // A tail without its newline: a write in progress, or one cut short by a failure (never answered).
          if (n < READ_CHUNK) break;
          // A whole chunk without one is no record (a damaged file): step over it rather than stall here.
          this.corrupt++;
          this.options.warn({ segment: s.file, offset }, 'request log journal: 1 MiB without a line end; skipped');
          offset += n;
          this.shipped.set(s.file, offset);
          continue;
        }
        let records: StoredRequestLogRecord[] = [];
        let start = 0;
        while (start <= lastNewline) {
          const end = buf.indexOf(10, start);
          const record = this.parse(buf.toString('utf8', start, end), `${s.base}:${offset + start}`);
          if (record) records.push(record);
          start = end + 1;
          if (records.length >= this.options.maxBatch || start > lastNewline) {
            await this.insert(records);
            records = [];
            this.shipped.set(s.file, offset + start);
            this.options.onBatch?.();
            // Between batches, let the thread's messages in (close, nudges).
            if (start <= lastNewline) await nextMacrotask();
          }
        }
        offset += lastNewline + 1;
      }
      if (!complete) return;
    } finally {
      closeSync(fd);
      this.spare = buf;
    }
    // Stored to its end (an unterminated tail is not a record): the segment is done.
    try {
      unlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.forget(s.file);
  }

  private forget(file: string): void {
    this.shipped.delete(file);
  }

  private parse(line: string, journalKey: string): StoredRequestLogRecord | undefined {
    try {
      const r = JSON.parse(line) as JournaledRecord;
      // Field by field rather than a spread of the parsed line: every record then has one shape, which the
      // store's per-record mapping reads several times faster (issue 17). A segment journaled by a version
      // before issue 14 has no `passports`: nothing was recorded, so null; one before issue 16 has no RCD fields.
      return {
        kind: r.kind,
        time: new Date(r.time),
        accountId: r.accountId,
        apiKeyId: r.apiKeyId,
        transport: r.transport,
        orig: r.orig,
        dest: r.dest,
        attestRequested: r.attestRequested,
        attestApplied: r.attestApplied,
        attestReason: r.attestReason,
        outcome: r.outcome,
        errorCode: r.errorCode,
        latencyUs: r.latencyUs,
        origid: r.origid,
        passports: r.passports ?? null,
        rcdProfile: r.rcdProfile ?? null,
        rcdVerified: r.rcdVerified ?? null,
        journalKey,
      };
    } catch {
      this.corrupt++;
      this.options.warn({ journalKey }, 'request log journal: a line does not parse; skipped');
      return undefined;
    }
  }

  private async insert(records: StoredRequestLogRecord[]): Promise<void> {
    if (records.length === 0) return;
    const ms = this.options.batchTimeoutMs;
    await withTimeout(this.store.appendRequestLog(records), ms, () => {
      throw new ShipTimeout(ms);
    });
  }
}
