import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchSipFile, startKamailio, type RunningKamailio } from './kamailio.js';

const X5U = 'https://cert.example.net/sti/cert.pem';
/**
 * UDP workers: one per core. On the 2-core VM, 5,958 calls/s at 0 failed with 2 workers while the machine
 * was quiet (load ~2). Under other people's load (4 to 12) the same search gave 3,000-4,400 with 1, 2 or
 * 4 workers and 540 with 8: every worker also runs a Go runtime for libsecsipid, and more of them than
 * cores only adds contention with sipp.
 */
const DEFAULT_CHILDREN = availableParallelism();

/**
 * Starts the reference signer of the SIP 302 benchmark (bench/sip/kamailio-secsipid-302.cfg: Kamailio's
 * secsipid module answering 302 with Identity) with a fresh P-256 key on a free loopback port. `target` is
 * where its Contact points. The caller stops it; stop() also removes the key.
 */
export async function startSecsipid302(
  opts: { children?: number; target?: string; onPid?: (pid: number) => void; onDir?: (dir: string) => void } = {},
): Promise<RunningKamailio & { publicKeyPem: string; x5u: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-secsipid302-'));
  opts.onDir?.(dir);
  const keyFile = join(dir, 'key.pem');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  let kam: RunningKamailio;
  try {
    kam = await startKamailio({
      cfg: benchSipFile('kamailio-secsipid-302.cfg'),
      defines: { KEY_FILE: keyFile, X5U, CHILDREN: opts.children ?? DEFAULT_CHILDREN, ...(opts.target ? { TARGET: opts.target } : {}) },
      onPid: opts.onPid,
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const stopKamailio = kam.stop;
  return Object.assign(kam, {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    x5u: X5U,
    async stop(graceMs?: number) {
      await stopKamailio(graceMs);
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
