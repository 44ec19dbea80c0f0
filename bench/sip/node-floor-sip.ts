import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkIdentity } from '../identity-check.js';
import { TreeSampler } from '../process-tree.js';
import type { BenchContext } from '../scenario.js';
import { freeUdpPort, sipInviteOnce, sipOptionsPing } from './udp.js';

const READY_TIMEOUT_MS = 5_000;
const X5U = 'https://cert.example.net/sti/floor.pem';
// sipp's numbers (bench/sip/sipp.ts defaults), so the checked call is the one loaded.
const ORIG = '14045266060';
const DEST = '18001234567';

export interface RunningSipFloor {
  /** `127.0.0.1:<port>`, sipp's target. */
  address: string;
  sampler: TreeSampler;
  stop(): void;
}

/**
 * Starts the SIP floor (node-floor-sip-server.ts) on a free UDP port with a fresh key, waits for it to answer
 * OPTIONS, and checks that one INVITE gets a 302 whose Identity is an ES256 PASSporT of sipp's numbers signed by
 * that key.
 */
export async function startNodeFloorSip(ctx: BenchContext): Promise<RunningSipFloor> {
  const dir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-sipfloor-'));
  ctx.cleanup.trackDir(dir);
  let pid: number | undefined;
  let sampler: TreeSampler | undefined;
  const stop = () => {
    sampler?.stop();
    if (pid !== undefined) {
      ctx.cleanup.signal(pid, 'SIGKILL');
      ctx.cleanup.untrackPid(pid);
    }
    ctx.cleanup.removeDir(dir);
  };
  try {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyPath = join(dir, 'key.pem');
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const port = await freeUdpPort();
    const script = join(dirname(fileURLToPath(import.meta.url)), 'node-floor-sip-server.js');
    const child = spawn(process.execPath, [script, String(port), keyPath, X5U], { stdio: ['ignore', 'ignore', 'inherit'] });
    pid = child.pid!;
    ctx.cleanup.trackPid(pid);
    sampler = new TreeSampler(pid, 250, { descendants: false });
    const deadline = performance.now() + READY_TIMEOUT_MS;
    // A port free when picked may be bound by someone else first: the floor then exits at once.
    while (!(await sipOptionsPing('127.0.0.1', port, 300))) {
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`the SIP floor did not answer OPTIONS on 127.0.0.1:${port} (exit ${child.exitCode})`);
    }
    const answer = await sipInviteOnce('127.0.0.1', port, { orig: ORIG, dest: DEST, timeoutMs: 2_000 });
    const identity = answer?.startsWith('SIP/2.0 302 ') ? /^Identity:[ \t]*(.+)$/im.exec(answer)?.[1] : undefined;
    if (identity === undefined) throw new Error(`the SIP floor did not answer an INVITE with a 302 carrying Identity: ${answer?.slice(0, 200)}`);
    const { claims } = checkIdentity(identity, publicKey);
    if (JSON.stringify([claims.orig, claims.dest]) !== JSON.stringify([{ tn: ORIG }, { tn: [DEST] }])) {
      throw new Error(`the SIP floor signed the wrong numbers: ${JSON.stringify(claims)}`);
    }
    return { address: `127.0.0.1:${port}`, sampler, stop };
  } catch (e) {
    stop();
    throw e;
  }
}
