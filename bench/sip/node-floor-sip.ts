import { checkIdentity } from '../identity-check.js';
import { startFloorProcess } from '../floor-process.js';
import type { TreeSampler } from '../process-tree.js';
import type { BenchContext } from '../scenario.js';
import { freeUdpPort, sipInvite, sipOptionsPing } from './udp.js';
import { assertJournaled } from '../floor-request-log.js';

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
 * that key. `kept`: the floor also keeps the service's transactions and request log, its store and journal in the
 * floor's own folder.
 */
export async function startNodeFloorSip(ctx: BenchContext, opts: { kept?: boolean } = {}): Promise<RunningSipFloor> {
  const kept = opts.kept === true;
  const args = (files: { privateKeyPath: string; dir: string }, port: number) => [String(port), files.privateKeyPath, X5U, ...(kept ? ['kept', files.dir] : [])];
  const floor = await startFloorProcess(ctx, { script: 'sip/node-floor-sip-server.js', port: freeUdpPort, args }, async (f) => {
    const deadline = performance.now() + READY_TIMEOUT_MS;
    // A port free when picked may be bound by someone else first: the floor then exits at once.
    while (!(await sipOptionsPing('127.0.0.1', f.port, 300))) {
      if (f.child.exitCode !== null || performance.now() > deadline) throw new Error(`the SIP floor did not answer OPTIONS on 127.0.0.1:${f.port} (exit ${f.child.exitCode})`);
    }
    // Kept mode: the INVITE is sent again once answered, and the retransmission must get the stored 302.
    const [answer, resent] = await sipInvite('127.0.0.1', f.port, { orig: ORIG, dest: DEST, timeoutMs: 2_000, sends: kept ? 2 : 1 });
    const identity = answer?.startsWith('SIP/2.0 302 ') ? /^Identity:[ \t]*(.+)$/im.exec(answer)?.[1] : undefined;
    if (identity === undefined) throw new Error(`the SIP floor did not answer an INVITE with a 302 carrying Identity: ${answer?.slice(0, 200)}`);
    const { claims } = checkIdentity(identity, f.publicKey);
    if (JSON.stringify([claims.orig, claims.dest]) !== JSON.stringify([{ tn: ORIG }, { tn: [DEST] }])) {
      throw new Error(`the SIP floor signed the wrong numbers: ${JSON.stringify(claims)}`);
    }
    if (kept) {
      if (resent !== answer) throw new Error('the kept SIP floor did not answer a retransmitted INVITE with its stored 302');
      assertJournaled(f.dir, String(claims.origid), 'the kept SIP floor');
    }
  });
  return { address: `127.0.0.1:${floor.port}`, sampler: floor.sampler, stop: floor.stop };
}
