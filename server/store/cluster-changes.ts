import cluster from 'node:cluster';

const CHANGED = 'shakenstack:store-changed';

interface ChangedMessage {
  type: typeof CHANGED;
  /** The change's version, when a worker's own change: the sibling's poll then skips it. */
  version?: number;
}

function isChanged(msg: unknown): msg is ChangedMessage {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === CHANGED;
}

/**
 * Cluster mode, primary side: a worker that changed accounts, credentials, API keys, routes or SIP sources says
 * so, and the primary passes it on to every other worker. The notice travels on the same channel as the
 * connections the primary hands out afterwards, so a worker hears it before it is given the client's next
 * connection; the change watcher's poll stays the net for changes made by other nodes and the CLI.
 */
export function relayClusterChanges(): void {
  cluster.on('message', (from, msg: unknown) => {
    if (isChanged(msg)) announceToWorkers(from.id, msg.version);
  });
}

/**
 * Cluster mode, primary side: tells the workers (but `exceptId`) that the store changed, e.g. after the primary's
 * own demo bootstrap, which the workers started before: without it a worker would serve the new chain's x5u
 * only from its next change poll, while the banner already hands out a key that signs with it.
 */
export function announceToWorkers(exceptId?: number, version?: number): void {
  for (const w of Object.values(cluster.workers ?? {})) {
    if (w && w.id !== exceptId && w.isConnected()) w.send({ type: CHANGED, version } satisfies ChangedMessage);
  }
}

export interface ClusterChanges {
  /** Tells the other workers that this one changed the store, to `version`. */
  announce(version: number): void;
  stop(): void;
}

/**
 * Cluster mode, worker side: `onChange` runs when another worker of this node announces a change, with its
 * version (none when the primary announces one of its own).
 */
export function shareClusterChanges(onChange: (version: number | undefined) => void): ClusterChanges {
  const listener = (msg: unknown) => {
    if (isChanged(msg)) onChange(typeof msg.version === 'number' ? msg.version : undefined);
  };
  process.on('message', listener);
  return {
    announce(version) {
      if (process.connected) process.send!({ type: CHANGED, version } satisfies ChangedMessage);
    },
    stop() {
      process.off('message', listener);
    },
  };
}
