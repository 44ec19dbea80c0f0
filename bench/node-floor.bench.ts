import { startFloorProcess } from './floor-process.js';
import { assertJournaled } from './floor-request-log.js';
import { freePort } from './free-port.js';
import { checkIdentity, SIGN_BODY, SIGN_PATH } from './identity-check.js';
import { halfLoad, maxThroughput } from './measured-load.js';
import { oneServerReport } from './one-server-report.js';
import type { TreeSampler } from './process-tree.js';
import type { LoadSpec } from './load-generator.js';
import type { BenchContext, Scenario, ScenarioReport } from './scenario.js';

const READY_TIMEOUT_MS = 5_000;
const X5U = 'https://cert.example.net/sti/floor.pem';
const API_KEY = 'floor-bench-key';

async function firstIdentity(url: string): Promise<string> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const res = await fetch(url, { method: 'POST', body: SIGN_BODY, headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, signal: AbortSignal.timeout(1_000) });
      const text = await res.text();
      if (res.status === 200) return (JSON.parse(text) as { identity: string }).identity;
      last = `${res.status} ${text}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the Node floor server did not sign within ${READY_TIMEOUT_MS} ms: ${last}`);
}

export interface RunningFloor {
  /** The sign request, loaded exactly as http-sign loads the service. */
  spec: Omit<LoadSpec, 'durationSec' | 'connections'>;
  sampler: TreeSampler;
  stop(): void;
}

/**
 * Starts the Node floor server (node-floor-server.ts) on a free port with a fresh key, and checks one answer.
 * `kept`: the floor also writes each request's record through the service's request log, its store and journal in
 * the floor's own folder, with `workers` processes under `node:cluster`, and the check also finds the answer's record in the journal.
 */
export async function startNodeFloor(ctx: BenchContext, opts: { kept?: { workers: number } } = {}): Promise<RunningFloor> {
  const kept = opts.kept;
  const args = (files: { privateKeyPath: string; dir: string }, port: number) => [String(port), files.privateKeyPath, X5U, API_KEY, ...(kept ? ['kept', files.dir, String(kept.workers)] : [])];
  const floor = await startFloorProcess(ctx, { script: 'node-floor-server.js', port: freePort, args, forks: (kept?.workers ?? 1) > 1 }, async (f) => {
    const { claims } = checkIdentity(await firstIdentity(`http://127.0.0.1:${f.port}${SIGN_PATH}`), f.publicKey);
    if (kept) assertJournaled(f.dir, String(claims.origid), 'the kept Node floor');
  });
  const spec = { url: `http://127.0.0.1:${floor.port}${SIGN_PATH}`, method: 'POST' as const, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: SIGN_BODY };
  return { spec, sampler: floor.sampler, stop: floor.stop };
}

/**
 * Baseline: the physical floor of an HTTP signer in Node on this machine (node-floor-server.ts), loaded exactly as
 * http-sign loads the service (same body, same bearer header, same connections and generator).
 */
export const nodeFloor: Scenario = {
  name: 'node-floor',
  title: `baseline: bare node:http + node:crypto sign of the same request (POST ${SIGN_PATH}), one process`,
  async run(ctx): Promise<ScenarioReport> {
    ctx.progress('node-floor: starting');
    const floor = await startNodeFloor(ctx);
    try {
      const r = await maxThroughput(ctx, floor.spec, floor.sampler, 'node-floor');
      const half = await halfLoad(ctx, floor.spec, floor.sampler, 'node-floor', r.rps);
      return oneServerReport(ctx, r, floor.sampler.peakRssKb, {
        title: 'Node floor',
        server: 'node:http + node:crypto',
        note: 'One floor answer was verified as an ES256 PASSporT signed by its key before its numbers were taken.',
      }, half);
    } finally {
      floor.stop();
    }
  },
};
