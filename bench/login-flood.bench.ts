import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SIGN_PATH, signOnceAndCheck, signRequestSpec } from './identity-check.js';
import { MEASURE_SEC, maxThroughput, measuredLoad, type MeasuredLoad } from './measured-load.js';
import { fmtInt, fmtMs, round } from './report.js';
import type { BenchContext, Figure, Scenario, ScenarioReport } from './scenario.js';
import { startShakenstack, type RunningServer } from './shakenstack-server.js';

/** As in the trial of issue 12: 8 loops, one of them guessing a real user's password. */
const FLOOD_LOOPS = 8;
/**
 * Each loop starts a login at most every 40 ms (25/s, 200/s in all). Without pacing, a login refused in memory
 * comes back in well under a millisecond and 8 loops become a plain HTTP flood of thousands of requests a
 * second, which is a different question (any route would do); before this change no loop got near 25/s anyway.
 * The flood client runs in its own process (login-flood-client.ts).
 */
const LOOP_MIN_INTERVAL_MS = 40;
/** The flood runs this long before the measurement starts, so the measurement sees its steady state. */
const FLOOD_LEAD_MS = 1_500;

interface FloodCounts {
  total: number;
  byStatus: Record<string, number>;
}

const CLIENT = fileURLToPath(new URL('./login-flood-client.js', import.meta.url));

/** Starts the flood in its own process for `durationMs`; resolves with what the server answered once it ends. */
function startFlood(ctx: BenchContext, server: RunningServer, realUser: string, durationMs: number): Promise<FloodCounts> {
  const child = spawn(process.execPath, [CLIENT, server.url, realUser, String(FLOOD_LOOPS), String(LOOP_MIN_INTERVAL_MS), String(durationMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  ctx.cleanup.trackPid(child.pid!);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      ctx.cleanup.untrackPid(child.pid!);
      if (code !== 0) reject(new Error(`the login flood client exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as FloodCounts);
    }),
  );
}

interface Variant {
  label: string;
  env: Record<string, string>;
}

/**
 * The defaults, and the per-address login rate turned off: a flood from many addresses, which the rate does not
 * stop, so the logins reach the password check and only the separate threads and the cap stand between them and
 * signing. On code without these settings the variable is ignored and both variants are the same server.
 */
const VARIANTS: Variant[] = [
  { label: 'defaults', env: {} },
  { label: 'rate off', env: { SHAKENSTACK_DASHBOARD_LOGIN_RATE_PER_MINUTE: '0' } },
];

interface VariantResult {
  maxRps: number;
  halfTarget: number;
  quiet: MeasuredLoad;
  flood: MeasuredLoad;
  floodCounts: FloodCounts;
}

async function runVariant(ctx: BenchContext, v: Variant): Promise<VariantResult> {
  const label = `login-flood ${v.label}`;
  ctx.progress(`${label}: starting shakenstack (workers=1)`);
  const server = await startShakenstack(1, ctx.cleanup, v.env);
  try {
    await signOnceAndCheck(server.url, server.apiKey);
    const spec = signRequestSpec(server.url, server.apiKey);
    const max = await maxThroughput(ctx, spec, server.sampler, label);
    const halfTarget = Math.max(1, Math.floor(max.rps / 2));
    const paced = { ...spec, connections: ctx.connections, durationSec: MEASURE_SEC, rate: halfTarget };
    ctx.progress(`${label}: half load without a flood, ${fmtInt(halfTarget)} req/s, ${MEASURE_SEC} s`);
    const quiet = await measuredLoad(ctx, paced, server.sampler);
    ctx.progress(`${label}: half load with ${FLOOD_LOOPS} login loops, ${MEASURE_SEC} s`);
    // `admin` is the user every first start creates: the one real name the flood guesses passwords for.
    const floodDone = startFlood(ctx, server, 'admin', FLOOD_LEAD_MS + MEASURE_SEC * 1000 + 1_000);
    await new Promise((r) => setTimeout(r, FLOOD_LEAD_MS));
    const flood = await measuredLoad(ctx, paced, server.sampler);
    const floodCounts = await floodDone;
    return { maxRps: max.rps, halfTarget, quiet, flood, floodCounts };
  } finally {
    await server.stop();
  }
}

export const loginFlood: Scenario = {
  name: 'login-flood',
  title: `${SIGN_PATH} p99 at half of max load, without and with ${FLOOD_LOOPS} loops of unauthenticated dashboard logins`,
  async run(ctx): Promise<ScenarioReport> {
    const figures: Record<string, Figure> = { loadgen: ctx.loadGenerator.name, connections: ctx.connections };
    const rows: string[][] = [];
    for (const v of VARIANTS) {
      const r = await runVariant(ctx, v);
      const k = v.label === 'defaults' ? 'defaults' : 'rate_off';
      const ratio = r.quiet.p99Ms > 0 ? r.flood.p99Ms / r.quiet.p99Ms : 0;
      const answers = Object.entries(r.floodCounts.byStatus)
        .sort()
        .map(([s, n]) => `${s}×${n}`)
        .join(' ');
      Object.assign(figures, {
        [`${k}.max_rps`]: Math.round(r.maxRps),
        [`${k}.half_target_rps`]: r.halfTarget,
        [`${k}.quiet_rps`]: Math.round(r.quiet.rps),
        [`${k}.quiet_p99_ms`]: round(r.quiet.p99Ms, 3),
        [`${k}.flood_rps`]: Math.round(r.flood.rps),
        [`${k}.flood_p99_ms`]: round(r.flood.p99Ms, 3),
        [`${k}.flood_over_quiet_p99`]: round(ratio, 2),
        [`${k}.flood_non2xx`]: r.flood.non2xx,
        [`${k}.logins`]: r.floodCounts.total,
        [`${k}.login_answers`]: answers,
        [`${k}.quiet_other_cores`]: round(r.quiet.otherCores, 2),
        [`${k}.flood_other_cores`]: round(r.flood.otherCores, 2),
      });
      rows.push([
        v.label,
        fmtInt(r.maxRps),
        fmtInt(r.halfTarget),
        `${fmtInt(r.quiet.rps)} / ${fmtInt(r.flood.rps)}`,
        fmtMs(r.quiet.p99Ms),
        fmtMs(r.flood.p99Ms),
        ratio.toFixed(2),
        String(r.flood.non2xx),
        answers,
        `${r.quiet.serverCores.toFixed(2)} / ${r.flood.serverCores.toFixed(2)}`,
        `${r.quiet.otherCores.toFixed(2)} / ${r.flood.otherCores.toFixed(2)}`,
      ]);
    }
    return {
      figures,
      tables: [
        {
          title: `Sign latency at half load, quiet vs. login flood (${ctx.loadGenerator.name}, ${ctx.connections} connections, ${MEASURE_SEC} s each, workers=1)`,
          columns: ['variant', 'max req/s', 'half target', 'got quiet/flood', 'quiet p99 ms', 'flood p99 ms', 'flood ÷ quiet', 'sign non-2xx', 'login answers', 'server CPU q/f', 'other CPU q/f'],
          rows,
        },
      ],
      notes: [
        `The flood: ${FLOOD_LOOPS} loops from 127.0.0.1 in a process of their own, each starting a login at most every ${LOOP_MIN_INTERVAL_MS} ms; 7 with random unknown user names, 1 guessing passwords for admin. Target: flood p99 ≤ 2 × quiet p99.`,
        '"rate off" sets SHAKENSTACK_DASHBOARD_LOGIN_RATE_PER_MINUTE=0, as if the flood came from many addresses: every login then reaches the attempt count or the password threads.',
      ],
    };
  },
};
