import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuUsPerRequest, maxThroughput, type MeasuredLoad } from './measured-load.js';
import { fmtInt, fmtMs, round } from './report.js';
import type { BenchContext, Figure, Scenario, ScenarioReport } from './scenario.js';
import { startShakenstack, type RunningServer } from './shakenstack-server.js';

const SIGN_PATH = '/api/stir-shaken/sign';
const DIV_PATH = '/api/stir-shaken/div';
const VERIFY_PATH = '/api/stir-shaken/verify';
/** The quick start's calling number; every number of the chain is inside the demo inventory (prefix 1404526), so enforce mode lets the demo account sign each div. */
const ORIG = '14045266060';
const hopTn = (i: number) => `1404526${String(i + 1).padStart(4, '0')}`;
/** Div hops in the longest verified chain: French regulation asks for up to five. */
const LONG_CHAIN = 5;

async function postJson(server: RunningServer, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, json: await res.json() };
}

/** A call signed now and forwarded `hops` times through the div API: its Identity headers in order, and the number it rings now. */
async function forwardedCall(server: RunningServer, hops: number): Promise<{ identity: string[]; calledNow: string }> {
  const signed = await postJson(server, SIGN_PATH, { orig: { tn: ORIG }, dest: { tn: [hopTn(0)] }, attest: 'A' });
  if (signed.status !== 200) throw new Error(`sign answered ${signed.status}: ${JSON.stringify(signed.json)}`);
  const identity: string[] = [signed.json.identity];
  for (let i = 1; i <= hops; i++) {
    const div = await postJson(server, DIV_PATH, { identity, dest: { tn: [hopTn(i)] } });
    if (div.status !== 200) throw new Error(`div hop ${i} answered ${div.status}: ${JSON.stringify(div.json)}`);
    identity.push(div.json.identity);
  }
  return { identity, calledNow: hopTn(hops) };
}

interface Row {
  label: string;
  key: string;
  load: MeasuredLoad;
}

/**
 * Issue 14's per-hop cost: on one worker of the real service, CPU per request of signing a shaken PASSporT and of
 * signing a div for a call that arrived with one (the retargeting provider's hop), and of verifying a call with
 * 0, 1 and 5 div hops (warm certificate cache). Each div hop costs a signature to make and one to check, so
 * the ratios say how close each path stays to that.
 */
