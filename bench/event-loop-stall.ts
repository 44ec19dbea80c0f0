import { monitorEventLoopDelay } from 'node:perf_hooks';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The longest time the event loop went without turning while `work` ran, in ms. Two probes: the longest gap
 * between ticks of a 1 ms interval, and perf_hooks' delay histogram. The histogram alone missed stalls
 * of 140-550 ms made of a few awaited synchronous queries (it read 5-6 ms), so the gap probe is the one to trust.
 */
export async function stallOf<T>(work: () => Promise<T>): Promise<{ value: T; maxStallMs: number; ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  let last = performance.now();
  let maxGap = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  try {
    const value = await work();
    const ms = performance.now() - t0;
    // A stall shows when the late tick finally runs: give it the chance before reading.
    await sleep(20);
    return { value, maxStallMs: Math.max(h.max / 1e6, maxGap), ms };
  } finally {
    clearInterval(probe);
    h.disable();
  }
}
