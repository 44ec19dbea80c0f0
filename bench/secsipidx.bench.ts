import { freePort } from './free-port.js';
import { execFileSync, spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from './executable.js';
import { checkIdentity } from './identity-check.js';
import { halfLoad, maxThroughput } from './measured-load.js';
import { oneServerReport } from './one-server-report.js';
import { TreeSampler } from './process-tree.js';
import type { Scenario, ScenarioReport } from './scenario.js';

const READY_TIMEOUT_MS = 5_000;
const X5U = 'https://cert.example.net/sti/cert.pem';
// secsipidx README, "Generate Identity - CSV API": `OrigTN,DestTN,ATTEST,OrigID,X5U`; an empty OrigID makes it
// generate a UUID per request, as shakenstack does.
const CSV_BODY = `14045266060,18001234567,A,,${X5U}`;


/** Polls the sign endpoint until it answers 200, bounded by READY_TIMEOUT_MS; returns that first answer. */
async function firstSignature(url: string): Promise<string> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  let last = '';
  while (performance.now() < deadline) {
    try {
      const res = await fetch(url, { method: 'POST', body: CSV_BODY, headers: { 'content-type': 'text/plain' }, signal: AbortSignal.timeout(1_000) });
      const text = await res.text();
      if (res.status === 200) return text;
      last = `${res.status} ${text}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`secsipidx did not sign within ${READY_TIMEOUT_MS} ms: ${last}`);
}

const SKIPPED: ScenarioReport = {
  figures: { skipped: 'secsipidx not on PATH' },
  tables: [],
  notes: ['skipped: install Debian package secsipidx'],
};

export const secsipidx: Scenario = {
  name: 'secsipidx',
  title: 'reference: secsipidx (Go) -http-srv, POST /v1/sign-csv, same load generator and connections',
  async run(ctx): Promise<ScenarioReport> {
    const bin = findOnPath('secsipidx');
    if (!bin) return SKIPPED;
    const dir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-secsipidx-'));
    ctx.cleanup.trackDir(dir);
    let pid: number | undefined;
    let sampler: TreeSampler | undefined;
    try {
      // The certificate is what a deployment publishes at x5u; sign-csv itself only reads the key.
      const key = join(dir, 'key.pem');
      const opts = { cwd: dir, timeout: 10_000, stdio: 'ignore' as const };
      execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], opts);
      execFileSync('openssl', ['req', '-new', '-x509', '-key', key, '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=shakenstack bench'], opts);
      const port = await freePort();
      ctx.progress('secsipidx: starting');
      // stdout to /dev/null: it is not read, and an unread pipe would fill and block the server.
      const child = spawn(bin, ['-http-srv', `127.0.0.1:${port}`, '-k', key], { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] });
      pid = child.pid!;
      ctx.cleanup.trackPid(pid);
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      sampler = new TreeSampler(pid, 250, { descendants: true, onPid: (p) => ctx.cleanup.trackPid(p) });
      const url = `http://127.0.0.1:${port}/v1/sign-csv`;
      const identity = await firstSignature(url);
      const { header } = checkIdentity(identity, createPublicKey(readFileSync(key)));
      if (header.x5u !== X5U) throw new Error(`secsipidx put x5u ${String(header.x5u)}, expected ${X5U}`);
      const spec = { url, method: 'POST' as const, headers: { 'content-type': 'text/plain' }, body: CSV_BODY };
      const r = await maxThroughput(ctx, spec, sampler, 'secsipidx');
      const half = await halfLoad(ctx, spec, sampler, 'secsipidx', r.rps);
      sampler.stop();
      ctx.cleanup.signal(pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000).unref())]);
      return oneServerReport(ctx, r, sampler.peakRssKb, {
        title: 'secsipidx',
        server: 'secsipidx',
        note: 'One secsipidx answer was verified as an ES256 PASSporT signed by its key before its numbers were taken.',
      }, half);
    } finally {
      sampler?.stop();
      if (pid !== undefined) {
        for (const p of sampler?.pids ?? [pid]) ctx.cleanup.signal(p, 'SIGKILL');
        for (const p of sampler?.pids ?? [pid]) ctx.cleanup.untrackPid(p);
      }
      ctx.cleanup.removeDir(dir);
    }
  },
};
