import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export const CLI = resolve('dist/server/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled `shakenstack` CLI to completion. */
export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH!, SHAKENSTACK_SIP_PORT: '0', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything printed so far. */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Starts `shakenstack serve` and waits for its banner. `umask` (e.g. '022') starts it through a shell that sets
 * it first (`process.umask()` cannot be changed from a worker thread); `exec` keeps the pid the server's.
 */
export function startServe(env: Record<string, string>, timeoutMs = 30_000, opts: { umask?: string } = {}): Promise<ServeProcess> {
  const [command, args] = opts.umask === undefined ? [process.execPath, [CLI, 'serve']] : ['/bin/sh', ['-c', `umask ${opts.umask} && exec "$@"`, 'sh', process.execPath, CLI, 'serve']];
  const child = spawn(command, args, { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start:\n${out}`));
    }, timeoutMs);
    const check = () => {
      const m = /shakenstack is listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveStart({ child, url: m[1]!, output: () => out, exited });
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${out}`));
    });
  });
}

/**
 * The demo account's one-time API key: the banner names the 0600 file it is in (it shows the key itself only
 * on a terminal). Waits for the banner line, which follows the listening line.
 */
export async function demoApiKey(output: () => string, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const file = /API key: in (\S+) \(mode 0600\)/.exec(output())?.[1];
    if (file) return (await readFile(file, 'utf8')).trim();
    if (Date.now() > end) throw new Error(`no demo API key in the banner:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
