import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type OpenStoreOptions } from './open-store.js';
import { RequestLogWriter } from './request-log-writer.js';
import type { RequestLogRecord } from '../core/ports.js';
import type { ThreadMessage, ThreadOptions } from './threaded-request-log.js';

/*
 * The request-log thread: its own store connection and the batching writer, so that inserting records
 * (≈ 15-30 µs each on SQLite, all synchronous) never runs on the event loop that serves requests.
 */
const options = workerData as ThreadOptions;
const port = parentPort!;
const send = (m: ThreadMessage) => port.postMessage(m);

const store = await openStore(options.store as OpenStoreOptions);
const writer = new RequestLogWriter(store, {
  flushIntervalMs: options.flushIntervalMs,
  maxBatch: options.maxBatch,
  // Errors do not cross threads intact; their message is what the main thread logs.
  logger: { warn: (obj, msg) => send({ type: 'warn', msg, detail: JSON.parse(JSON.stringify(obj, (k, v) => (v instanceof Error ? v.message : k === 'err' ? String(v) : v))) }) },
});

port.on('message', (m: { type: 'records'; records: RequestLogRecord[] } | { type: 'close' }) => {
  if (m.type === 'records') {
    for (const r of m.records) writer.record(r);
    return;
  }
  void (async () => {
    await writer.close();
    await store.close();
    send({ type: 'closed', dropped: writer.dropped });
  })();
});
send({ type: 'ready' });
