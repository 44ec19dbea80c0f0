import type { Logger } from 'pino';
import { outageLog } from './outage-log.js';

/**
 * A node's background job against the store (retention, a content refresh): run after `firstDelayMs`, then every
 * `intervalMs`, never two runs at once, and nothing after `stop()`. A failing run is logged once per outage (not
 * per run) and its recovery once; a failure after `stop()` (the store closing under it) is not an outage.
 */
export function startPeriodicJob(o: {
  name: string;
  logger: Logger;
  intervalMs: number;
  firstDelayMs: number;
  /** One run; `isStopped` lets a long run end early. */
  work: (isStopped: () => boolean) => Promise<void>;
}): { stop(): void } {
  let stopped = false;
  let running = false;
  const log = outageLog(o.logger, o.name);
  const isStopped = () => stopped;
  const run = async () => {
    if (running || stopped) return;
    running = true;
    try {
      await o.work(isStopped);
      log.ok();
    } catch (err) {
      if (!stopped) log.failed(err);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void run(), o.intervalMs);
  timer.unref();
  const first = setTimeout(() => void run(), o.firstDelayMs);
  first.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(first);
    },
  };
}
