import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { dropConsumed } from '../core/consumed-prefix.js';
import { isStoreUnavailable } from '../core/errors.js';
import type { RequestLogRecord, RequestLogSink } from '../core/ports.js';
import type { Store } from './store.js';

/** The part of a pino logger the writer uses. */
export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

export interface RequestLogWriterOptions {
  /** How often waiting records are written. Default 200. */
  flushIntervalMs?: number;
  /**
   * Records per store call (one transaction); this many waiting starts a flush at once. Default 200: the
   * embedded engine is synchronous, so a batch is an event-loop stall (measured ≈ 13 ms per 1,000 rows).
   */
  maxBatch?: number;
  /** Records kept while the store is failing; beyond this the oldest are dropped. Default 100,000. */
  maxBuffered?: number;
  /** Longest wait between retries while the store is failing. Default 30,000. */
  maxRetryDelayMs?: number;
  logger?: WarnLogger;
}

/**
 * A batch the store rejects for another reason than being unavailable (a record it cannot take) would fail
 * the same way forever and hold back everything behind it; after this many attempts it is dropped.
 */
const MAX_ATTEMPTS_REJECTED = 3;

/**
 * Takes request-log records on the request path without waiting and writes them in batches (one store
 * transaction per batch), one flush at a time. While the store is unavailable the records stay buffered
 * and the flush is retried with exponential backoff; `close()` writes what is left.
 */
export class RequestLogWriter implements RequestLogSink {
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly maxBackoffTicks: number;
  private readonly logger: WarnLogger | undefined;
  private readonly timer: NodeJS.Timeout;

  /** Waiting records are `queue[head..]`: dropping or taking from the front is O(1). */
  private queue: RequestLogRecord[] = [];
  private head = 0;
  private inFlight: Promise<void> | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** Ticks to let pass before the next attempt, while backing off. */
  private skipTicks = 0;
  /** Consecutive failed flushes, for the backoff. */
  private failures = 0;
  /** Consecutive failures that were not unavailability: the front batch is probably unwritable. */
  private rejections = 0;
  private dropCount = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<Store, 'appendRequestLog'>,
    options: RequestLogWriterOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 200;
    this.maxBatch = options.maxBatch ?? 200;
    this.maxBuffered = options.maxBuffered ?? 100_000;
    this.maxBackoffTicks = Math.max(1, Math.ceil((options.maxRetryDelayMs ?? 30_000) / this.flushIntervalMs));
    this.logger = options.logger;
    // Backoff counts ticks of this one timer, so no second timer has to be tracked and cancelled.
    this.timer = setInterval(() => this.onTick(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** Records dropped: beyond `maxBuffered`, rejected batches, after `close()`, or unwritable at close. */
  get dropped(): number {
    return this.dropCount;
  }

  /** Records waiting to be written (not counting a batch in flight). */
  get buffered(): number {
    return this.queue.length - this.head;
  }

  record(entry: RequestLogRecord): void {
    if (this.closing) {
      this.dropCount++;
      return;
    }
    this.queue.push(entry);
    if (this.buffered > this.maxBuffered) this.dropOldest(this.buffered - this.maxBuffered);
    if (this.buffered >= this.maxBatch) this.flushSoon();
  }

  /** Stops the timer and writes everything buffered, after any flush in flight. Never rejects. */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    clearInterval(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    await this.inFlight;
    while (this.buffered > 0) {
      const batch = this.take();
      try {
        await this.store.appendRequestLog(batch);
      } catch (err) {
        const lost = batch.length + this.buffered;
        this.dropCount += lost;
        this.queue = [];
        this.head = 0;
        this.warn({ err, lost }, 'request log: store failed at close, records lost');
        return;
      }
    }
  }

  private onTick(): void {
    if (this.skipTicks > 0) {
      this.skipTicks--;
      return;
    }
    this.startFlush();
  }

  /** Off the caller's stack: compiling and sending a batch is not the request's work. */
  private flushSoon(): void {
    if (this.immediate || this.inFlight || this.skipTicks > 0) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.startFlush();
    });
    this.immediate.unref();
  }

  private startFlush(): void {
    if (this.inFlight || this.closing || this.buffered === 0) return;
    this.inFlight = this.drain().finally(() => {
      this.inFlight = undefined;
    });
  }

  /** Writes batch after batch until the buffer is empty or the store fails. Never rejects. */
  private async drain(): Promise<void> {
    while (this.buffered > 0) {
      const batch = this.take();
      try {
        await this.store.appendRequestLog(batch);
        this.failures = 0;
        this.rejections = 0;
      } catch (err) {
        this.onFailure(batch, err);
        return;
      }
      // A macrotask between batches lets waiting requests run: with a synchronous driver, awaiting the
      // store never yields to I/O, and a backlog written back to back would stall the loop for its whole length.
      if (this.buffered > 0) await nextMacrotask();
    }
  }

  private onFailure(batch: RequestLogRecord[], err: unknown): void {
    this.failures++;
    const unavailable = isStoreUnavailable(err);
    this.rejections = unavailable ? 0 : this.rejections + 1;
    if (this.rejections >= MAX_ATTEMPTS_REJECTED) {
      this.failures = 0;
      this.rejections = 0;
      this.dropCount += batch.length;
      this.warn({ err, lost: batch.length }, 'request log: store rejected a batch repeatedly, batch dropped');
      return;
    }
    // Back in front, in order; whatever arrived meanwhile stays behind it.
    this.queue = batch.concat(this.queue.slice(this.head));
    this.head = 0;
    if (this.buffered > this.maxBuffered) this.dropOldest(this.buffered - this.maxBuffered);
    const ticks = Math.min(2 ** (this.failures - 1), this.maxBackoffTicks);
    this.skipTicks = ticks - 1;
    this.warn(
      { err, buffered: this.buffered, retryInMs: ticks * this.flushIntervalMs },
      'request log: flush failed, will retry',
    );
  }

  private take(): RequestLogRecord[] {
    const end = Math.min(this.head + this.maxBatch, this.queue.length);
    const batch = this.queue.slice(this.head, end);
    this.head = end;
    this.compact();
    return batch;
  }

  private dropOldest(n: number): void {
    this.head += n;
    this.dropCount += n;
    this.compact();
  }

  /** Keeps the consumed prefix from growing without bound; amortised O(1) per record. */
  private compact(): void {
    this.head = dropConsumed(this.queue, this.head);
  }

  /** A logger that throws must not turn a flush into an unhandled rejection. */
  private warn(obj: object, msg: string): void {
    try {
      this.logger?.warn(obj, msg);
    } catch {
      // Nothing left to report it to.
    }
  }
}
