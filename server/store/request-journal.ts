import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestLogRecord, RequestLogSink } from '../core/ports.js';
import { segmentFileName } from './journal-segments.js';

export interface RequestJournalOptions {
  /** `<dataDir>/journal`. Created 0700 (and set to 0700 if it exists), whatever the umask. */
  dir: string;
  /** This process's owner name (`ownerName`). */
  owner: string;
  /** A segment is closed and a new one begun once it reaches this size. */
  segmentBytes: number;
  /** Asked before each write: true while the journal must take nothing more. */
  isFull(): boolean;
  /** Records that were not journaled: the journal is full, or writing failed. */
  onUnjournaled(records: RequestLogRecord[], reason: 'full' | 'write-failed', err?: unknown): void;
  /** After each successful write. */
  onWritten(bytes: number, records: number): void;
}

/**
 * The request log's first stop: an append-only file per process, written before the answer leaves.
 *
 * Why "before the answer" holds for every transport: the core calls `record()` in the `finally` of
 * `withRequestLog`, before the core's promise settles. The first record of a batch queues `flush` as a
 * microtask right there, so it is queued ahead of the reaction that settling the core's promise queues for
 * its caller. HTTP (fastify's `await signing.handle()`), gRPC unary (`.then(callback)`), SignStream (each item's
 * `.then`, then a batched write) and SIP (`await calls.signCall()` / `calls.verifyCall()`, then `peer.send`) all
 * write their answer in such a reaction or later, and microtasks run in order: by the time any of them runs,
 * the record is in the file. Records finished in the same microtask run share one `writeSync`; work that
 * resumes from I/O starts a new run, so at low concurrency it is one write (a few µs, no fsync) per request.
 *
 * The write reaches the page cache, which survives kill -9 of this process; it does not survive power loss
 * of the host before the kernel writes it back (about 30 s by default). No fsync: that would cost a disk
 * flush per request.
 */
export class RequestJournal implements RequestLogSink {
  private batch: RequestLogRecord[] = [];
  private fd = -1;
  private seq = 0;
  private size = 0;
  private readonly flushBound = () => this.flush();

  constructor(private readonly options: RequestJournalOptions) {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    // mkdir's mode is narrowed by the umask and ignored for a folder that exists: set it outright.
    chmodSync(options.dir, 0o700);
  }

  record(entry: RequestLogRecord): void {
    this.batch.push(entry);
    if (this.batch.length === 1) queueMicrotask(this.flushBound);
  }

  /** Writes what is batched now (also run by `close`); normally the queued microtask does it. */
  flush(): void {
    if (this.batch.length === 0) return;
    const records = this.batch;
    this.batch = [];
    if (this.options.isFull()) {
      this.options.onUnjournaled(records, 'full');
      return;
    }
    let text = '';
    for (const r of records) text += JSON.stringify(r) + '\n';
    const buf = Buffer.from(text);
    try {
      if (this.fd < 0 || this.size >= this.options.segmentBytes) this.rotate();
      let done = 0;
      while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done);
      this.size += buf.length;
    } catch (err) {
      // Part of the batch may be in the file without its newline: nothing more goes after it. The reader
      // ignores a segment's unterminated tail; these records take the unjournaled path instead.
      this.closeSegment();
      this.options.onUnjournaled(records, 'write-failed', err);
      return;
    }
    this.options.onWritten(buf.length, records.length);
  }

  /** Writes the last batch and closes the segment; the log thread may then ship it to its end and delete it. */
  close(): void {
    this.flush();
    this.closeSegment();
  }

  private rotate(): void {
    this.closeSegment();
    const path = join(this.options.dir, segmentFileName(this.options.owner, ++this.seq));
    const fd = openSync(path, 'wx', 0o600);
    try {
      fchmodSync(fd, 0o600);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.fd = fd;
    this.size = 0;
  }

  private closeSegment(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // Nothing to recover: the next write opens a new segment.
    }
    this.fd = -1;
  }
}
