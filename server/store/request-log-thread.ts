import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type OpenStoreOptions } from './open-store.js';
import { JournalShipper, ShipTimeout } from './journal-shipper.js';
import { RequestLogWriter } from './request-log-writer.js';
import type { RequestLogRecord } from '../core/ports.js';
import type { JournalMeasure, ThreadMessage, ThreadOptions, ToThread } from './threaded-request-log.js';
import { withTimeout } from '../core/with-timeout.js';

/*
 * The request-log thread: its own store connection, so that inserting records (≈ 15-30 µs each on SQLite, all
 * synchronous) never runs on the event loop that serves requests. It ships the journal (this process's
 * segments and dead processes' orphans) into the store, and writes the few records that could not be
 * journaled (journal full) through the batching writer.
 */
const options = workerData as ThreadOptions;
const port = parentPort!;
const send = (m: ThreadMessage) => port.postMessage(m);
// Errors do not cross threads intact; their message is what the main thread logs.
const warn = (obj: object, msg: string) =>
  send({ type: 'warn', msg, detail: JSON.parse(JSON.stringify(obj, (k, v) => (v instanceof Error ? v.message : k === 'err' ? String(v) : v))) });

const MAX_BACKOFF_MS = 30_000;

const store = await openStore(options.store as OpenStoreOptions);
let lastProgress = 0;
/** The count is read first: every byte it includes is then in the files measured, so the report never undercounts. */
const measure = (): JournalMeasure => {
  const writtenAtMeasure = Number(Atomics.load(options.journalWritten, 0));
  return { pendingBytes: shipper.pendingBytes, writtenAtMeasure };
};
const progress = () => {
  lastProgress = Date.now();
  send({ type: 'progress', dropped: writer.dropped, ...measure() });
};
const shipper = new JournalShipper(store, {
  dir: options.journal.dir,
  owner: options.journal.owner,
  maxBatch: options.maxBatch,
  batchTimeoutMs: options.storeTimeoutMs,
  warn,
  // A replay of a large backlog takes a while: the writer's "full" check hears of its progress on the way.
  onBatch: () => Date.now() - lastProgress >= options.flushIntervalMs && progress(),
});
const writer = new RequestLogWriter(store, { flushIntervalMs: options.flushIntervalMs, maxBatch: options.maxBatch, maxRetryDelayMs: MAX_BACKOFF_MS, logger: { warn } });

let running: Promise<void> | undefined;
let timer: NodeJS.Timeout | undefined;
let failures = 0;
let closing = false;

/** One shipping pass; on failure the next waits longer (doubling up to 30 s), forever: the journal holds the records. */
function pass(): void {
  if (running || closing) return;
  clearTimeout(timer);
  running = shipper.ship().then(
    () => {
      failures = 0;
    },
    (err: unknown) => {
      failures++;
      warn({ err, pendingBytes: shipper.pendingBytes }, 'request log: shipping the journal failed, will retry');
      // A batch that hung may hold connections that never answer (a blackholed network): only dropping the
      // thread, and its sockets with it, frees them. The main thread starts a new one; the journal keeps all.
      if (err instanceof ShipTimeout) process.exit(1);
    },
  );
  void running.finally(() => {
    running = undefined;
    progress();
    if (closing) return;
    const delay = failures === 0 ? options.flushIntervalMs : Math.min(options.flushIntervalMs * 2 ** failures, MAX_BACKOFF_MS);
    timer = setTimeout(pass, delay);
  });
}

/** At shutdown: the writer has closed its last segment; ship everything until done or out of time. */
async function close(deadlineMs: number): Promise<void> {
  closing = true;
  clearTimeout(timer);
  const until = Date.now() + deadlineMs;
  const finish = async () => {
    await running;
    for (;;) {
      try {
        return await shipper.ship(true);
      } catch (err) {
        warn({ err }, 'request log: shipping at shutdown failed; the journal keeps the rest for the next start');
        if (err instanceof ShipTimeout || Date.now() + 500 >= until) return;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  // What is not stored by then stays in the journal, and the next start ships it.
  await withTimeout(finish().then(() => writer.close()), deadlineMs, () => undefined);
  // A store whose connections hang would hold close() forever; a second is plenty for a healthy one.
  await withTimeout(store.close().catch(() => undefined), 1000, () => undefined);
  send({ type: 'closed', dropped: writer.dropped, ...measure() });
}

port.on('message', (m: ToThread) => {
  if (m.type === 'records') {
    for (const r of m.records as RequestLogRecord[]) writer.record(r);
  } else if (m.type === 'nudge') {
    if (failures === 0) pass();
  } else {
    void close(m.deadlineMs);
  }
});
send({ type: 'ready' });
pass();
