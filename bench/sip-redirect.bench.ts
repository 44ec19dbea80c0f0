import { fmtInt, median, round } from './report.js';
import type { Scenario, ScenarioReport } from './scenario.js';
import { startShakenstack } from './shakenstack-server.js';
import { startSecsipid302 } from './sip/kamailio-secsipid-302.bench.js';
import { kamailioPath } from './sip/kamailio.js';
import { findMaxSipp302Rate, measureSipp302, sippPath, type MaxRateResult, type Sipp302Result } from './sip/sipp.js';
import { cpuWindow, type CpuWindow } from './measured-load.js';
import { TreeSampler } from './process-tree.js';
import { freeUdpPort } from './sip/udp.js';
import { startNodeFloorSip } from './sip/node-floor-sip.js';

const TRIAL_SEC = 5;
/** Rounds of (Kamailio, then ours) at one fixed rate, after the searches. */
const PAIRED_ROUNDS = 3;
/** The paired rate as a share of the lower of the two best rates: both answer it with room to spare. */
const PAIRED_SHARE = 0.8;

/** One fixed-rate trial against `target`, with the server's CPU per answered call. */
interface PairedTrial {
  result: Sipp302Result;
  serverCpuUsPerCall: number;
}

/** The server's CPU time over a trial, per call it answered. */
function cpuUsPerAnsweredCall(w: CpuWindow, r: Sipp302Result): number {
  return r.successful > 0 ? (w.serverSeconds * 1e6) / r.successful : 0;
}

/** A SIP server a search or a paired round loads: where sipp sends, whose CPU is read, how it ends. */
interface SipServerUnderTest {
  target: string;
  sampler: TreeSampler;
  stop(): Promise<void>;
}

async function fixedRateTrial(server: SipServerUnderTest, rate: number, onPid: (pid: number) => void): Promise<PairedTrial> {
  const end = cpuWindow(server.sampler, true);
  const result = await measureSipp302(server.target, { rate, durationSec: TRIAL_SEC, onPid });
  return { result, serverCpuUsPerCall: cpuUsPerAnsweredCall(end(), result) };
}

/** One trial's CPU: the server's per answered call, and the cores the rest of the machine used meanwhile. */
interface TrialCost {
  serverCpuUsPerCall: number;
  otherCores: number;
}

function costText(c: TrialCost | undefined): string {
  return c ? `, ${Math.round(c.serverCpuUsPerCall)} µs of server CPU per call, other processes (sipp) ${c.otherCores.toFixed(2)} cores` : '';
}

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
 * failed calls, and its p99. The demo account owns 127.0.0.1, so sipp's calls are signed at once. First, as
 * a baseline, the same search against the SIP floor (sip/node-floor-sip-server.ts: bare node:dgram + node:crypto
 * sign, one process, no transactions): what a 302 signer in Node can reach on this machine, and where issue 17's
 * ≥ 1.2 × Kamailio stands against it.
 */
