import { parentPort, workerData } from 'node:worker_threads';
import { isShakenError } from '../core/errors.js';
import { openEmbeddedReader } from '../store/embedded-reader.js';
import type { Store } from '../store/store.js';
import { storeInsights } from './insights.js';
import type { InsightReply, InsightRequest, InsightThreadOptions, WireError } from './threaded-insights.js';

/*
 * The insight thread: the same queries as on the node (storeInsights), on a read-only connection of its own, so
 * that libsql's synchronous scans of the request log block this thread and not the node's event loop.
 */
const options = workerData as InsightThreadOptions;
const port = parentPort!;

function toWire(err: unknown): WireError {
  // Errors do not cross threads intact: the code and reason are what the dashboard maps and shows.
  if (isShakenError(err)) return { code: err.code, reason: err.reason, field: err.field };
  return { message: err instanceof Error ? err.message : String(err) };
}

let store: Store | undefined;
let openError: unknown;
try {
  store = openEmbeddedReader(options.dataDir);
} catch (err) {
  openError = err;
}
const insights = store && storeInsights(store);

async function answer(m: InsightRequest): Promise<InsightReply> {
  try {
    if (!insights) throw openError;
    const value = m.job.kind === 'stats' ? await insights.stats(m.job.query) : await insights.reportCounts(m.job.window);
    return { id: m.id, ok: true, value };
  } catch (err) {
    return { id: m.id, ok: false, error: toWire(err) };
  }
}

/** The job in progress: its queries run one statement at a time, and the connection must outlive the last one. */
let running: Promise<unknown> = Promise.resolve();

port.on('message', (m: InsightRequest | { type: 'close' }) => {
  if ('type' in m) {
    // After the job in progress (a retired thread is told to close mid-job, between two of its statements), close
    // the connection; closing the port then lets the thread end.
    void running.then(() => store?.close()).finally(() => port.close());
    return;
  }
  const job = answer(m).then((reply) => port.postMessage(reply));
  running = job;
});
port.postMessage({ type: 'ready' } satisfies InsightReply);
