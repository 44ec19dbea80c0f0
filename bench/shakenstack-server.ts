import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';
import { TreeSampler } from './process-tree.js';

// Compiled next to this file: dist/bench/ → dist/server/cli/main.js.
const CLI = fileURLToPath(new URL('../server/cli/main.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 8_000;

export interface RunningServer {
  pid: number;
  url: string;
  apiKey: string;
  /** Samples RSS and CPU of the primary and its workers every 250 ms, from start to stop. */
  sampler: TreeSampler;
  stop(): Promise<void>;
}

/**
 * Parses the first-start banner (server/serve.ts): the URL line and the one-time demo API key, read from the
 * 0600 file the banner names (the banner shows the key itself only on a terminal).
 */
export function parseBanner(text: string): { url: string; apiKey: string } | undefined {
  const url = /shakenstack is listening on (http:\/\/\S+)/.exec(text)?.[1];
  const apiKeyFile = /API key: in (\S+) \(mode 0600\)/.exec(text)?.[1];
  return url && apiKeyFile ? { url, apiKey: readFileSync(apiKeyFile, 'utf8').trim() } : undefined;
}

/**
 * Starts `shakenstack serve` on a fresh data dir and port 0 and waits for the banner. The environment is
 * built from scratch (PATH only) so a developer's own SHAKENSTACK_* settings cannot point the bench at a
 * real data dir. `extraEnv` adds settings (e.g. SHAKENSTACK_LOG_FLUSH_MS) for experiments; `nodeArgs` go to node
 * before the CLI (e.g. `--cpu-prof`: Node refuses it in NODE_OPTIONS).
 */
export async function startShakenstack(workers: number, cleanup: Cleanup, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<RunningServer> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm run bench does it first)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'shakenstack-bench-'));
  cleanup.trackDir(dataDir);
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      SHAKENSTACK_DATA_DIR: dataDir,
      SHAKENSTACK_PORT: '0',
      // gRPC stays on, as deployed (its memory counts toward peak RSS), on a free port: another instance
      // (a test run, a developer's server) may hold the default 50051.
      SHAKENSTACK_GRPC_PORT: '0',
      SHAKENSTACK_SIP_PORT: '0',
      SHAKENSTACK_WORKERS: String(workers),
      SHAKENSTACK_LOG_LEVEL: 'warn',
      SHAKENSTACK_SHUTDOWN_TIMEOUT_MS: String(STOP_TIMEOUT_MS - 2_000),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  cleanup.trackPid(pid);
  const sampler = new TreeSampler(pid, 250, { descendants: true, onPid: (p) => cleanup.trackPid(p) });
  // Keep reading both pipes for the whole run: a full pipe would block the server's writes. The tail is kept
  // for the error message when the server fails to start.
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 16_384) out = out.slice(-8_192);
  };
  let bannerText = '';
  child.stdout.on('data', (d: Buffer) => {
    if (bannerText.length < 16_384) bannerText += d.toString();
    keep(d);
  });
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const stop = async (): Promise<void> => {
    sampler.take(true);
    sampler.stop();
    const tree = sampler.pids;
    // SIGTERM to the primary only: it stops its workers and flushes the request log.
    cleanup.signal(pid, 'SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
    if ((await Promise.race([exited, timer])) === 'timeout') cleanup.signal(pid, 'SIGKILL');
    for (const p of tree) cleanup.signal(p, 'SIGKILL');
    for (const p of tree) cleanup.untrackPid(p);
    cleanup.removeDir(dataDir);
  };

  try {
    const banner = await new Promise<{ url: string; apiKey: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`shakenstack did not print its banner in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const check = () => {
        const b = parseBanner(bannerText);
        if (b) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve(b);
        }
      };
      child.stdout.on('data', check);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`shakenstack exited with ${code} before its banner`));
      });
    });
    // The primary prints the banner when the first worker listens; wait (bounded) for the others to be forked.
    const deadline = performance.now() + 5_000;
    while (workers > 1 && (sampler.take(true)?.pids.length ?? 0) < workers + 1 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return { pid, url: banner.url, apiKey: banner.apiKey, sampler, stop };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${out.slice(-4000)}`);
  }
}