export const divHop: Scenario = {
  name: 'div-hop',
  title: `Forwarded calls: HTTP sign vs div (${DIV_PATH}), and verify with 0, 1 and ${LONG_CHAIN} div hops, workers 1`,
  async run(ctx: BenchContext): Promise<ScenarioReport> {
    const dataDir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-div-'));
    ctx.cleanup.trackDir(dataDir);
    const anchors = join(dataDir, 'anchors');
    mkdirSync(anchors);
    const server = await startShakenstack(1, ctx.cleanup, {
      SHAKENSTACK_DATA_DIR: dataDir,
      SHAKENSTACK_VERIFY_TRUST_ANCHORS: anchors,
      // The demo account publishes its x5u over http on loopback; a production verifier would refuse that.
      SHAKENSTACK_VERIFY_ALLOW_HTTP_X5U: 'true',
      SHAKENSTACK_VERIFY_ALLOW_PRIVATE_ADDRESSES: 'true',
      SHAKENSTACK_VERIFY_CRL_POLICY: 'off',
    });
    const rows: Row[] = [];
    try {
      copyFileSync(join(dataDir, 'demo-pki', 'root.pem'), join(anchors, 'demo-root.pem'));
      const headers = { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' };
      const load = async (label: string, key: string, path: string, body: unknown) => {
        rows.push({ label, key, load: await maxThroughput(ctx, { url: server.url + path, method: 'POST', headers, body: JSON.stringify(body) }, server.sampler, `div-hop ${label}`) });
      };

      await load('sign shaken', 'sign', SIGN_PATH, { orig: { tn: ORIG }, dest: { tn: [hopTn(0)] }, attest: 'A' });
      const first = await forwardedCall(server, 0);
      await load('sign div (identity form, 1 received)', 'div', DIV_PATH, { identity: first.identity, dest: { tn: [hopTn(1)] } });

      for (const hops of [0, 1, LONG_CHAIN]) {
        // Signed right before its run: a PASSporT older than 60 s fails (cheaply), which would flatter the figure.
        const call = await forwardedCall(server, hops);
        const body = { identity: call.identity, from: ORIG, to: call.calledNow };
        const deadline = performance.now() + 8_000;
        let check = await postJson(server, VERIFY_PATH, body);
        while (check.json.ok !== true && performance.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200)); // the anchors directory is read by a watcher: wait for it once
          check = await postJson(server, VERIFY_PATH, body);
        }
        if (check.json.ok !== true) throw new Error(`a ${hops}-hop call does not verify: ${JSON.stringify(check.json)}`);
        await load(`verify, ${hops} div`, `verify${hops}`, VERIFY_PATH, body);
        const after = await postJson(server, VERIFY_PATH, body);
        if (after.json.ok !== true) throw new Error(`the ${hops}-hop call no longer passes after the load: ${JSON.stringify(after.json)}`);
      }
    } finally {
      await server.stop();
      ctx.cleanup.removeDir(dataDir);
    }

    const figures: Record<string, Figure> = { loadgen: ctx.loadGenerator.name, connections: ctx.connections };
    const cpu = new Map<string, number>();
    for (const r of rows) {
      const us = cpuUsPerRequest(r.load.serverCores, r.load.rps);
      cpu.set(r.key, us);
      Object.assign(figures, {
        [`${r.key}.rps`]: Math.round(r.load.rps),
        [`${r.key}.p50_ms`]: round(r.load.p50Ms, 3),
        [`${r.key}.p99_ms`]: round(r.load.p99Ms, 3),
        [`${r.key}.cpu_us_per_req`]: Math.round(us),
        [`${r.key}.non2xx`]: r.load.non2xx,
        [`${r.key}.other_cores`]: round(r.load.otherCores, 2),
      });
    }
    const ratio = (a: string, b: string) => (cpu.get(a) && cpu.get(b) ? round(cpu.get(a)! / cpu.get(b)!, 2) : null);
    const v0 = cpu.get('verify0');
    const vLong = cpu.get(`verify${LONG_CHAIN}`);
    const perHop = v0 !== undefined && vLong !== undefined ? Math.round((vLong - v0) / LONG_CHAIN) : null;
    Object.assign(figures, {
      div_over_sign_cpu: ratio('div', 'sign'),
      verify1_over_verify0_cpu: ratio('verify1', 'verify0'),
      [`verify${LONG_CHAIN}_over_verify0_cpu`]: ratio(`verify${LONG_CHAIN}`, 'verify0'),
      verify_cpu_us_per_div_hop: perHop,
    });
    return {
      figures,
      tables: [
        {
          title: `Per request, closed loop (${ctx.loadGenerator.name}, ${ctx.connections} connections)`,
          columns: ['path', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'server CPU', 'CPU µs/req', 'other CPU'],
          rows: rows.map((r) => [r.label, fmtInt(r.load.rps), fmtMs(r.load.p50Ms), fmtMs(r.load.p99Ms), String(r.load.non2xx), r.load.serverCores.toFixed(2), fmtInt(cpu.get(r.key)!), r.load.otherCores.toFixed(2)]),
        },
      ],
      notes: [
        `div ÷ sign CPU: ${figures.div_over_sign_cpu ?? 'n/a'}; verify with 1 div ÷ without: ${figures.verify1_over_verify0_cpu ?? 'n/a'}; each of ${LONG_CHAIN} div hops adds ${perHop ?? 'n/a'} µs of verify CPU.`,
        'Every chain was checked to pass before and after its load (a failed verification is also HTTP 200 and cheaper).',
      ],
    };
  },
};
