import { Worker, type Transferable } from 'node:worker_threads';
import { TurnBatch } from '../core/turn-batch.js';

/** How one kind of job crosses to its thread and back. */
export interface BatchCodec<J, R> {
  /** The one message for a turn's jobs, with the buffers it hands over (transferred, not copied). */
  encode(jobs: readonly J[]): { message: unknown; transfer?: Transferable[] };
  /** The thread's reply for the oldest job still waiting: its result, or an Error for the job alone. */
  decode(reply: unknown): R | Error;
}

interface Pending<J, R> {
  job: J;
  resolve(result: R): void;
  reject(e: Error): void;
}

/**
 * CPU work on a thread of its own, handed over one message per event-loop turn (issue 17). libuv's pool (the
 * callback forms of node:crypto) sets up a job and wakes a pool thread for every call: 15-17 µs of the event loop
 * per call on these 2-core VMs. Here the jobs one turn asks for go as one message, and the thread, kept busy, is
 * rarely woken; it answers each job as soon as it is done, in order, so the first of a turn need not wait for the
 * last (a version answering a whole batch at once was no faster than the pool). The thread starts with the first job,
 * is unref'd while nothing is pending (a CLI process ends without `close`), and one that dies fails the jobs it held;
 * the next job starts another. Used for ES256 checks (server/verify-fetch/signature-thread.ts); signing on one
 * was measured and not kept (more requests per second, more CPU per request: docs/performance.md, twelfth session).
 */
export class BatchedThread<J, R> {
  private worker: Worker | undefined;
  /** Jobs sent to the thread, oldest first: its replies come in this order. */
  private sent: Pending<J, R>[] = [];
  private closed = false;
  private readonly batch = new TurnBatch<Pending<J, R>>((pending) => this.send(pending));

  constructor(
    private readonly script: URL,
    private readonly codec: BatchCodec<J, R>,
    /** Names the thread in errors: "the signature thread is closed". */
    private readonly name: string,
  ) {}

  run(job: J): Promise<R> {
    if (this.closed) return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => void this.batch.push({ job, resolve, reject }));
  }

  /** Fails what is pending and ends the thread. */
  async close(): Promise<void> {
    this.closed = true;
    this.batch.flush();
    const worker = this.worker;
    this.worker = undefined;
    this.fail(this.closedError());
    await worker?.terminate();
  }

  private closedError(): Error {
    return new Error(`the ${this.name} is closed`);
  }

  private send(pending: Pending<J, R>[]): void {
    if (this.closed) {
      for (const p of pending) p.reject(this.closedError());
      return;
    }
    const { message, transfer } = this.codec.encode(pending.map((p) => p.job));
    for (const p of pending) this.sent.push(p);
    const worker = (this.worker ??= this.spawn());
    worker.ref();
    worker.postMessage(message, transfer);
  }

  private spawn(): Worker {
    const worker = new Worker(this.script);
    worker.on('message', (reply: unknown) => {
      const p = this.sent.shift();
      if (p === undefined) return;
      const result = this.codec.decode(reply);
      if (result instanceof Error) p.reject(result);
      else p.resolve(result);
      if (this.sent.length === 0) worker.unref();
    });
    const lost = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.fail(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the ${this.name} exited with code ${code}`)));
    return worker;
  }

  private fail(err: Error): void {
    const sent = this.sent;
    this.sent = [];
    for (const p of sent) p.reject(err);
  }
}

