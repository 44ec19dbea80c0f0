import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RequestLogRecord, RequestLogSink } from '../core/ports.js';
import { JOURNAL_DIR, selfOwnerName } from './journal-segments.js';
import type { OpenStoreOptions } from './open-store.js';
import { RequestJournal } from './request-journal.js';
import { threadScript } from './thread-script.js';
import { withTimeout } from '../core/with-timeout.js';

export interface ThreadOptions {
  store: Omit<OpenStoreOptions, 'clock'>;
  flushIntervalMs: number;
  maxBatch: number;
  /** A batch insert slower than this fails and the thread is replaced (its connections may be hung). */
  storeTimeoutMs: number;
  journal: { dir: string; owner: string };
  /**
   * Bytes the main thread has journaled, ever (one element, written only by the main thread). Shared, so a
   * report can say how much of the journal it had seen: see `ThreadedRequestLog.journalBytes`.
   */
  journalWritten: BigInt64Array;
}

export interface RequestLogOptions {
  store: Omit<OpenStoreOptions, 'clock'>;
  dataDir: string;
  flushIntervalMs: number;
  maxBatch: number;
  storeTimeoutMs: number;
  /** Journaled and not yet stored, at most (this process): beyond it records are kept in memory only. */
  journalMaxBytes: number;
  /** Default 8 MiB. */
  segmentBytes?: number;
  /** Records kept in memory when they cannot be journaled, while no thread takes them. Default 100,000. */
  maxUnjournaled?: number;
}

export type ThreadMessage =
  | { type: 'ready' }
  | { type: 'warn'; msg: string; detail: unknown }
  | ({ type: 'progress'; dropped: number } & JournalMeasure)
  | ({ type: 'closed'; dropped: number } & JournalMeasure);

/** The thread's measure of the journal: `writtenAtMeasure` is `journalWritten`, read before `pendingBytes` was measured. */
export interface JournalMeasure {
  pendingBytes: number;
  writtenAtMeasure: number;
}

/** The measure alone, not the message that carried it. */
function measureOf(m: JournalMeasure): JournalMeasure {
  return { pendingBytes: m.pendingBytes, writtenAtMeasure: m.writtenAtMeasure };
}

export type ToThread = { type: 'records'; records: RequestLogRecord[] } | { type: 'nudge' } | { type: 'close'; deadlineMs: number };

export interface ThreadLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What `/metrics` shows of the request log. */
export interface RequestLogStats {
  /** Records that could not be journaled (journal full or a write failed): kept in memory only. */
  unjournaled: number;
  /** Bytes journaled and not yet in the store (this process's segments and orphans it replays). */
  journalBytes: number;
  /** Records lost: unjournaled ones beyond the memory bound, or a batch the store rejected repeatedly. */
  dropped: number;
}

const SEGMENT_BYTES = 8 << 20;
/** Restarts back off up to this: a store back from an outage is used again within seconds. */
const MAX_RESTART_DELAY_MS = 10_000;

/**
 * The request log as the node sees it. `record()` appends to the journal (a file, before the answer leaves:
 * see `RequestJournal`); a thread ships the journal into the store. The thread never ends the process: it has
 * an 'error' listener for its whole life, and one that dies is replaced after a backoff; the journal holds what
 * it had not stored. Records the journal cannot take (full, or the disk fails) go to the thread in memory,
 * are counted, and are lost if the process dies before they are stored.
 */
export class ThreadedRequestLog implements RequestLogSink {
  private worker: Worker | undefined;
  private readonly journal: RequestJournal;
  /** Unjournaled records waiting to be posted to the thread. */
  private pending: RequestLogRecord[] = [];
  private scheduled = false;
  private closed = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The thread's last report; before the first, an empty journal seen before anything was written. */
  private reported: JournalMeasure = { pendingBytes: 0, writtenAtMeasure: 0 };
  private recordsSinceNudge = 0;
  private unjournaledCount = 0;
  private droppedHere = 0;
  private droppedThread = 0;

  private constructor(
    private readonly options: RequestLogOptions,
    private readonly thread: ThreadOptions,
    private readonly logger: ThreadLogger,
  ) {
    this.journal = new RequestJournal({
      dir: thread.journal.dir,
      owner: thread.journal.owner,
      segmentBytes: options.segmentBytes ?? SEGMENT_BYTES,
      isFull: () => this.journalBytes() >= options.journalMaxBytes,
      onWritten: (bytes, records) => {
        // Counted once writeSync has returned: a thread that reads this count finds those bytes in the files.
        Atomics.add(thread.journalWritten, 0, BigInt(bytes));
        this.recordsSinceNudge += records;
        if (this.recordsSinceNudge >= options.maxBatch) {
          this.recordsSinceNudge = 0;
          this.worker?.postMessage({ type: 'nudge' } satisfies ToThread);
        }
      },
      onUnjournaled: (records, reason, err) => this.unjournaled(records, reason, err),
    });
  }

