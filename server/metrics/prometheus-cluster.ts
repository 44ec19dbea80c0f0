import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import { withTimeout } from '../core/with-timeout.js';

const READY = 'shakenstack:metrics-ready';
const REQUEST = 'shakenstack:metrics-request';
const REPLY = 'shakenstack:metrics-reply';
const COLLECT = 'shakenstack:metrics-collect';
const COLLECTED = 'shakenstack:metrics-collected';
const TIMEOUT_MS = 5000;

type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

interface MetricsReply {
  type: typeof REPLY;
  id: number;
  text?: string;
  error?: string;
}

interface Collected {
  type: typeof COLLECTED;
  id: number;
  metrics?: WorkerMetrics;
  error?: string;
}

/**
 * Cluster mode, primary side: a worker asked to serve /metrics asks the primary, which collects the registry
 * of every worker that has said it is ready and answers with the sum (prom-client's `aggregate`), so a scrape
 * sees the whole node whichever worker it reached. A worker still starting is left out rather than waited
 * for: it has counted nothing yet, and waiting would fail the scrape.
 */
export function serveClusterMetrics(): void {
  const ready = new Set<number>();
  const collections = new Map<number, { waiting: Set<number>; responses: WorkerMetrics[]; done: (e: Error | undefined) => void }>();
  let next = 0;

  const collect = (): Promise<string> => {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && ready.has(w.id) && w.isConnected());
    if (workers.length === 0) return Promise.resolve('');
    const id = next++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error('a worker did not hand over its metrics in time')), TIMEOUT_MS);
      const state = { waiting: new Set(workers.map((w) => w.id)), responses: [] as WorkerMetrics[], done: (e: Error | undefined) => finish(e) };
      function finish(e: Error | undefined): void {
        if (!collections.delete(id)) return;
        clearTimeout(timer);
        if (e) reject(e);
        else AggregatorRegistry.aggregate(state.responses).metrics().then(resolve, reject);
      }
      collections.set(id, state);
      for (const w of workers) w.send({ type: COLLECT, id });
    });
  };

  cluster.on('exit', (worker) => {
    ready.delete(worker.id);
    // A worker that died mid-collection will never answer: the others' sum is the node's now.
    for (const c of collections.values()) if (c.waiting.delete(worker.id) && c.waiting.size === 0) c.done(undefined);
  });
  cluster.on('message', (worker, message: { type?: string; id?: number; metrics?: WorkerMetrics; error?: string }) => {
    if (message?.type === READY) ready.add(worker.id);
    else if (message?.type === COLLECTED && typeof message.id === 'number') {
      const c = collections.get(message.id);
      if (!c || !c.waiting.delete(worker.id)) return;
      if (message.error !== undefined) return c.done(new Error(message.error));
      c.responses.push(message.metrics ?? []);
      if (c.waiting.size === 0) c.done(undefined);
    } else if (message?.type === REQUEST && typeof message.id === 'number') {
      const id = message.id;
      collect().then(
        (text) => worker.send({ type: REPLY, id, text } satisfies MetricsReply),
        (err: Error) => worker.send({ type: REPLY, id, error: err.message } satisfies MetricsReply),
      );
    }
  });
}

/** Cluster mode, worker side: hands `registry` to the primary's collections, and asks it for the node's whole view. */
export function clusterMetricsClient(registry: Registry): () => Promise<string> {
  let next = 0;
  const pending = new Map<number, (r: MetricsReply) => void>();
  process.on('message', (message: { type?: string; id?: number }) => {
    if (message?.type === REPLY) pending.get(message.id!)?.(message as MetricsReply);
    else if (message?.type === COLLECT) {
      const id = message.id!;
      registry.getMetricsAsJSON().then(
        (metrics) => process.send!({ type: COLLECTED, id, metrics } satisfies Collected),
        (err: Error) => process.send!({ type: COLLECTED, id, error: err.message } satisfies Collected),
      );
    }
  });
  // From now on this worker's counters are part of every collection.
  process.send!({ type: READY });
  return () => {
    const id = next++;
    const answer = new Promise<string>((resolve, reject) => {
      pending.set(id, (r) => {
        pending.delete(id);
        if (r.text !== undefined) resolve(r.text);
        else reject(new Error(r.error ?? 'metrics collection failed'));
      });
      process.send!({ type: REQUEST, id });
    });
    return withTimeout(answer, TIMEOUT_MS + 1000, () => {
      pending.delete(id);
      throw new Error('the primary did not answer the metrics request in time');
    });
  };
}
