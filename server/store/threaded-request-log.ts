import { Worker } from 'node:worker_threads';
import type { RequestLogRecord, RequestLogSink } from '../core/ports.js';
import type { OpenStoreOptions } from './open-store.js';
import { threadScript } from './thread-script.js';

export interface ThreadOptions {
  store: Omit<OpenStoreOptions, 'clock'>;
  flushIntervalMs: number;
  maxBatch: number;
}

export type ThreadMessage =
  | { type: 'ready' }
  | { type: 'warn'; msg: string; detail: unknown }
  | { type: 'closed'; dropped: number };

export interface ThreadLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The request log as the node sees it: `record()` appends to an array, and the records gathered during one
 * turn of the event loop go to the log thread in a single message. The thread batches, writes, retries and,
 * on `close()`, flushes everything before it exits.
 */
export class ThreadedRequestLog implements RequestLogSink {
  private pending: RequestLogRecord[] = [];
  private scheduled = false;
  private closed = false;

  private constructor(
    private worker: Worker,
    private readonly options: ThreadOptions,
    private readonly logger: ThreadLogger,
  ) {}

  static async start(options: ThreadOptions, logger: ThreadLogger): Promise<ThreadedRequestLog> {
    const log = new ThreadedRequestLog(await ThreadedRequestLog.spawn(options, logger), options, logger);
    log.watch();
    return log;
  }

  private static spawn(options: ThreadOptions, logger: ThreadLogger): Promise<Worker> {
    const worker = new Worker(threadScript('store/request-log-thread.js'), { workerData: options });
    worker.on('message', (m: ThreadMessage) => {
      if (m.type === 'warn') logger.warn({ detail: m.detail }, m.msg);
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      worker.once('error', onError);
      worker.once('message', (m: ThreadMessage) => {
        worker.off('error', onError);
        if (m.type === 'ready') resolve(worker);
      });
    });
  }

  /** A thread that dies unexpectedly is replaced; what it had buffered is lost and said so. */
  private watch(): void {
    this.worker.once('exit', (code) => {
      if (this.closed) return;
      this.logger.error({ code }, 'request log thread exited; starting a new one (its buffered records are lost)');
      void ThreadedRequestLog.spawn(this.options, this.logger).then(
        (w) => {
          this.worker = w;
          this.watch();
          this.post();
        },
        (err: unknown) => this.logger.error({ err }, 'request log thread cannot start'),
      );
    });
  }

  record(entry: RequestLogRecord): void {
    if (this.closed) return;
    this.pending.push(entry);
    if (this.pending.length >= this.options.maxBatch) this.post();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.post()).unref();
    }
  }

  private post(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    this.worker.postMessage({ type: 'records', records: this.pending });
    this.pending = [];
  }

  /** Hands over what is pending and waits until the thread has written everything and closed its store. */
  async close(): Promise<{ dropped: number }> {
    this.post();
    this.closed = true;
    const worker = this.worker;
    const done = new Promise<{ dropped: number }>((resolve) => {
      worker.on('message', (m: ThreadMessage) => m.type === 'closed' && resolve({ dropped: m.dropped }));
      worker.once('exit', () => resolve({ dropped: -1 }));
    });
    worker.postMessage({ type: 'close' });
    const result = await done;
    await worker.terminate();
    return result;
  }
}