export const sipRedirect: Scenario = {
  name: 'sip-redirect',
  title: 'SIP 302 redirect: shakenstack vs Kamailio secsipid, over the bare node:dgram floor (sipp, UDP, max calls/s at 0 failed)',
  async run(ctx): Promise<ScenarioReport> {
    if (!sippPath()) return { figures: { skipped: 'sipp not installed' }, tables: [], notes: ['skipped: install sip-tester'] };
    const onPid = (p: number) => ctx.cleanup.trackPid(p);
    /** A fresh server of ours (workers 1) with its SIP listener on a free port. */
    const startOurs = async (thread: 'main' | 'worker'): Promise<SipServerUnderTest> => {
      const sipPort = await freeUdpPort();
      const server = await startShakenstack(1, ctx.cleanup, { SHAKENSTACK_SIP_PORT: String(sipPort), SHAKENSTACK_SIP_THREAD: thread });
      return { target: `127.0.0.1:${sipPort}`, sampler: server.sampler, stop: () => server.stop() };
    };
    /** A fresh Kamailio answering 302 with secsipid, its process tree sampled. */
    const startKamailio = async (): Promise<SipServerUnderTest> => {
      const kam = await startSecsipid302({ onPid, onDir: (d) => ctx.cleanup.trackDir(d) });
      const sampler = new TreeSampler(kam.pid, 250, { descendants: true, onPid });
      return {
        target: kam.address,
        sampler,
        stop: async () => {
          sampler.stop();
          await kam.stop();
        },
      };
    };
    /** A fresh SIP floor; `kept`: with the service's transactions and request log. */
    const startFloor = async (kept = false): Promise<SipServerUnderTest> => {
      const f = await startNodeFloorSip(ctx, { kept });
      return { target: f.address, sampler: f.sampler, stop: async () => f.stop() };
    };

    /**
     * The search, with each trial's CPU: the server's per answered call, and the cores everything else on the
     * machine used meanwhile (sipp, mostly: about a third of a core at 5,000-6,000 calls/s). The best rate moves
     * with the VM's minute (a slow one drops a call and stops the bisection); CPU per call at that rate compares
     * the servers' own work. A trial that fails or falls behind is followed by a fresh server (`fresh` in
     * findMaxSipp302Rate), for every server alike.
     */
    const search = async (who: string, start: () => Promise<SipServerUnderTest>) => {
      const costs = new Map<Sipp302Result, TrialCost>();
      let end: (() => CpuWindow) | undefined;
      let server = await start();
      try {
        const result = await findMaxSipp302Rate(server.target, {
          startRate: 1_000,
          maxRate: 32_000,
          durationSec: TRIAL_SEC,
          onPid,
          beforeTrial: () => {
            end = cpuWindow(server.sampler, true);
          },
          onTrial: (r) => {
            const w = end?.();
            if (w && w.serverSeconds > 0 && r.successful > 0) {
              costs.set(r, { serverCpuUsPerCall: cpuUsPerAnsweredCall(w, r), otherCores: Math.max(0, w.machineCores - w.serverCores) });
            }
            ctx.progress(`sip-redirect ${who}: offered ${r.offeredRate}/s → ${Math.round(r.callsPerSec)}/s, ${r.failed} failed, p99 ${r.p99Ms} ms`);
          },
          fresh: async () => {
            await server.stop();
            server = await start();
            return server.target;
          },
        });
        return { result, atBest: result.best ? costs.get(result.best) : undefined };
      } finally {
        await server.stop();
      }
    };

    ctx.progress('sip-redirect: starting the SIP floor');
    const { result: floor, atBest: floorCost } = await search('node-floor-sip', () => startFloor());

    // Both `sip.thread` settings in the same run, the default (worker) first: their calls/s and CPU per call
    // compare only within one run on this shared machine.
    const { result: ours, atBest: oursCost } = await search('shakenstack', () => startOurs('worker'));
    const { result: onMain, atBest: onMainCost } = await search('shakenstack sip.thread=main', () => startOurs('main'));

    let reference: MaxRateResult | undefined;
    let referenceCost: TrialCost | undefined;
    if (kamailioPath()) ({ result: reference, atBest: referenceCost } = await search('kamailio-secsipid', startKamailio));
    /**
     * The searches' best rates move with the VM's minute and with where each bisection stops (one dropped call, or a
     * trial a few per cent short of its pace), so their ratio can swing by a fifth between runs of the same code.
     * Fresh servers then take the same fixed rate in turn, Kamailio first: CPU per call from neighbouring minutes.
     */
    const paired: { kamailio: PairedTrial; ours: PairedTrial; floor: PairedTrial; kept: PairedTrial; ratio: number }[] = [];
    const lowerBest = Math.min(ours.best?.callsPerSec ?? 0, reference?.best?.callsPerSec ?? 0);
    const pairedRate = Math.round((lowerBest * PAIRED_SHARE) / 100) * 100;
    if (pairedRate > 0) {
      // The two floors take the same rate after ours: the bare one, and the one that keeps the service's
      // transactions and request log (`kept`), which is what a redirect signer with our obligations costs at least.
      const started: SipServerUnderTest[] = [];
      try {
        for (const start of [startKamailio, () => startOurs('worker'), startFloor, () => startFloor(true)]) started.push(await start());
        const [kam, server, bare, kept] = started as [SipServerUnderTest, SipServerUnderTest, SipServerUnderTest, SipServerUnderTest];
        // Fresh servers: a short pass each first (JIT, buffers), as the searches' low rates were for them.
        ctx.progress(`sip-redirect: paired warm-up, ${pairedRate}/s for 2 s each`);
        for (const s of started) await measureSipp302(s.target, { rate: pairedRate, durationSec: 2, onPid });
        for (let i = 1; i <= PAIRED_ROUNDS; i++) {
          ctx.progress(`sip-redirect: paired round ${i}/${PAIRED_ROUNDS}, Kamailio, shakenstack, the floor and the kept floor, ${pairedRate}/s for ${TRIAL_SEC} s each`);
          const kamailio = await fixedRateTrial(kam, pairedRate, onPid);
          const ours = await fixedRateTrial(server, pairedRate, onPid);
          const floor = await fixedRateTrial(bare, pairedRate, onPid);
          const keptTrial = await fixedRateTrial(kept, pairedRate, onPid);
          paired.push({ kamailio, ours, floor, kept: keptTrial, ratio: ours.serverCpuUsPerCall / kamailio.serverCpuUsPerCall });
        }
      } finally {
        for (const s of started) await s.stop();
      }
    }
    const pairedCpuRatio = paired.length > 0 ? median(paired.map((p) => p.ratio)) : undefined;

    const oursRate = ours.best?.callsPerSec;
    const onMainRate = onMain.best?.callsPerSec;
    const refRate = reference?.best?.callsPerSec;
    const floorRate = floor.best?.callsPerSec;
    return {
      figures: {
        calls_per_s: oursRate === undefined ? null : round(oursRate, 0),
        p99_ms: ours.best?.p99Ms ?? null,
        p50_ms: ours.best?.p50Ms ?? null,
        // At the best rate: the server's CPU per answered call, and the cores the rest of the machine (sipp) used.
        server_cpu_us_per_call: oursCost ? round(oursCost.serverCpuUsPerCall, 0) : null,
        other_cores: oursCost ? round(oursCost.otherCores, 2) : null,
        kamailio_calls_per_s: refRate === undefined ? null : round(refRate, 0),
        kamailio_p99_ms: reference?.best?.p99Ms ?? null,
        kamailio_cpu_us_per_call: referenceCost ? round(referenceCost.serverCpuUsPerCall, 0) : null,
        kamailio_other_cores: referenceCost ? round(referenceCost.otherCores, 2) : null,
        over_kamailio: oursRate !== undefined && refRate ? round(oursRate / refRate, 2) : null,
        cpu_per_call_over_kamailio: oursCost && referenceCost ? round(oursCost.serverCpuUsPerCall / referenceCost.serverCpuUsPerCall, 2) : null,
        thread_main_calls_per_s: onMainRate === undefined ? null : round(onMainRate, 0),
        thread_main_p99_ms: onMain.best?.p99Ms ?? null,
        thread_main_server_cpu_us_per_call: onMainCost ? round(onMainCost.serverCpuUsPerCall, 0) : null,
        thread_main_over_kamailio: onMainRate !== undefined && refRate ? round(onMainRate / refRate, 2) : null,
        floor_calls_per_s: floorRate === undefined ? null : round(floorRate, 0),
        floor_p99_ms: floor.best?.p99Ms ?? null,
        floor_cpu_us_per_call: floorCost ? round(floorCost.serverCpuUsPerCall, 0) : null,
        floor_other_cores: floorCost ? round(floorCost.otherCores, 2) : null,
        floor_over_kamailio: floorRate !== undefined && refRate ? round(floorRate / refRate, 2) : null,
        floor_cpu_per_call_over_kamailio: floorCost && referenceCost ? round(floorCost.serverCpuUsPerCall / referenceCost.serverCpuUsPerCall, 2) : null,
        over_floor: oursRate !== undefined && floorRate ? round(oursRate / floorRate, 2) : null,
        cpu_per_call_over_floor: oursCost && floorCost ? round(oursCost.serverCpuUsPerCall / floorCost.serverCpuUsPerCall, 2) : null,
        paired_rate: pairedRate > 0 ? pairedRate : null,
        paired_cpu_us_per_call: paired.length > 0 ? Math.round(median(paired.map((p) => p.ours.serverCpuUsPerCall))) : null,
        paired_kamailio_cpu_us_per_call: paired.length > 0 ? Math.round(median(paired.map((p) => p.kamailio.serverCpuUsPerCall))) : null,
        paired_cpu_per_call_over_kamailio: pairedCpuRatio === undefined ? null : round(pairedCpuRatio, 2),
        paired_failed: paired.length > 0 ? paired.reduce((n, p) => n + p.ours.result.failed, 0) : null,
        paired_floor_cpu_us_per_call: paired.length > 0 ? Math.round(median(paired.map((p) => p.floor.serverCpuUsPerCall))) : null,
        paired_floor_cpu_per_call_over_kamailio: paired.length > 0 ? round(median(paired.map((p) => p.floor.serverCpuUsPerCall / p.kamailio.serverCpuUsPerCall)), 2) : null,
        paired_floor_kept_cpu_us_per_call: paired.length > 0 ? Math.round(median(paired.map((p) => p.kept.serverCpuUsPerCall))) : null,
        paired_floor_kept_cpu_per_call_over_kamailio: paired.length > 0 ? round(median(paired.map((p) => p.kept.serverCpuUsPerCall / p.kamailio.serverCpuUsPerCall)), 2) : null,
        paired_floor_kept_failed: paired.length > 0 ? paired.reduce((n, p) => n + p.kept.result.failed, 0) : null,
        paired_kamailio_failed: paired.length > 0 ? paired.reduce((n, p) => n + p.kamailio.result.failed, 0) : null,
      },
      tables: [
        trialsTable('SIP floor (node:dgram + node:crypto): trials', floor),
        trialsTable('shakenstack redirect server: trials', ours),
        trialsTable('shakenstack redirect server, sip.thread=main: trials', onMain),
        ...(reference ? [trialsTable('Kamailio secsipid 302: trials', reference)] : []),
        ...(paired.length > 0
          ? [
              {
                title: `At one fixed rate in turn, fresh servers (${fmtInt(pairedRate)} calls/s, ${PAIRED_SHARE} x the lower best rate, ${TRIAL_SEC} s each): server CPU per answered call`,
                columns: ['round', 'Kamailio µs/call', 'failed', 'p99 ms', 'shakenstack µs/call', 'failed', 'p99 ms', 'ours ÷ Kamailio', 'floor µs/call', 'kept floor µs/call', 'failed', 'kept ÷ Kamailio'],
                rows: paired.map((p, i) => [
                  String(i + 1),
                  fmtInt(p.kamailio.serverCpuUsPerCall),
                  String(p.kamailio.result.failed),
                  String(p.kamailio.result.p99Ms),
                  fmtInt(p.ours.serverCpuUsPerCall),
                  String(p.ours.result.failed),
                  String(p.ours.result.p99Ms),
                  p.ratio.toFixed(2),
                  fmtInt(p.floor.serverCpuUsPerCall),
                  fmtInt(p.kept.serverCpuUsPerCall),
                  String(p.kept.result.failed),
                  (p.kept.serverCpuUsPerCall / p.kamailio.serverCpuUsPerCall).toFixed(2),
                ]),
              },
            ]
          : []),
      ],
      notes: [
        floorRate === undefined ? 'SIP floor: no rate finished without failed calls' : `SIP floor (node:dgram + node:crypto, one 302 verified as an ES256 PASSporT of its key first): ${fmtInt(floorRate)} calls/s at 0 failed, p99 ${floor.best!.p99Ms} ms${costText(floorCost)}`,
        oursRate === undefined ? 'shakenstack: no rate finished without failed calls' : `shakenstack: ${fmtInt(oursRate)} calls/s at 0 failed, p99 ${ours.best!.p99Ms} ms${costText(oursCost)}`,
        onMainRate === undefined ? 'shakenstack sip.thread=main: no rate finished without failed calls' : `shakenstack sip.thread=main: ${fmtInt(onMainRate)} calls/s at 0 failed, p99 ${onMain.best!.p99Ms} ms${costText(onMainCost)}`,
        ...(paired.length > 0
          ? [
              `At ${fmtInt(pairedRate)} calls/s in turn (medians): shakenstack ${fmtInt(median(paired.map((p) => p.ours.serverCpuUsPerCall)))} µs of CPU per call, the SIP floor ${fmtInt(median(paired.map((p) => p.floor.serverCpuUsPerCall)))}, the floor keeping the service's transactions and request log ${fmtInt(median(paired.map((p) => p.kept.serverCpuUsPerCall)))}, Kamailio ${fmtInt(median(paired.map((p) => p.kamailio.serverCpuUsPerCall)))}`,
            ]
          : []),
        refRate === undefined ? 'Kamailio secsipid: not measured (kamailio not installed, or no clean rate)' : `Kamailio secsipid: ${fmtInt(refRate)} calls/s at 0 failed, p99 ${reference!.best!.p99Ms} ms${costText(referenceCost)}`,
      ],
    };
  },
};
