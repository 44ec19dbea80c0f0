import { withTimeout } from '../core/with-timeout.js';

/**
 * Whether this process can sign: one set of probes that every transport reports (HTTP `/health/ready`, the
 * gRPC health service), so they never disagree about what "ready" means.
 */
export type ProbeState = 'ok' | 'unavailable' | 'timeout';

/**
 * `ready`: every probe passes. `degraded`: a probe allowed to fail for a while (the store, whose data the node
 * serves from its caches meanwhile) is failing, and the node still takes traffic. `not-ready`: take it out.
 */
export type ReadinessStatus = 'ready' | 'degraded' | 'not-ready';

export interface ReadinessReport {
  status: ReadinessStatus;
  /** Each dependency's state. */
  checks: Record<string, ProbeState>;
}

export interface ReadinessCheck {
  check(): Promise<ReadinessReport>;
}

/** A dependency probe: resolves when the dependency answers. */
export type Probe = () => Promise<unknown>;

export interface ReadinessOptions {
  timeoutMs?: number;
  /**
   * Probes whose failure leaves the node ready (`degraded`) for this many ms after it began, because the node
   * keeps working without them meanwhile; past that it is `not-ready`. A probe not named here must pass.
   */
  graceMs?: Record<string, number>;
  /** Time source of the grace periods; tests inject one. */
  now?: () => number;
}

// A blackholed database must not hold a health check forever; load balancers give up after a few seconds.
const PROBE_TIMEOUT_MS = 2000;

async function run(probe: Probe, timeoutMs: number): Promise<ProbeState> {
  return withTimeout(probe().then((): ProbeState => 'ok', (): ProbeState => 'unavailable'), timeoutMs, (): ProbeState => 'timeout');
}

export function createReadiness(probes: Record<string, Probe>, options: ReadinessOptions = {}): ReadinessCheck {
  const names = Object.keys(probes);
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const graceMs = options.graceMs ?? {};
  const now = options.now ?? Date.now;
  // When each probe began failing, as seen by the checks (any transport's); cleared when it passes again.
  const failingSince = new Map<string, number>();
  return {
    async check() {
      const states = await Promise.all(names.map((n) => run(probes[n]!, timeoutMs)));
      const t = now();
      let status: ReadinessStatus = 'ready';
      names.forEach((name, i) => {
        if (states[i] === 'ok') {
          failingSince.delete(name);
          return;
        }
        const since = failingSince.get(name) ?? t;
        failingSince.set(name, since);
        const grace = graceMs[name];
        if (grace !== undefined && t - since < grace) {
          if (status === 'ready') status = 'degraded';
        } else {
          status = 'not-ready';
        }
      });
      return { status, checks: Object.fromEntries(names.map((n, i) => [n, states[i]!])) };
    },
  };
}

export function isReady(report: ReadinessReport): boolean {
  return report.status !== 'not-ready';
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
