/**
 * The URL of a worker-thread script given by its path under `server/` (e.g. `store/request-log-thread.js`; a script
 * beside `server/` starts with `../`, as `../hsm/pkcs11/sign-thread.js`).
 * A thread always runs compiled JavaScript: under the test runner the calling module is TypeScript source, so
 * the script is taken from `dist/`, which the test set-up builds first.
 */
export function threadScript(pathUnderServer: string): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL(`../../dist/server/${pathUnderServer}`, here) : new URL(`../${pathUnderServer}`, here);
}
