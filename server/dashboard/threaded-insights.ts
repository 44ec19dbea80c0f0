import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { ShakenError, type ErrorCode } from '../core/errors.js';
import type { TimeWindow } from '../store/dashboard-store.js';
import { threadScript } from '../store/thread-script.js';
import type { InsightService, ReportCounts } from './insight-service.js';
import type { Stats, StatsQuery } from './stats.js';
import { withTimeout } from '../core/with-timeout.js';

export interface InsightThreadOptions {
  dataDir: string;
}

export type InsightJob = { kind: 'stats'; query: StatsQuery } | { kind: 'reportCounts'; window: TimeWindow };
export interface InsightRequest {
  id: number;
  job: InsightJob;
}
export type WireError = { code: ErrorCode; reason: string; field?: string } | { message: string };
export type InsightReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError } | { type: 'ready' };

export interface InsightThreadLogger {
  error(obj: object, msg: string): void;
}

export interface InsightLimits {
  /**
   * A query still running after this fails with ERR_STORE_UNAVAILABLE and its thread is retired. A 7-day
   * window over a million rows takes about 3 s (measured), so 30 s means something is wrong with the file.
   * Counted from when the thread is ready: starting one (≈ 150-300 ms, loading its modules) is not the query's.
   */
  timeoutMs: number;
  /** Queries waiting behind the running one; more are refused at once rather than piling up. */
  maxQueued: number;
  /**
   * How long close() waits for the threads to finish the statement they are in. A thread is never terminated:
   * terminating one inside a libsql call makes the binding panic, which aborts the whole process (seen in CI).
   * One still busy after the grace is left to end on its own; it is unref'd and holds nothing up.
   */
  closeGraceMs: number;
}

const DEFAULT_LIMITS: InsightLimits = { timeoutMs: 30_000, maxQueued: 8, closeGraceMs: 1000 };

interface Pending {
  id: number;
  job: InsightJob;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  timer?: NodeJS.Timeout;
}

const unavailable = (reason: string) => new ShakenError('ERR_STORE_UNAVAILABLE', reason);

function fromWire(e: WireError): Error {
  return 'code' in e ? new ShakenError(e.code, e.reason, { field: e.field }) : new Error(`insight thread: ${e.message}`);
}

/**
 * Insights computed on one worker thread, one query at a time. The thread starts with the first query and is
 * replaced when it times out or dies; a query cannot be interrupted inside SQLite, so a retired thread is told
 * to close and ends on its own once its statement returns.
 */
export class ThreadedInsights implements InsightService {
  private worker: Worker | undefined;
  private workerReady = false;
  private running: Pending | undefined;
  private readonly queue: Pending[] = [];
  private readonly retired = new Set<Worker>();
  private nextId = 1;
  private closed = false;
  private readonly limits: InsightLimits;

  constructor(
    private readonly options: InsightThreadOptions,
    private readonly logger: InsightThreadLogger,
    limits: Partial<InsightLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  stats(query: StatsQuery): Promise<Stats> {
    return this.submit({ kind: 'stats', query }) as Promise<Stats>;
  }

  reportCounts(window: TimeWindow): Promise<ReportCounts> {
    return this.submit({ kind: 'reportCounts', window }) as Promise<ReportCounts>;
  }

  private submit(job: InsightJob): Promise<unknown> {
    if (this.closed) return Promise.reject(unavailable('the node is shutting down'));
    if (this.queue.length >= this.limits.maxQueued) return Promise.reject(unavailable('too many dashboard queries are waiting; try again shortly'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const p = this.queue.shift()!;
    this.running = p;
    const worker = (this.worker ??= this.spawn());
    if (this.workerReady) this.startTimer(p, worker);
    worker.postMessage({ id: p.id, job: p.job } satisfies InsightRequest);
  }

  private startTimer(p: Pending, worker: Worker): void {
    p.timer = setTimeout(() => {
      // Retired first, so that the next query in line goes to a fresh thread.
      this.retire(worker);
      this.settle(p, { error: unavailable(`the dashboard query took longer than ${this.limits.timeoutMs} ms`) });
    }, this.limits.timeoutMs);
  }

  /** Ends the running query with its result or an error and starts the next one. */
  private settle(p: Pending, outcome: { value: unknown } | { error: unknown }): void {
    if (this.running !== p) return;
    clearTimeout(p.timer);
    this.running = undefined;
    if ('value' in outcome) p.resolve(outcome.value);
    else p.reject(outcome.error);
    this.pump();
  }

  private spawn(): Worker {
    const worker = new Worker(threadScript('dashboard/insight-thread.js'), { workerData: this.options satisfies InsightThreadOptions });
    this.workerReady = false;
    // An idle thread must not keep the process alive; the node's listeners do that.
    worker.unref();
    worker.on('message', (m: InsightReply) => {
      if ('type' in m) {
        if (this.worker !== worker) return;
        this.workerReady = true;
        if (this.running && this.running.timer === undefined) this.startTimer(this.running, worker);
        return;
      }
      const p = this.running;
      if (p?.id !== m.id) return;
      this.settle(p, m.ok ? { value: m.value } : { error: fromWire(m.error) });
    });
    worker.on('error', (err) => this.logger.error({ err }, 'dashboard insight thread failed'));
    worker.once('exit', () => {
      this.retired.delete(worker);
      if (this.worker !== worker) return;
      this.worker = undefined;
      // The next query starts a new thread; the one this thread held cannot be answered any more.
      if (this.running) this.settle(this.running, { error: unavailable('the dashboard query thread stopped') });
    });
    return worker;
  }

  private retire(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    this.retired.add(worker);
    worker.postMessage({ type: 'close' });
  }

  /**
   * Refuses new queries, fails the running and waiting ones at once (so the HTTP requests awaiting them end and
   * the server can close), and waits up to closeGraceMs for the threads to close their connections.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = unavailable('the node is shutting down');
    for (const p of this.queue.splice(0)) p.reject(err);
    if (this.running) this.settle(this.running, { error: err });
    if (this.worker) this.retire(this.worker);
    await withTimeout(this.stopped(), this.limits.closeGraceMs, () => undefined);
  }

  /** Resolves once every thread, retired ones included, has ended (each after its statement returns). */
  async stopped(): Promise<void> {
    await Promise.all([...this.retired].map((worker) => once(worker, 'exit')));
  }
}
