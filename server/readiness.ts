/**
 * Whether this process can sign: one set of probes that every transport reports (HTTP `/health/ready`, the
 * gRPC health service), so they never disagree about what "ready" means.
 */
export type ProbeState = 'ok' | 'unavailable' | 'timeout';

export interface ReadinessCheck {
  /** Each dependency's state; the service is ready when all are `ok`. */
  check(): Promise<Record<string, ProbeState>>;
}

/** A dependency probe: resolves when the dependency answers. */
export type Probe = () => Promise<unknown>;

// A blackholed database must not hold a health check forever; load balancers give up after a few seconds.
const PROBE_TIMEOUT_MS = 2000;

async function run(probe: Probe, timeoutMs: number): Promise<ProbeState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeState>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([probe().then((): ProbeState => 'ok', (): ProbeState => 'unavailable'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function createReadiness(probes: Record<string, Probe>, timeoutMs = PROBE_TIMEOUT_MS): ReadinessCheck {
  const names = Object.keys(probes);
  return {
    async check() {
      const states = await Promise.all(names.map((n) => run(probes[n]!, timeoutMs)));
      return Object.fromEntries(names.map((n, i) => [n, states[i]!]));
    },
  };
}

export function isReady(states: Record<string, ProbeState>): boolean {
  return Object.values(states).every((s) => s === 'ok');
}

/** Readiness kept current by polling, for transports that push changes (gRPC health Watch). */
export interface ReadinessWatch {
  /** The last result; false until the first check has finished. */
  readonly ready: boolean;
  /** Settles when the first check has finished. */
  readonly first: Promise<void>;
  /** Called on every change of `ready`; returns the unsubscribe function. */
  onChange(listener: (ready: boolean) => void): () => void;
  stop(): void;
}

export function watchReadiness(readiness: ReadinessCheck, intervalMs: number): ReadinessWatch {
  let ready = false;
  let polling = false;
  let stopped = false;
  const listeners = new Set<(ready: boolean) => void>();

  const poll = async (): Promise<void> => {
    if (polling || stopped) return;
    polling = true;
    try {
      const now = isReady(await readiness.check());
      if (stopped || now === ready) return;
      ready = now;
      for (const l of listeners) {
        try {
          l(now);
        } catch {
          // One listener's failure (a peer gone mid-write) must not keep the others from hearing the change.
        }
      }
    } finally {
      polling = false;
    }
  };

  const timer = setInterval(() => void poll(), intervalMs);
  timer.unref();
  const first = poll();
  return {
    get ready() {
      return ready;
    },
    first,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      listeners.clear();
    },
  };
}
