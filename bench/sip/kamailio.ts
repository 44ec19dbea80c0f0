import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOnPath } from '../executable.js';
import { processStartTime } from '../cleanup.js';
import { processTree } from '../process-tree.js';
import { freeUdpPort, sipOptionsPing } from './udp.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * A file shipped in bench/sip/, found from the TypeScript source (vitest) or from its compiled copy in
 * dist/bench/sip/ (tsc copies no .cfg or .xml files).
 */
export function benchSipFile(name: string): string {
  const candidates = [join(HERE, name), resolve(HERE, '../../../bench/sip', name)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`bench/sip/${name} not found (looked in ${candidates.join(', ')})`);
  return found;
}

export interface KamailioOptions {
  /** Configuration file; it must take its listen address from the `LISTEN` define. */
  cfg: string;
  /**
   * Preprocessor defines (-A). A string value is passed as a quoted string define (`NAME="value"`), a
   * number as is (`NAME=4`), `true` as a bare flag (`NAME`).
   */
  defines?: Record<string, string | number | true>;
  /** Environment added to the child's (secrets go here, never into defines: they show in ps). */
  env?: Record<string, string>;
  /** UDP port on 127.0.0.1; a free one when absent. */
  port?: number;
  /** Longest wait for the first answer to OPTIONS. Default 10 s. */
  readyTimeoutMs?: number;
  /** Called with every pid of the process tree (main and forked children) for crash cleanup. */
  onPid?: (pid: number) => void;
}

export interface RunningKamailio {
  pid: number;
  port: number;
  /** `127.0.0.1:<port>` */
  address: string;
  /** Everything Kamailio logged so far (stderr, -E), newest last; capped at the last 2 MB. */
  log(): string;
  /** SIGTERM to the main process, then SIGKILL to whatever of its tree is left after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const LOG_CAP = 2 * 1024 * 1024;

/** The kamailio binary: on PATH, or in /usr/sbin, which is often not on a non-root PATH. */
export function kamailioPath(): string | undefined {
  const onPath = findOnPath('kamailio');
  if (onPath) return onPath;
  for (const p of ['/usr/sbin/kamailio', '/usr/local/sbin/kamailio']) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

function defineArgs(defines: Record<string, string | number | true>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(defines)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`kamailio define name ${JSON.stringify(name)}: upper case, digits and _ only`);
    if (value === true) args.push('-A', name);
    else if (typeof value === 'number') args.push('-A', `${name}=${value}`);
    else {
      // The define becomes a cfg string literal: a quote or backslash would end or escape it.
      if (/["\\\r\n]/.test(value)) throw new Error(`kamailio define ${name}: quotes, backslashes and line breaks are not allowed`);
      args.push('-A', `${name}="${value}"`);
    }
  }
  return args;
}

/**
 * Starts Kamailio in the foreground (-DD, logging to stderr with -E) on 127.0.0.1:<port> over UDP, with
 * its own runtime dir (-Y) and working dir (-w) in a fresh temp folder, so nothing outside it is written
 * and no root is needed. Resolves once it answers OPTIONS.
 */
export async function startKamailio(opts: KamailioOptions): Promise<RunningKamailio> {
  const bin = kamailioPath();
  if (!bin) throw new Error('kamailio is not installed (Debian package kamailio)');
  if (opts.port !== undefined) return startOnce(bin, opts, opts.port);
  // A port free when picked is not reserved: another process may bind it first. Then Kamailio exits at
  // once complaining about the bind, and a fresh port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(bin, opts, await freeUdpPort());
    } catch (e) {
      if (attempt >= 3 || !(e instanceof BindError)) throw e;
    }
  }
}

class BindError extends Error {}

async function startOnce(bin: string, opts: KamailioOptions, port: number): Promise<RunningKamailio> {
  const dir = mkdtempSync(join(tmpdir(), 'shakenstack-kamailio-'));
  const args = [
    '-DD', '-E', '-f', opts.cfg, '-Y', dir, '-w', dir,
    // Small memory pools: these are test and bench instances, several may run side by side.
    '-m', '64', '-M', '8',
    '-A', `LISTEN=udp:127.0.0.1:${port}`,
    ...defineArgs(opts.defines ?? {}),
  ];
  const child: ChildProcess = spawn(bin, args, { cwd: dir, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('kamailio did not start');
  opts.onPid?.(pid);
  const started = processStartTime(pid);
  let logText = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    logText += d;
    if (logText.length > LOG_CAP) logText = logText.slice(-LOG_CAP);
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((r) => child.once('exit', (code) => { exitCode = code; r(); }));

  /** Every live pid of the tree, the main one only while it is still the process we started. */
  const tree = () => (processStartTime(pid) === started ? processTree(pid) : []);
  const killTree = (signal: NodeJS.Signals) => {
    for (const p of tree().reverse()) {
      try {
        process.kill(p, signal);
      } catch {
        // Already gone.
      }
    }
  };
  const stop = async (graceMs = 5_000) => {
    if (exitCode === undefined) {
      // Kamailio's main process takes its children down on SIGTERM.
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs).unref())]);
      if (exitCode === undefined) killTree('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1_000).unref())]);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = performance.now() + (opts.readyTimeoutMs ?? 10_000);
  while (performance.now() < deadline) {
    if (exitCode !== undefined) break;
    const answer = await sipOptionsPing('127.0.0.1', port, 300);
    if (answer) {
      for (const p of tree()) opts.onPid?.(p);
      return { pid, port, address: `127.0.0.1:${port}`, log: () => logText, stop };
    }
  }
  await stop(1_000);
  const tail = logText.split('\n').slice(-30).join('\n');
  if (exitCode !== undefined && /bind|address already in use/i.test(logText)) {
    throw new BindError(`kamailio could not bind 127.0.0.1:${port}:\n${tail}`);
  }
  throw new Error(exitCode !== undefined
    ? `kamailio exited (code ${exitCode}) before serving ${opts.cfg}:\n${tail}`
    : `kamailio did not answer OPTIONS on 127.0.0.1:${port} in time:\n${tail}`);
}
