/**
 * Settles as `work` does, unless `ms` pass first: then as `onTimeout()` does (its value, or its throw as a
 * rejection). The timer is cleared either way, so a finished race leaves nothing behind that keeps the process
 * (or a worker thread) alive until the deadline. `work` itself is not cancelled: it runs on, and its late result
 * is ignored. Imports nothing, so the core and every other folder may use it.
 */
export function withTimeout<T, U>(work: Promise<T>, ms: number, onTimeout: () => U): Promise<T | Awaited<U>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Awaited<U>>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout() as Awaited<U>);
      } catch (err) {
        reject(err);
      }
    }, ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
