import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'shakenstack:metrics-request';
const REPLY = 'shakenstack:metrics-reply';
const TIMEOUT_MS = 5000;

interface MetricsReply {
  type: typeof REPLY;
  id: number;
  text?: string;
  error?: string;
}

/**
 * Cluster mode, primary side: a worker asked to serve /metrics asks the primary, which collects every
 * worker's registry (prom-client's AggregatorRegistry over the cluster IPC channel) and answers with the sum,
 * so a scrape sees the whole node whichever worker it reached.
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: string; id?: number }) => {
    if (message?.type !== REQUEST || typeof message.id !== 'number') return;
    const id = message.id;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: REPLY, id, text } satisfies MetricsReply),
      (err: Error) => worker.send({ type: REPLY, id, error: err.message } satisfies MetricsReply),
    );
  });
}

/** Cluster mode, worker side: answers the primary's collection with `registry`, and asks it for the node's whole view. */
export function clusterMetricsClient(registry: Registry): () => Promise<string> {
  // Constructing one installs prom-client's worker listener; setRegistries names what it reports.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  let next = 0;
  const pending = new Map<number, (r: MetricsReply) => void>();
  process.on('message', (message: MetricsReply) => {
    if (message?.type === REPLY) pending.get(message.id)?.(message);
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the primary did not answer the metrics request in time'));
      }, TIMEOUT_MS);
      pending.set(id, (r) => {
        clearTimeout(timer);
        pending.delete(id);
        if (r.text !== undefined) resolve(r.text);
        else reject(new Error(r.error ?? 'metrics collection failed'));
      });
      process.send!({ type: REQUEST, id });
    });
}