  /** Opens the journal and starts the thread; rejects when the thread cannot start (the store does not open). */
  static async start(options: RequestLogOptions, logger: ThreadLogger): Promise<ThreadedRequestLog> {
    const thread: ThreadOptions = {
      store: options.store,
      flushIntervalMs: options.flushIntervalMs,
      maxBatch: options.maxBatch,
      storeTimeoutMs: options.storeTimeoutMs,
      journal: { dir: join(options.dataDir, JOURNAL_DIR), owner: selfOwnerName() },
      // Handed to every thread this log starts, so a replacement reads the same count.
      journalWritten: new BigInt64Array(new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT)),
    };
    const log = new ThreadedRequestLog(options, thread, logger);
    log.adopt(await log.spawn());
    return log;
  }

  get stats(): RequestLogStats {
    return { unjournaled: this.unjournaledCount, journalBytes: this.journalBytes(), dropped: this.droppedHere + this.droppedThread };
  }

  /**
   * Journaled and not yet stored: what the thread last measured, plus what was written here since the count it
   * read before measuring. A byte counted by then was in the files it measured; one counted after is added here.
   * So what this process journaled is never undercounted (the "full" bound must hold); a byte written between the
   * read and the measure is counted twice, until the next report. Orphans the thread adopts show from its next
   * report, as before. Reports are applied in the order they were measured (a port delivers in order; a thread
   * is replaced once it has exited), and any one of them, even a late one, bounds what was written here.
   */
  private journalBytes(): number {
    return this.reported.pendingBytes + Number(Atomics.load(this.thread.journalWritten, 0)) - this.reported.writtenAtMeasure;
  }

  record(entry: RequestLogRecord): Promise<void> | undefined {
    if (this.closed) return;
    return this.journal.record(entry);
  }

  private unjournaled(records: RequestLogRecord[], reason: 'full' | 'write-failed', err: unknown): void {
    if (this.unjournaledCount === 0 || reason === 'write-failed') {
      this.logger.error({ err, reason, journalBytes: this.journalBytes() }, 'request log: records cannot be journaled; kept in memory until stored');
    }
    this.unjournaledCount += records.length;
    for (const r of records) this.pending.push(r);
    const max = this.options.maxUnjournaled ?? 100_000;
    if (this.pending.length > max) {
      this.droppedHere += this.pending.length - max;
      this.pending.splice(0, this.pending.length - max);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.post()).unref();
    }
  }

  private post(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || !this.worker) return;
    this.worker.postMessage({ type: 'records', records: this.pending } satisfies ToThread);
    this.pending = [];
  }

  /** Resolves once the thread is ready; rejects if it fails first. Its listeners stay for its whole life. */
  private spawn(): Promise<Worker> {
    const worker = new Worker(threadScript('store/request-log-thread.js'), { workerData: this.thread });
    return new Promise((resolve, reject) => {
      let ready = false;
      // Opening the store runs queries (migrations) that a dead network can hold forever.
      const notReady = setTimeout(() => {
        reject(new Error('request log thread did not open the store in time'));
        void worker.terminate();
      }, this.thread.storeTimeoutMs + 10_000);
      notReady.unref();
      worker.on('error', (err) => {
        clearTimeout(notReady);
        if (!ready) reject(err);
        else this.logger.error({ err }, 'request log thread failed');
      });
      worker.on('message', (m: ThreadMessage) => {
        if (m.type === 'ready') {
          clearTimeout(notReady);
          ready = true;
          resolve(worker);
        } else if (m.type === 'warn') this.logger.warn({ detail: m.detail }, m.msg);
        else if (m.type === 'progress') {
          this.reported = measureOf(m);
          this.droppedThread = m.dropped;
          this.restarts = 0;
        }
      });
      worker.once('exit', (code) => {
        clearTimeout(notReady);
        if (!ready) reject(new Error(`request log thread exited with ${code} before it was ready`));
        else this.onExit(worker, code);
      });
    });
  }

  private adopt(worker: Worker): void {
    this.worker = worker;
    this.post();
  }

  /** A thread that ends unexpectedly is replaced after a backoff; its records wait in the journal meanwhile. */
  private onExit(worker: Worker, code: number): void {
    if (this.worker !== worker || this.closed) return;
    this.worker = undefined;
    this.restart(`request log thread exited with ${code}; starting a new one (the journal keeps its records)`);
  }

  private restart(why: string): void {
    const delay = Math.min(250 * 2 ** this.restarts++, MAX_RESTART_DELAY_MS);
    this.logger.error({ restartInMs: delay }, why);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.closed) return;
      this.spawn().then(
        (w) => {
          if (this.closed) void w.terminate();
          else this.adopt(w);
        },
        (err: unknown) => {
          if (!this.closed) this.restart(`request log thread cannot start (${err instanceof Error ? err.message : String(err)}); retrying`);
        },
      );
    }, delay);
    this.restartTimer.unref();
  }

  /**
   * Writes the last batch to the journal and closes it, then lets the thread ship what is left for up to
   * `deadlineMs`. Whatever it could not store stays in the journal and is shipped by the next start.
   */
  async close(deadlineMs = 5000): Promise<{ dropped: number; pendingBytes: number }> {
    this.journal.close();
    this.post();
    this.closed = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return { dropped: this.stats.dropped + this.pending.length, pendingBytes: this.journalBytes() };
    const done = new Promise<{ dropped: number; pendingBytes: number }>((resolve) => {
      worker.on('message', (m: ThreadMessage) => {
        if (m.type !== 'closed') return;
        // Nothing is journaled after journal.close() above, so this measure is exact; `stats` shows it from now on.
        this.reported = measureOf(m);
        resolve({ dropped: this.droppedHere + m.dropped, pendingBytes: m.pendingBytes });
      });
      worker.once('exit', () => resolve({ dropped: -1, pendingBytes: -1 }));
    });
    worker.postMessage({ type: 'close', deadlineMs } satisfies ToThread);
    // The thread has its own deadline; this one only covers a thread that does not answer at all.
    const result = await withTimeout(done, deadlineMs + 2000, () => ({ dropped: -1, pendingBytes: -1 }));
    await worker.terminate();
    return result;
  }
}
