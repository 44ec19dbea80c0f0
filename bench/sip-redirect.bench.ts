import { fmtInt, round } from './report.js';
import type { Scenario, ScenarioReport } from './scenario.js';
import { startShakenstack } from './shakenstack-server.js';
import { startSecsipid302 } from './sip/kamailio-secsipid-302.bench.js';
import { kamailioPath } from './sip/kamailio.js';
import { findMaxSipp302Rate, sippPath, type MaxRateResult } from './sip/sipp.js';
import { freeUdpPort } from './sip/udp.js';

const TRIAL_SEC = 5;

function trialsTable(title: string, r: MaxRateResult) {
  return {
    title,
    columns: ['offered/s', 'calls/s', 'failed', 'p50 ms', 'p99 ms'],
    rows: r.trials.map((t) => [fmtInt(t.offeredRate), fmtInt(t.callsPerSec), String(t.failed), String(t.p50Ms), String(t.p99Ms)]),
  };
}

/**
 * Issue 5's benchmark: sipp (INVITE → 302 with Identity → ACK over UDP) against our redirect server, and in
 * the same run against Kamailio's own secsipid signer answering 302: the highest rate each keeps with 0
 * failed calls, and its p99. The demo account owns 127.0.0.1, so sipp's calls are signed at once.
 */
export const sipRedirect: Scenario = {
  name: 'sip-redirect',
  title: 'SIP 302 redirect: shakenstack vs Kamailio secsipid (sipp, UDP, max calls/s at 0 failed)',
  async run(ctx): Promise<ScenarioReport> {
    if (!sippPath()) return { figures: { skipped: 'sipp not installed' }, tables: [], notes: ['skipped: install sip-tester'] };
    const search = async (who: string, target: string) =>
      findMaxSipp302Rate(target, {
        startRate: 1_000,
        maxRate: 32_000,
        durationSec: TRIAL_SEC,
        onPid: (p) => ctx.cleanup.trackPid(p),
        onTrial: (r) => ctx.progress(`sip-redirect ${who}: offered ${r.offeredRate}/s → ${Math.round(r.callsPerSec)}/s, ${r.failed} failed, p99 ${r.p99Ms} ms`),
      });

    // Both `sip.thread` settings in the same run, the default (main) first: their calls/s and CPU per call
    // compare only within one run on this shared machine.
    const measureOurs = async (thread: 'main' | 'worker') => {
      const sipPort = await freeUdpPort();
      const server = await startShakenstack(1, ctx.cleanup, { SHAKENSTACK_SIP_PORT: String(sipPort), SHAKENSTACK_SIP_THREAD: thread });
      try {
        const before = server.sampler.take(true);
        const result = await search(thread === 'main' ? 'shakenstack' : 'shakenstack sip.thread=worker', `127.0.0.1:${sipPort}`);
        const after = server.sampler.take(true);
        const calls = result.trials.reduce((n, t) => n + t.successful, 0);
        const cpuUsPerCall = before && after && calls > 0 ? ((after.cpuSeconds - before.cpuSeconds) * 1e6) / calls : undefined;
        return { result, cpuUsPerCall };
      } finally {
        await server.stop();
      }
    };
    const { result: ours, cpuUsPerCall: serverCpuUsPerCall } = await measureOurs('main');
    const { result: threaded, cpuUsPerCall: threadedCpuUsPerCall } = await measureOurs('worker');

    let reference: MaxRateResult | undefined;
    if (kamailioPath()) {
      const kam = await startSecsipid302({ onPid: (p) => ctx.cleanup.trackPid(p), onDir: (d) => ctx.cleanup.trackDir(d) });
      try {
        reference = await search('kamailio-secsipid', kam.address);
      } finally {
        await kam.stop();
      }
    }
    const oursRate = ours.best?.callsPerSec;
    const threadedRate = threaded.best?.callsPerSec;
    const refRate = reference?.best?.callsPerSec;
    return {
      figures: {
        calls_per_s: oursRate === undefined ? null : round(oursRate, 0),
        p99_ms: ours.best?.p99Ms ?? null,
        p50_ms: ours.best?.p50Ms ?? null,
        server_cpu_us_per_call: serverCpuUsPerCall === undefined ? null : round(serverCpuUsPerCall, 0),
        kamailio_calls_per_s: refRate === undefined ? null : round(refRate, 0),
        kamailio_p99_ms: reference?.best?.p99Ms ?? null,
        over_kamailio: oursRate !== undefined && refRate ? round(oursRate / refRate, 2) : null,
        thread_worker_calls_per_s: threadedRate === undefined ? null : round(threadedRate, 0),
        thread_worker_p99_ms: threaded.best?.p99Ms ?? null,
        thread_worker_server_cpu_us_per_call: threadedCpuUsPerCall === undefined ? null : round(threadedCpuUsPerCall, 0),
        thread_worker_over_kamailio: threadedRate !== undefined && refRate ? round(threadedRate / refRate, 2) : null,
      },
      tables: [trialsTable('shakenstack redirect server: trials', ours), trialsTable('shakenstack redirect server, sip.thread=worker: trials', threaded), ...(reference ? [trialsTable('Kamailio secsipid 302: trials', reference)] : [])],
      notes: [
        oursRate === undefined ? 'shakenstack: no rate finished without failed calls' : `shakenstack: ${fmtInt(oursRate)} calls/s at 0 failed, p99 ${ours.best!.p99Ms} ms`,
        threadedRate === undefined ? 'shakenstack sip.thread=worker: no rate finished without failed calls' : `shakenstack sip.thread=worker: ${fmtInt(threadedRate)} calls/s at 0 failed, p99 ${threaded.best!.p99Ms} ms`,
        refRate === undefined ? 'Kamailio secsipid: not measured (kamailio not installed, or no clean rate)' : `Kamailio secsipid: ${fmtInt(refRate)} calls/s at 0 failed, p99 ${reference!.best!.p99Ms} ms`,
      ],
    };
  },
};
