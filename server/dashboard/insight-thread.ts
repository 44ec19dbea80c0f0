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

port.on('message', (m: InsightRequest | { type: 'close' }) => {
  if ('type' in m) {
    // Closing the port lets the thread end once the connection is closed.
    void (store?.close() ?? Promise.resolve()).finally(() => port.close());
    return;
  }
  void answer(m).then((reply) => port.postMessage(reply));
});
port.postMessage({ type: 'ready' } satisfies InsightReply);
