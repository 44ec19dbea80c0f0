import { execFile } from 'node:child_process';
import { createHash, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pkcs11js from 'pkcs11js';
import { SIGN_PATH, signOnceAndCheck, signRequestSpec } from './identity-check.js';
import { cpuUsPerRequest, MEASURE_SEC, maxThroughput, type MeasuredLoad } from './measured-load.js';
import { machineBusySeconds } from './process-tree.js';
import { fmtInt, fmtMs, round } from './report.js';
import type { BenchContext, Figure, Scenario, ScenarioReport } from './scenario.js';
import { startShakenstack } from './shakenstack-server.js';

const execFileP = promisify(execFile);
// Compiled next to this file: dist/bench/ → dist/server/cli/main.js (as shakenstack-server.ts).
const CLI = fileURLToPath(new URL('../server/cli/main.js', import.meta.url));
const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const TOKEN = 'bench-sti';
const KEY_LABEL = 'bench-leaf';
const KEY_ID_HEX = 'b1';
const KEY_REF = `pkcs11:token=${TOKEN};object=${KEY_LABEL};id=%B1`;
const USER_PIN = '1234';
const SO_PIN = '5678';
const ACCOUNT = 'bench-hsm';
/** The service's default pkcs11.sessions, set explicitly so the raw async form and the service use the same number. */
const SESSIONS = 4;
const WARMUP_MS = 500;
const MEASURE_MS = 3_000;

/** A PASSporT-sized signing input (~300 bytes, as in raw-sign); the token signs its SHA-256 digest, as the service does. */
function signingInput(): Buffer {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const header = { alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u: 'https://cert.example.net/sti/cert.pem' };
  const claims = { attest: 'A', dest: { tn: ['18001234567'] }, iat: 1_700_000_000, orig: { tn: '14045266060' }, origid: '123e4567-e89b-12d3-a456-426655440000' };
  return Buffer.from(`${b64(header)}.${b64(claims)}`, 'ascii');
}

async function run(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  try {
    return (await execFileP(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 30_000 })).stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stderr ?? ''}`);
  }
}

interface Rate {
  perSec: number;
  cores: number;
  otherCores: number;
}

function measure(): (count: number) => Rate {
  const own = process.cpuUsage();
  const machine0 = machineBusySeconds();
  const t0 = performance.now();
  return (count) => {
    const wallS = (performance.now() - t0) / 1000;
    const d = process.cpuUsage(own);
    const cores = (d.user + d.system) / 1e6 / wallS;
    return { perSec: count / wallS, cores, otherCores: Math.max(0, (machineBusySeconds() - machine0) / wallS - cores) };
  };
}

/** The token opened in this process with pkcs11js: `SESSIONS` sessions, logged in once, and the key's handle. */
interface RawToken {
  lib: pkcs11js.PKCS11;
  sessions: pkcs11js.Handle[];
  key: pkcs11js.Handle;
  close(): void;
}

function openRawToken(conf: string): RawToken {
  // SoftHSM reads SOFTHSM2_CONF when the library initialises; put it back afterwards.
  const saved = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  const lib = new pkcs11js.PKCS11();
  lib.load(SOFTHSM_MODULE);
  lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  const restore = () => (saved === undefined ? delete process.env.SOFTHSM2_CONF : (process.env.SOFTHSM2_CONF = saved));
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === TOKEN);
    if (!slot) throw new Error(`no token labelled ${TOKEN} in ${conf}`);
    const sessions = Array.from({ length: SESSIONS }, () => lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION));
    lib.C_Login(sessions[0]!, pkcs11js.CKU_USER, USER_PIN);
    lib.C_FindObjectsInit(sessions[0]!, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_LABEL, value: KEY_LABEL },
    ]);
    const found = lib.C_FindObjects(sessions[0]!, 2);
    lib.C_FindObjectsFinal(sessions[0]!);
    if (found.length !== 1) throw new Error(`${found.length} private keys labelled ${KEY_LABEL} on ${TOKEN}`);
    return {
      lib,
      sessions,
      key: found[0]!,
      close() {
        lib.C_Finalize();
        lib.close();
        restore();
      },
    };
  } catch (e) {
    lib.C_Finalize();
    lib.close();
    restore();
    throw e;
  }
}

function signSync(t: RawToken, session: pkcs11js.Handle, digest: Buffer, out: Buffer): Buffer {
  t.lib.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, t.key);
  return t.lib.C_Sign(session, digest, out);
}

/** C_SignInit + C_Sign (sync) on one session, tight loop: the token's single-thread rate. */
function rawSyncRate(t: RawToken, digest: Buffer, ms: number): Rate {
  const out = Buffer.alloc(64);
  const session = t.sessions[0]!;
  const done = measure();
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 16; i++) signSync(t, session, digest, out);
    n += 16;
  }
  return done(n);
}

/** One C_Sign in flight per session, callback form (libuv's thread pool), as the service's session pool does. */
function rawAsyncRate(t: RawToken, digest: Buffer, ms: number): Promise<Rate> {
  return new Promise((resolve, reject) => {
    const done = measure();
    const end = performance.now() + ms;
    let count = 0;
    let running = t.sessions.length;
    let failed = false;
    const loop = (session: pkcs11js.Handle, out: Buffer): void => {
      if (failed) return;
      if (performance.now() >= end) {
        if (--running === 0) resolve(done(count));
        return;
      }
      try {
        t.lib.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, t.key);
        t.lib.C_Sign(session, digest, out, (err) => {
          if (err) {
            failed = true;
            return reject(err);
          }
          count++;
          loop(session, out);
        });
      } catch (e) {
        failed = true;
        reject(e as Error);
      }
    };
    for (const s of t.sessions) loop(s, Buffer.alloc(64));
  });
}


function loadFigures(k: string, m: MeasuredLoad): Record<string, Figure> {
  return {
    [`${k}.rps`]: Math.round(m.rps),
    [`${k}.p50_ms`]: round(m.p50Ms, 3),
    [`${k}.p99_ms`]: round(m.p99Ms, 3),
    [`${k}.max_ms`]: round(m.maxMs, 3),
    [`${k}.non2xx`]: m.non2xx,
    [`${k}.socket_errors`]: m.socketErrors,
    [`${k}.server_cores`]: round(m.serverCores, 2),
    [`${k}.server_cpu_us_per_req`]: Math.round(cpuUsPerRequest(m.serverCores, m.rps)),
    [`${k}.loadgen_cores`]: round(m.cores, 2),
    [`${k}.other_cores`]: round(m.otherCores, 2),
  };
}

function loadRow(label: string, m: MeasuredLoad): string[] {
  return [
    label,
    fmtInt(m.rps),
    fmtMs(m.p50Ms),
    fmtMs(m.p99Ms),
    fmtMs(m.maxMs),
    String(m.non2xx),
    String(m.socketErrors),
    m.serverCores.toFixed(2),
    fmtInt(cpuUsPerRequest(m.serverCores, m.rps)),
    m.cores.toFixed(2),
    m.otherCores.toFixed(2),
  ];
}

interface Provisioned {
  dir: string;
  conf: string;
  leafPem: string;
}

/** A SoftHSM2 of its own (SOFTHSM2_CONF), a token, and a lab-PKI leaf key imported the documented way. */
async function provisionToken(ctx: BenchContext): Promise<Provisioned> {
  const dir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-hsm-'));
  ctx.cleanup.trackDir(dir);
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { SOFTHSM2_CONF: conf };
  await run('softhsm2-util', ['--init-token', '--free', '--label', TOKEN, '--pin', USER_PIN, '--so-pin', SO_PIN], env);
  const pki = join(dir, 'pki');
  await run(process.execPath, [CLI, 'pki', 'init', '--out', pki], env);
  const pk8 = join(dir, 'leaf.pk8');
  await run('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', join(pki, 'leaf.key'), '-out', pk8], env);
  await run('softhsm2-util', ['--import', pk8, '--token', TOKEN, '--label', KEY_LABEL, '--id', KEY_ID_HEX, '--pin', USER_PIN], env);
  return { dir, conf, leafPem: readFileSync(join(pki, 'leaf.pem'), 'utf8') };
}

interface RawResult {
  sync: Rate;
  async: Rate;
}

async function rawPkcs11(ctx: BenchContext, conf: string, publicKey: KeyObject): Promise<RawResult> {
  const t = openRawToken(conf);
  try {
    const input = signingInput();
    const digest = createHash('sha256').update(input).digest();
    // The token-held key must be the certificate's: check one raw signature before timing.
    const sig = Buffer.from(signSync(t, t.sessions[0]!, digest, Buffer.alloc(64)));
    if (!verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)) throw new Error('the token signature does not verify with the leaf certificate');
    ctx.progress(`hsm-sign: raw PKCS#11 sync C_Sign, 1 session, ${MEASURE_MS} ms`);
    rawSyncRate(t, digest, WARMUP_MS);
    const sync = rawSyncRate(t, digest, MEASURE_MS);
    ctx.progress(`hsm-sign: raw PKCS#11 async C_Sign, ${SESSIONS} sessions, ${MEASURE_MS} ms`);
    await rawAsyncRate(t, digest, WARMUP_MS);
    const async = await rawAsyncRate(t, digest, MEASURE_MS);
    return { sync, async };
  } finally {
    t.close();
  }
}

export const hsmSign: Scenario = {
  name: 'hsm-sign',
  title: `ES256 with a SoftHSM2 key: raw PKCS#11 C_Sign (CKM_ECDSA), then POST ${SIGN_PATH} on the real service, HSM vs software key`,
  async run(ctx): Promise<ScenarioReport> {
    ctx.progress('hsm-sign: SoftHSM2 token, lab PKI, leaf key import');
    const p = await provisionToken(ctx);
    try {
      const leaf = new X509Certificate(p.leafPem);
      const raw = await rawPkcs11(ctx, p.conf, leaf.publicKey);

      const dataDir = join(p.dir, 'data');
      mkdirSync(dataDir, { mode: 0o700 });
      const pkcs11Env = {
        SOFTHSM2_CONF: p.conf,
        SHAKENSTACK_DATA_DIR: dataDir,
        SHAKENSTACK_PKCS11_MODULE: SOFTHSM_MODULE,
        SHAKENSTACK_PKCS11_TOKENS: TOKEN,
        SHAKENSTACK_PKCS11_PIN: USER_PIN,
        SHAKENSTACK_PKCS11_SESSIONS: String(SESSIONS),
      };
      ctx.progress('hsm-sign: starting shakenstack (workers=1) with the PKCS#11 token');
      // Demo on (the default): its software-key account is the comparison, in the same server and run.
      const server = await startShakenstack(1, ctx.cleanup, pkcs11Env);
      let hsm: MeasuredLoad;
      let sw: MeasuredLoad;
      try {
        const cliEnv = { ...pkcs11Env, SHAKENSTACK_PUBLIC_URL: server.url, SHAKENSTACK_LOG_LEVEL: 'warn' };
        const cli = (args: string[]) => run(process.execPath, [CLI, ...args], cliEnv);
        ctx.progress('hsm-sign: account create, credential import --key-ref, apikey create');
        const chain = join(p.dir, 'pki', 'chain.pem');
        await cli(['account', 'create', ACCOUNT]);
        await cli(['credential', 'import', '--account', ACCOUNT, '--chain', chain, '--key-ref', KEY_REF]);
        const { apiKey } = JSON.parse(await cli(['apikey', 'create', '--account', ACCOUNT, '--name', 'bench', '--json'])) as { apiKey: string };
        await signOnceAndCheck(server.url, apiKey, leaf);
        await signOnceAndCheck(server.url, server.apiKey);
        const spec = (key: string) => signRequestSpec(server.url, key);
        hsm = await maxThroughput(ctx, spec(apiKey), server.sampler, 'hsm-sign HSM key');
        sw = await maxThroughput(ctx, spec(server.apiKey), server.sampler, 'hsm-sign software key');
      } finally {
        await server.stop();
      }

      const ratio = hsm.rps / raw.async.perSec;
      const figures: Record<string, Figure> = {
        loadgen: ctx.loadGenerator.name,
        connections: ctx.connections,
        sessions: SESSIONS,
        raw_sync_per_s: Math.round(raw.sync.perSec),
        raw_sync_cpu_us_per_sign: round((raw.sync.cores / raw.sync.perSec) * 1e6, 1),
        raw_sync_other_cores: round(raw.sync.otherCores, 2),
        raw_async4_per_s: Math.round(raw.async.perSec),
        raw_async4_cores: round(raw.async.cores, 2),
        raw_async4_cpu_us_per_sign: round((raw.async.cores / raw.async.perSec) * 1e6, 1),
        raw_async4_other_cores: round(raw.async.otherCores, 2),
        ...loadFigures('hsm', hsm),
        ...loadFigures('sw', sw),
        hsm_over_raw_async: round(ratio, 3),
        hsm_over_sw: round(hsm.rps / sw.rps, 3),
      };
      const gen = `${ctx.loadGenerator.name}, ${ctx.connections} connections, ${MEASURE_SEC} s, latency resolution ${ctx.loadGenerator.resolution}`;
      return {
        figures,
        tables: [
          {
            title: `Raw PKCS#11 on SoftHSM2 (pkcs11js, C_SignInit + C_Sign CKM_ECDSA over a SHA-256 digest; ${MEASURE_MS / 1000} s each after ${WARMUP_MS} ms warm-up)`,
            columns: ['form', 'signs/s', 'CPU used', 'CPU µs/sign', 'other CPU'],
            rows: [
              ['sync, 1 session, main thread', raw.sync],
              [`callback, ${SESSIONS} sessions (libuv pool)`, raw.async],
            ].map(([label, r]) => {
              const x = r as Rate;
              return [label as string, fmtInt(x.perSec), x.cores.toFixed(2), ((x.cores / x.perSec) * 1e6).toFixed(1), x.otherCores.toFixed(2)];
            }),
          },
          {
            title: `HTTP sign, maximum throughput (closed loop; workers=1, pkcs11.sessions=${SESSIONS}; ${gen})`,
            columns: ['key', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'sock err', 'server CPU', 'CPU µs/req', 'loadgen CPU', 'other CPU'],
            rows: [loadRow(`HSM (${KEY_REF})`, hsm), loadRow('software (demo account)', sw)],
          },
        ],
        notes: [
          `HTTP-HSM req/s ÷ raw PKCS#11 async sign/s = ${ratio.toFixed(2)} (target ≥ 0.7: ${ratio >= 0.7 ? 'PASS' : 'MISS'}); HSM ÷ software req/s = ${(hsm.rps / sw.rps).toFixed(2)}.`,
          'Before loading, one raw token signature and one PASSporT per account were verified against their certificates (the HSM one against the imported leaf).',
          'Both HTTP rows come from the same server: the HSM account was provisioned through the CLI, the software one is the demo account.',
        ],
      };
    } finally {
      ctx.cleanup.removeDir(p.dir);
    }
  },
};
